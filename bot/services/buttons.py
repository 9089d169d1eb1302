"""What an inline button carries (PTB's arbitrary callback data): one small frozen dataclass per kind of
button, so handlers match on the type (``CallbackQueryHandler(pattern=ClaimAction)``) and read named fields
instead of positions in a tuple. Plain data: services put them on the notices they ask to push.

Buttons only staff may press derive from `StaffButton`; the staff guard checks that, whatever the chat."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """The data behind one button."""


@dataclass(frozen=True)
class StaffButton(Button):
    """A button only staff may press (forged into another chat, it is refused)."""


@dataclass(frozen=True)
class Cancel(Button):
    """Leave the current dialog."""


@dataclass(frozen=True)
class Menu(Button):
    """A main-menu entry: ``check``, ``estimate``, ``claims``, ``bind`` or ``lang``."""

    target: str


@dataclass(frozen=True)
class Language(Button):
    locale: str


@dataclass(frozen=True)
class ProgramChoice(Button):
    """Which program a dialog is about (``flow``: ``selfcheck``, ``estimate``, ``file_claim``)."""

    flow: str
    program_id: str


@dataclass(frozen=True)
class Step(Button):
    """A fixed step of a dialog: going back, skipping a question, submitting, keeping a value."""

    flow: str
    action: str


@dataclass(frozen=True)
class Answer(Button):
    """A self-check answer."""

    question_id: str
    value: str


@dataclass(frozen=True)
class BookUpload(Button):
    """An uploaded loan book waiting for its officer: ``replace`` it (downloaded again by its Telegram file id)
    or discard it."""

    file_id: str
    filename: str
    program_id: str
    replace: bool


@dataclass(frozen=True)
class LoanChoice(Button):
    loan_id: str


@dataclass(frozen=True)
class WithdrawClaim(Button):
    """An officer confirms taking back a claim (the bank and the claim are checked again when pressed)."""

    claim_no: str


@dataclass(frozen=True)
class ClaimsListPage(Button):
    """Another page of /claims (what the chat may see is decided again when it is pressed)."""

    offset: int


@dataclass(frozen=True)
class ArticleLink(Button):
    """Show an article's full text."""

    policy: str
    ref: str


@dataclass(frozen=True)
class ClaimAction(StaffButton):
    """Staff act on a claim: start_review, approve, approve_other, reject, mark_paid, confirm_return, close,
    ask_info."""

    action: str
    claim_no: str


@dataclass(frozen=True)
class SupplyInfo(Button):
    """A bank officer answers staff's request for more on a claim (the officer is checked when it is sent)."""

    claim_no: str


@dataclass(frozen=True)
class SuspensionDecision(StaffButton):
    approve: bool
    alert_id: int


@dataclass(frozen=True)
class FundAction(StaffButton):
    """``resume`` from the review desk, or ``confirm`` a pause or resume being decided."""

    action: str
    program_id: str | None = None


@dataclass(frozen=True)
class RevokeOfficer(StaffButton):
    """Revoke an officer: pressed first it asks, ``confirmed`` it acts."""

    bank_id: int
    chat_id: int
    confirmed: bool = False


@dataclass(frozen=True)
class OfficersPage(StaffButton):
    """Another page of /officers for one bank."""

    bank_id: int
    offset: int


@dataclass(frozen=True)
class InviteBank(StaffButton):
    """Make an officer invite for this bank; a name not yet registered becomes a bank only when pressed."""

    name: str


@dataclass(frozen=True)
class BindingDecision(StaffButton):
    approve: bool
    enterprise_id: int
    chat_id: int


@dataclass(frozen=True)
class BindingChoice(Button):
    """A chat's own binding: ``switch`` to it, ``remove`` it (asks), ``remove_confirmed``."""

    action: str
    enterprise_id: int


@dataclass(frozen=True)
class BankBindingDecision(Button):
    """An officer of a bank that lent to the enterprise confirms or refuses a chat's binding to it."""

    approve: bool
    enterprise_id: int
    chat_id: int


@dataclass(frozen=True)
class BroadcastStep(StaffButton):
    """Composing or stopping a broadcast: ``audience``, ``value``, ``no_document``, ``send``, ``stop``."""

    action: str
    value: object = None


def is_button(expected: Button):
    """A callback pattern for one exact button (a step of a dialog)."""
    return lambda data: data == expected


@dataclass(frozen=True)
class ReviewPage(StaffButton):
    """Another page of the /review desk."""

    offset: int


@dataclass(frozen=True)
class ReviewOpen(StaffButton):
    """Open one claim of the /review desk: its notice with what staff may do next."""

    claim_no: str


@dataclass(frozen=True)
class AuditPage(StaffButton):
    """Another page of /audit (of one claim or bank when ``entity`` is set)."""

    offset: int
    entity: str | None = None
    entity_id: str | None = None
    subject: str | None = None
