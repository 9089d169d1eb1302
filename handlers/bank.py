"""The bank officer's side: joining by invite, uploading the loan book, /status, /file_claim, /recovery."""

import io
from decimal import Decimal

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.clock import now, today
from bot.rules.amounts import AmountError, parse_amount
from bot.rules.claims import TransitionError
from bot.rules.loan_book import LoanBookError
from bot.services import claims_workflow
from bot.services.claims_workflow import ClaimRefused
from bot.services.loan_reading import SUPPORTED_SUFFIXES
from bot.services.loan_template import loan_book_template
from bot.services.monitoring import bank_status, import_and_check, preview_book
from bot.services.officers import PAYLOAD_PREFIX, officer_bank, redeem_invite
from bot.services.onboarding import remember_chat
from bot.telegram_limits import MAX_DOWNLOAD
from bot.texts import TEXTS
from bot.services.buttons import BookUpload, LoanChoice, ProgramChoice, Step, SupplyInfo, WithdrawClaim, is_button
from bot.telegram_adapter.common import (CANCEL, amount_from, answer_query, close_keyboard, conversation, from_menu,
                                         program_rows, send)
from bot.telegram_adapter.context import BotContext, keyboard
from bot.telegram_adapter.menu import set_chat_menu
from bot.telegram_adapter.push import push
from handlers.start import MENU_FILE_CLAIM, MENU_STATUS, MENU_TEMPLATE

#: Row errors shown in the chat before the full list is attached as a file.
ERRORS_IN_MESSAGE = 20
#: A book this large (some 10,000 rows) is answered at once with "checking", then with the result.
LARGE_BOOK = 1024 * 1024
#: Loans offered as buttons when filing a claim.
LOAN_BUTTONS = 10
PROGRAM, LOAN, LOSS, CONFIRM = range(4)
KEY = "file_claim"
SUBMIT = Step(KEY, "submit")


async def _officer_bank(update: Update, context: BotContext):
    bank = await officer_bank(context.services, update.effective_chat.id)
    if bank is None:
        await send(update, context.line("bank", "not_officer"))
    return bank


async def join_by_invite(update: Update, context: BotContext) -> None:
    """``/start inv-...``: a one-time invite link makes this chat an officer of the bank."""
    chat, user = update.effective_chat, update.effective_user
    await remember_chat(context.services, chat.id, context.locale, user.full_name, user.username)
    status, bank = await redeem_invite(context.services, context.args[0], chat.id, now())
    await send(update, context.line("bank", f"invite_{status}", bank=bank.name if bank else ""))
    if status == "ok":
        await set_chat_menu(context.bot, chat.id, "officer", context.locale)


def _program_of_upload(context: BotContext, caption: str | None):
    """The program a loan book belongs to: the only one configured, or the one its caption names."""
    programs = context.services.programs
    if len(programs) == 1:
        return programs[0]
    wanted = (caption or "").strip()
    return next((p for p in programs if wanted in (p.id, p.meta.short_title)), None)


async def upload(update: Update, context: BotContext) -> None:
    """A loan book sent as a document: validated whole; the bank's first book is imported at once, a later one
    is shown as a preview of what it changes (loans, principal, ratio before → after) and replaces the bank's
    book only when the officer confirms."""
    bank = await _officer_bank(update, context)
    if bank is None:
        return
    document = update.message.document
    name = document.file_name or ""
    if not name.lower().endswith(SUPPORTED_SUFFIXES):
        await send(update, context.line("bank", "upload_bad_type", name=name))
        return
    if (document.file_size or 0) > MAX_DOWNLOAD:
        await send(update, context.line("bank", "upload_too_big", name=name, limit_mb=MAX_DOWNLOAD // (1024 * 1024)))
        return
    pack = _program_of_upload(context, update.message.caption)
    if pack is None:
        await send(update, context.line("bank", "upload_which_program",
                                        ids=[p.id for p in context.services.programs]))
        return
    if (document.file_size or 0) >= LARGE_BOOK:
        await send(update, context.line("bank", "upload_checking", name=name,
                                        size_mb=round(document.file_size / (1024 * 1024), 1)))
    else:
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        preview = await preview_book(context.services, pack, bank, data, name, today())
    except LoanBookError as exc:
        await _rejected(update, context, exc)
        return
    if preview.before is None:
        await _import(update, context, pack, bank, data, name)
        return
    buttons = [[(context.line("bank", "btn_replace_book"), BookUpload(document.file_id, name, pack.id, True)),
                (context.line("bank", "btn_keep_book"), BookUpload(document.file_id, name, pack.id, False))]]
    monitoring = pack.program.bank_monitoring
    await send(update, context.line("bank", "book_preview", preview=preview, name=name,
                                    days=monitoring.overdue_days.value),
               reply_markup=keyboard(buttons))


async def book_decided(update: Update, context: BotContext) -> None:
    """The officer's answer to an upload's preview: replace the bank's book with it, or keep the book."""
    await answer_query(update)
    choice = update.callback_query.data
    bank = await _officer_bank(update, context)
    pack = next((p for p in context.services.programs if p.id == choice.program_id), None)
    await close_keyboard(update, context)
    if bank is None or pack is None:
        return
    if not choice.replace:
        await send(update, context.line("bank", "book_kept"))
        return
    data = bytes(await (await context.bot.get_file(choice.file_id)).download_as_bytearray())
    try:
        await _import(update, context, pack, bank, data, choice.filename)
    except LoanBookError as exc:
        await _rejected(update, context, exc)


async def _import(update: Update, context: BotContext, pack, bank, data: bytes, name: str) -> None:
    summary, notes = await import_and_check(context.services, pack, bank, data, name, today(),
                                            actor=f"user:{update.effective_user.id}")
    await send(update, context.t("import_ok", report_date=summary.report_date.isoformat(), books=summary.books,
                                 overdue_days=pack.program.bank_monitoring.overdue_days.value))
    await push(context.bot, context.services, notes)


async def _rejected(update: Update, context: BotContext, exc: LoanBookError) -> None:
    await send(update, context.t("loan_book_rejected", errors=exc.errors, limit=ERRORS_IN_MESSAGE))
    if len(exc.errors) > ERRORS_IN_MESSAGE:
        full = context.t("loan_book_rejected", errors=exc.errors, limit=len(exc.errors))
        await update.effective_chat.send_document(io.BytesIO(full.encode("utf-8")), filename="errors.txt")


async def template(update: Update, context: BotContext) -> None:
    """``/template``: the loan book template (.xlsx) with the header row, an example row and notes per column."""
    bank = await _officer_bank(update, context)
    if bank is None:
        return
    data = loan_book_template(context.locale, bank.name)
    await update.effective_chat.send_document(io.BytesIO(data), filename=context.line("bank", "template_filename"),
                                              caption=context.line("loan_template", "sent"))


async def status(update: Update, context: BotContext) -> None:
    """The bank's ratio against the lines, its loans overdue 15 days or more, and its open claims."""
    bank = await _officer_bank(update, context)
    if bank is None:
        return
    for pack in context.services.programs:
        monitoring = pack.program.bank_monitoring
        now_status = await bank_status(context.services, pack, bank.id)
        await send(update, context.line(
            "bank", "status", bank=bank.name, program=pack.meta, book=now_status.book,
            told=now_status.told, suspended_on=now_status.suspended_on,
            report_date=now_status.totals.report_date if now_status.totals else None, loans=now_status.overdue_loans,
            claims=now_status.open_claims, days=monitoring.overdue_days.value, warn=monitoring.warn_ratio.value,
            suspend=monitoring.suspend_ratio.value, article=monitoring.warn_ratio.article))


# -- filing a claim -------------------------------------------------------------------------------

async def file_start(update: Update, context: BotContext) -> int:
    bank = await _officer_bank(update, context)
    if bank is None:
        return ConversationHandler.END
    programs = context.services.programs
    context.user_data[KEY] = {"bank_id": bank.id, "bank": bank.name,
                              "program": programs[0].id if len(programs) == 1 else None}
    await reprompt(update, context)
    return LOAN if len(programs) == 1 else PROGRAM


def _pack(context: BotContext):
    return context.services.packs[context.user_data[KEY]["program"]]


async def program_chosen(update: Update, context: BotContext) -> int:
    await answer_query(update)
    program_id = update.callback_query.data.program_id
    if program_id not in context.services.settings.programs:
        return PROGRAM
    context.user_data[KEY]["program"] = program_id
    await reprompt(update, context)
    return LOAN


async def reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(KEY)
    if state is None:
        return
    cancel = [(context.line("common", "cancel"), CANCEL)]
    if state["program"] is None:
        await send(update, context.line("common", "program_pick"), reply_markup=keyboard(program_rows(context, KEY) + [cancel]))
    elif "loan_id" not in state:
        pack = _pack(context)
        loans, in_book = await claims_workflow.claimable_loans(context.services, pack, state["bank_id"])
        rows = [[(context.line("bank", "loan_button", loan=loan), LoanChoice(loan.loan_id))]
                for loan in loans[:LOAN_BUTTONS]]
        await send(update, context.line("bank", "ask_loan", has_loans=bool(loans), has_book=bool(in_book)),
                   reply_markup=keyboard(rows + [cancel]))
    else:
        await send(update, context.line("bank", "ask_loss", loan_id=state["loan_id"]), reply_markup=keyboard([cancel]))


async def _loan_chosen(update: Update, context: BotContext, loan_id: str) -> int:
    state = context.user_data[KEY]
    refusal = await claims_workflow.why_not_claimable(context.services, _pack(context), state["bank_id"], loan_id)
    if refusal == "unknown_loan":
        await send(update, context.line("bank", "refused_unknown_loan", loan_id=loan_id))
        return LOAN
    if isinstance(refusal, str):
        await send(update, context.line("bank", "refused", code=refusal))
        return LOAN
    if refusal is not None:
        await send(update, context.line("bank", "not_admissible", loan_id=loan_id,
                                        reasons=TEXTS.reasons(context.locale, [refusal])))
        return LOAN
    state["loan_id"] = loan_id
    await reprompt(update, context)
    return LOSS


async def loan_button(update: Update, context: BotContext) -> int:
    await answer_query(update)
    return await _loan_chosen(update, context, update.callback_query.data.loan_id)


async def loan_typed(update: Update, context: BotContext) -> int:
    return await _loan_chosen(update, context, update.message.text.strip())


async def loss_typed(update: Update, context: BotContext) -> int:
    state = context.user_data[KEY]
    loss = await amount_from(update, context, context.line("estimate", "field", name="loss"))
    if loss is None:
        return LOSS
    bank = await _still_officer(update, context)
    if bank is None:
        return _end(context)
    try:
        assessment = await claims_workflow.assess(context.services, _pack(context), bank, state["loan_id"], loss, today())
    except ClaimRefused as exc:
        await send(update, context.line("bank", "refused", code=exc.code))
        return LOSS if exc.code == "loss_exceeds_principal" else _end(context)
    reasons = TEXTS.reasons(context.locale, assessment.reasons)
    if not assessment.admissible:
        await send(update, context.line("bank", "not_admissible", loan_id=state["loan_id"], reasons=reasons))
        return _end(context)
    state["loss"] = str(loss)
    await send(update, context.line("bank", "confirm_claim", loan_id=state["loan_id"], loss=loss,
                                    ceiling=assessment.result.fund, reasons=reasons),
               reply_markup=keyboard([[(context.line("bank", "btn_submit"), SUBMIT),
                                       (context.line("common", "cancel"), CANCEL)]]))
    return CONFIRM


async def _still_officer(update: Update, context: BotContext):
    """The officer's bank, checked again at each step of a claim: an officer revoked in the middle of the
    dialog files nothing."""
    bank = await _officer_bank(update, context)
    if bank is not None and bank.name != context.user_data[KEY]["bank"]:
        await send(update, context.line("bank", "not_officer"))
        return None
    return bank


def _end(context: BotContext) -> int:
    context.user_data.pop(KEY, None)
    return ConversationHandler.END


async def submit(update: Update, context: BotContext) -> int:
    """Assessed again at the moment of filing: the facts may have changed since the preview."""
    await answer_query(update)
    state = context.user_data[KEY]
    await close_keyboard(update, context)
    bank = await _still_officer(update, context)
    if bank is None:
        return _end(context)
    try:
        _, notes = await claims_workflow.file_claim(context.services, _pack(context), bank, state["loan_id"],
                                                    Decimal(state["loss"]), today(),
                                                    actor=f"user:{update.effective_user.id}")
    except ClaimRefused as exc:
        await send(update, context.line("bank", "refused", code=exc.code))
        return _end(context)
    await push(context.bot, context.services, notes)
    return _end(context)


async def _own_claim(update: Update, context: BotContext, arguments: int, usage: str):
    """The officer's bank's claim named by the first argument, or ``None`` after saying why not; a claim of
    another bank reads exactly like an unknown number."""
    bank = await _officer_bank(update, context)
    if bank is None:
        return None
    if len(context.args or []) != arguments:
        await send(update, context.line("bank", usage))
        return None
    claim = await claims_workflow.get_claim(context.services, context.args[0])
    if claim is None or claim.bank_id != bank.id:
        await send(update, context.line("claims", "not_found", claim_no=context.args[0]))
        return None
    return claim


async def _bank_acts(update: Update, context: BotContext, claim, action: str, refused: str, **kwargs) -> None:
    try:
        _, notes = await claims_workflow.act(context.services, claim.claim_no, action, actor_role="bank",
                                             actor=f"user:{update.effective_user.id}", today=today(), **kwargs)
    except TransitionError:
        await send(update, context.line("bank", refused, claim_no=claim.claim_no))
        return
    await push(context.bot, context.services, notes)


async def recovery(update: Update, context: BotContext) -> None:
    """``/recovery CLAIM AMOUNT``: money recovered after compensation (第十八条)."""
    claim = await _own_claim(update, context, 2, "recovery_usage")
    if claim is None:
        return
    raw = context.args[1]
    try:
        amount = parse_amount(raw)
    except AmountError as exc:
        await send(update, context.line("errors", "amount", code=exc.code, field=context.line("bank", "recovered_field"),
                                        value=raw))
        return
    await _bank_acts(update, context, claim, "report_recovery", "recovery_not_now", amount=amount)


async def withdraw(update: Update, context: BotContext) -> None:
    """``/withdraw CLAIM``: the bank takes back a claim not yet approved (第十七条), once the officer confirms."""
    claim = await _own_claim(update, context, 1, "withdraw_usage")
    if claim is not None and not claims_workflow.bank_may(claim, "withdraw"):
        await send(update, context.line("bank", "withdraw_not_now", claim_no=claim.claim_no))
    elif claim is not None:
        await send(update, context.line("bank", "withdraw_confirm", claim_no=claim.claim_no, loan_id=claim.loan_id,
                                        enterprise=claim.enterprise),
                   reply_markup=keyboard([[(context.line("bank", "btn_withdraw_confirm"), WithdrawClaim(claim.claim_no)),
                                           (context.line("common", "cancel"), CANCEL)]]))


async def withdraw_confirmed(update: Update, context: BotContext) -> None:
    """The confirmation: the officer's bank and the claim are checked again (a revoked officer withdraws nothing)."""
    await answer_query(update)
    await close_keyboard(update, context)
    bank = await _officer_bank(update, context)
    claim = await claims_workflow.get_claim(context.services, update.callback_query.data.claim_no)
    if bank is None or claim is None or claim.bank_id != bank.id:
        return
    await _bank_acts(update, context, claim, "withdraw", "withdraw_not_now")


# -- answering staff's request for more on a claim ---------------------------------------------------

SUPPLY = "supply_info"
COLLECT = 0
SUPPLY_SUBMIT = Step(SUPPLY, "submit")


async def supply_start(update: Update, context: BotContext) -> int:
    """The officer pressed 补充材料 on staff's request: what they send next (text, files, photos) is
    gathered until they press 提交."""
    await answer_query(update)
    bank = await _officer_bank(update, context)
    if bank is None:
        return ConversationHandler.END
    claim = await claims_workflow.get_claim(context.services, update.callback_query.data.claim_no)
    if claim is None or claim.bank_id != bank.id:
        await send(update, context.line("claims", "not_found", claim_no=update.callback_query.data.claim_no))
        return ConversationHandler.END
    context.user_data[SUPPLY] = {"claim_no": claim.claim_no, "texts": [], "files": []}
    await supply_reprompt(update, context)
    return COLLECT


async def supply_reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(SUPPLY)
    if state is None:
        return
    await send(update, context.line("bank", "supply_prompt", claim_no=state["claim_no"], texts=len(state["texts"]),
                                    files=[name for _, name in state["files"]]),
               reply_markup=keyboard([[(context.line("bank", "btn_supply_submit"), SUPPLY_SUBMIT),
                                       (context.line("common", "cancel"), CANCEL)]]))


async def supply_text(update: Update, context: BotContext) -> int:
    context.user_data[SUPPLY]["texts"].append(update.message.text.strip())
    await supply_reprompt(update, context)
    return COLLECT


async def supply_file(update: Update, context: BotContext) -> int:
    """A document or a photo for the claim, kept by its Telegram file id (sent on to staff as it is)."""
    message = update.message
    if message.document is not None:
        attached = (message.document.file_id, message.document.file_name or context.line("bank", "unnamed_file"))
    else:
        attached = (message.photo[-1].file_id, context.line("bank", "photo_file", n=len(context.user_data[SUPPLY]["files"]) + 1))
    context.user_data[SUPPLY]["files"].append(attached)
    if message.caption:
        context.user_data[SUPPLY]["texts"].append(message.caption.strip())
    await supply_reprompt(update, context)
    return COLLECT


async def supply_submit(update: Update, context: BotContext) -> int:
    await answer_query(update)
    state = context.user_data[SUPPLY]
    if not state["texts"] and not state["files"]:
        await send(update, context.line("bank", "supply_empty"))
        return COLLECT
    await close_keyboard(update, context)
    context.user_data.pop(SUPPLY)
    try:
        notes = await claims_workflow.supply_info(
            context.services, state["claim_no"], update.effective_chat.id, "\n".join(state["texts"]),
            tuple(tuple(f) for f in state["files"]), actor=f"user:{update.effective_user.id}")
    except ClaimRefused as exc:
        await send(update, context.line("bank", "not_officer") if exc.code == "not_officer"
                   else context.line("claims", "not_found", claim_no=state["claim_no"]))
        return ConversationHandler.END
    await push(context.bot, context.services, notes)
    await send(update, context.line("bank", "supply_sent", claim_no=state["claim_no"], files=len(state["files"])))
    return ConversationHandler.END


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    return [
        conversation(
            SUPPLY,
            entry_points=[CallbackQueryHandler(supply_start, pattern=SupplyInfo)],
            states={COLLECT: [MessageHandler(text, supply_text),
                              MessageHandler(filters.Document.ALL | filters.PHOTO, supply_file),
                              CallbackQueryHandler(supply_submit, pattern=is_button(SUPPLY_SUBMIT))]},
            key=SUPPLY,
            reprompt=supply_reprompt,
        ),
        CommandHandler("start", join_by_invite, filters.Regex(rf"^/start {PAYLOAD_PREFIX}")),
        conversation(
            "file_claim",
            entry_points=[CommandHandler("file_claim", file_start),
                          CallbackQueryHandler(from_menu(file_start), pattern=is_button(MENU_FILE_CLAIM))],
            states={
                PROGRAM: [CallbackQueryHandler(program_chosen, pattern=ProgramChoice)],
                LOAN: [CallbackQueryHandler(loan_button, pattern=LoanChoice), MessageHandler(text, loan_typed)],
                LOSS: [MessageHandler(text, loss_typed)],
                CONFIRM: [CallbackQueryHandler(submit, pattern=is_button(SUBMIT))],
            },
            key=KEY,
            reprompt=reprompt,
        ),
        CommandHandler("status", status),
        CallbackQueryHandler(from_menu(status), pattern=is_button(MENU_STATUS)),
        CommandHandler("template", template),
        CallbackQueryHandler(from_menu(template), pattern=is_button(MENU_TEMPLATE)),
        CommandHandler("recovery", recovery),
        CommandHandler("withdraw", withdraw),
        CallbackQueryHandler(withdraw_confirmed, pattern=WithdrawClaim),
        MessageHandler(filters.Document.ALL, upload),
        CallbackQueryHandler(book_decided, pattern=BookUpload),
    ]
