"""Staff commands and buttons for the bank side: invites, officers, monitoring on demand, suspensions,
the fund's resume, and acting on claims. Every entry is guarded by `staff_only`."""


from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.clock import now, today
from bot.rules.claims import TransitionError
from bot.rules.money import from_fen
from bot.services import claims_workflow
from bot.services.claims_workflow import STAFF_ROLE, ClaimRefused
from bot.services.audit_trail import audit_filter, audit_page
from bot.services.officers import (
    OfficerList, bank_by_id, bank_by_name, bank_names, create_invite, officer_list, person, revoke_officer,
    similar_bank_names,
)
from bot.services.monitoring import FundDecisionRefused, decide_fund, decide_suspension, fund_position, monitor_now
from bot.texts import TEXTS
from bot.services.reports import build_report
from bot.services.buttons import (AuditPage, ClaimAction, FundAction, InviteBank, OfficersPage, ReviewOpen, ReviewPage,
                                  RevokeOfficer, SuspensionDecision, is_button)
from bot.telegram_adapter.common import (BY_AGE, CANCEL, amount_from, answer_query, close_keyboard, conversation,
                                         from_menu, paged_keyboard, send, show_page, staff_only)
from bot.telegram_adapter.context import BotContext, keyboard
from bot.telegram_adapter.push import push
from handlers.start import MENU_AUDIT, MENU_REPORT, MENU_REVIEW

AMOUNT, REASON, INFO = range(3)
NOTE, CONFIRM = range(2)
KEY = "review"
FUND_KEY = "fund_decision"


@staff_only
async def invite(update: Update, context: BotContext) -> None:
    """``/invite BANK``: a one-time, expiring deep link that binds whoever opens it as the bank's officer. A name
    that is not a registered bank is confirmed first, offering the registered names it is close to."""
    bank_name = " ".join(context.args or []).strip()
    if not bank_name:
        await send(update, context.line("staff", "invite_usage"))
        return
    if await bank_by_name(context.services, bank_name) is None:
        similar = await similar_bank_names(context.services, bank_name)
        rows = [[(context.line("staff", "btn_invite_existing", bank=name), InviteBank(name))] for name in similar]
        rows.append([(context.line("staff", "btn_invite_new", bank=bank_name), InviteBank(bank_name))])
        await send(update, context.line("staff", "invite_unknown_bank", bank=bank_name, similar=similar),
                   reply_markup=keyboard(rows))
        return
    await _send_invite(update, context, bank_name)


@staff_only
async def invite_chosen(update: Update, context: BotContext) -> None:
    await answer_query(update)
    await close_keyboard(update, context)
    await _send_invite(update, context, update.callback_query.data.name)


async def _send_invite(update: Update, context: BotContext, bank_name: str) -> None:
    invitation = await create_invite(context.services, bank_name, update.effective_user.id, now())
    link = f"https://t.me/{context.bot.username}?start={invitation.payload}"
    await send(update, context.line("staff", "invite_created", bank=invitation.bank.name, link=link,
                                    expires_at=invitation.expires_at.strftime("%Y-%m-%d %H:%M")))


@staff_only
async def officers(update: Update, context: BotContext) -> None:
    """``/officers BANK``: the bank's officers by name and @username, a page at a time, each with a button to
    revoke them."""
    bank = await bank_by_name(context.services, " ".join(context.args or []))
    if bank is None:
        await send(update, context.line("staff", "unknown_bank", names=await bank_names(context.services)))
        return
    text, markup = _officers_screen(context, await officer_list(context.services, bank))
    await send(update, text, reply_markup=markup)


@staff_only
async def officers_paged(update: Update, context: BotContext) -> None:
    await answer_query(update)
    data = update.callback_query.data
    bank = await bank_by_id(context.services, data.bank_id)
    await show_page(update, context, *_officers_screen(context, await officer_list(context.services, bank, data.offset)))


def _officers_screen(context: BotContext, page: OfficerList):
    rows = [[(context.line("staff", "btn_revoke", person=p), RevokeOfficer(page.bank.id, p.chat_id))]
            for p in page.people]
    markup = paged_keyboard(context, rows, page, lambda offset: OfficersPage(page.bank.id, offset))
    return context.line("staff", "officers", page=page), markup


@staff_only
async def revoke(update: Update, context: BotContext) -> None:
    """An officer's revocation: the first press asks once, the confirmation acts and tells the officer."""
    await answer_query(update)
    data = update.callback_query.data
    bank_id, chat_id = data.bank_id, data.chat_id
    officer = await person(context.services, chat_id)
    if not data.confirmed:
        confirm = RevokeOfficer(bank_id, chat_id, confirmed=True)
        await send(update, context.line("staff", "revoke_confirm", person=officer),
                   reply_markup=keyboard([[(context.line("staff", "btn_revoke_confirm"), confirm),
                                           (context.line("common", "cancel"), CANCEL)]]))
        return
    await close_keyboard(update, context)
    await push(context.bot, context.services,
               await revoke_officer(context.services, bank_id, chat_id, actor=f"user:{update.effective_user.id}"))
    await send(update, context.line("staff", "revoked", person=officer))


@staff_only
async def monitor(update: Update, context: BotContext) -> None:
    """``/monitor``: the monitoring run now, as the daily job does it."""
    notes, overviews = await monitor_now(context.services, today())
    sent = await push(context.bot, context.services, notes)
    for overview in overviews:
        monitoring = overview.pack.program.bank_monitoring
        await send(update, context.t("monitor", program=overview.pack.meta, as_of=today().isoformat(),
                                     books=overview.books, fund=overview.fund,
                                     overdue_days=monitoring.overdue_days.value, warn=monitoring.warn_ratio.value,
                                     suspend=monitoring.suspend_ratio.value, article=monitoring.warn_ratio.article))
    await send(update, context.line("staff", "monitor_done", sent=sent))


async def _fund_start(update: Update, context: BotContext, kind: str, program_id: str | None = None) -> int:
    """第十九条: a pause or a resume is offered only when it changes something, then asks for the bureaus'
    document or note, then for a confirmation; nothing is recorded or announced before that."""
    await answer_query(update)
    packs = [context.services.packs[program_id]] if program_id in context.services.packs else context.services.programs
    for pack in packs:
        position = await fund_position(context.services, pack)
        if position.paused != (kind == "pause"):
            context.user_data[FUND_KEY] = {"program": pack.id, "kind": kind}
            await fund_reprompt(update, context)
            return NOTE
    await send(update, context.line("staff", "fund_no_change", kind=kind, program=packs[0].meta))
    return ConversationHandler.END


@staff_only
async def fund_resume(update: Update, context: BotContext) -> int:
    return await _fund_start(update, context, "resume")


@staff_only
async def fund_pause(update: Update, context: BotContext) -> int:
    return await _fund_start(update, context, "pause")


@staff_only
async def resume_button(update: Update, context: BotContext) -> int:
    await close_keyboard(update, context)
    return await _fund_start(update, context, "resume", update.callback_query.data.program_id)


async def fund_reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(FUND_KEY)
    if state is None:
        return
    pack = context.services.packs[state["program"]]
    cancel_row = [(context.line("common", "cancel"), CANCEL)]
    if "note" not in state:
        await send(update, context.line("staff", "fund_ask_note", kind=state["kind"], program=pack.meta),
                   reply_markup=keyboard([cancel_row]))
        return
    position = await fund_position(context.services, pack)
    await send(update, context.line("staff", "fund_confirm", kind=state["kind"], program=pack.meta, note=state["note"],
                                    paid=position.paid, balance=position.balance),
               reply_markup=keyboard([[(context.line("staff", "btn_fund_confirm", kind=state["kind"]),
                                        FundAction("confirm"))], cancel_row]))


@staff_only
async def fund_note_typed(update: Update, context: BotContext) -> int:
    context.user_data[FUND_KEY]["note"] = update.message.text.strip()
    await fund_reprompt(update, context)
    return CONFIRM


@staff_only
async def fund_confirmed(update: Update, context: BotContext) -> int:
    await answer_query(update)
    await close_keyboard(update, context)
    state = context.user_data.pop(FUND_KEY)
    pack = context.services.packs[state["program"]]
    try:
        notes = await decide_fund(context.services, pack, state["kind"], state["note"],
                                  actor=f"user:{update.effective_user.id}")
    except FundDecisionRefused:
        await send(update, context.line("staff", "fund_no_change", kind=state["kind"], program=pack.meta))
        return ConversationHandler.END
    sent = await push(context.bot, context.services, notes)
    await send(update, context.line("staff", "fund_decided", kind=state["kind"], program=pack.meta, sent=sent))
    return ConversationHandler.END


@staff_only
async def suspension_decided(update: Update, context: BotContext) -> None:
    await answer_query(update)
    approve, alert_id = update.callback_query.data.approve, update.callback_query.data.alert_id
    notes = await decide_suspension(context.services, alert_id, approve, today(), actor=f"user:{update.effective_user.id}")
    if notes is None:
        await send(update, context.line("staff", "already_decided"))
        return
    await close_keyboard(update, context)
    await push(context.bot, context.services, notes)


async def _act(update: Update, context: BotContext, claim_no: str, action: str, *, raise_above_ceiling: bool = False,
               **kwargs) -> bool:
    try:
        _, notes = await claims_workflow.act(context.services, claim_no, action, actor_role=STAFF_ROLE[action],
                                             actor=f"user:{update.effective_user.id}", today=today(), **kwargs)
    except ClaimRefused as exc:
        if raise_above_ceiling and exc.code == "amount_above_ceiling":
            raise
        await _refused(update, context, claim_no, exc)
        return False
    except TransitionError as exc:
        await send(update, context.line("staff", "claim_action_refused", claim_no=claim_no, code=exc.code))
        return False
    await push(context.bot, context.services, notes)
    return True


async def _refused(update: Update, context: BotContext, claim_no: str, exc: ClaimRefused) -> None:
    """The ledger said no, or less: the new ceiling and every reason with its article, and what staff can do."""
    reasons = TEXTS.reasons(context.locale, exc.reasons)
    if exc.code == "ceiling_changed":
        buttons = [[(context.line("claim_notices", "btn_approve_ceiling"), ClaimAction("approve", claim_no)),
                    (context.line("claim_notices", "btn_reject"), ClaimAction("reject", claim_no))]]
        await send(update, context.line("staff", "ceiling_changed", claim_no=claim_no, ceiling=exc.ceiling,
                                        reasons=reasons), reply_markup=keyboard(buttons))
    elif exc.code in ("not_admissible", "cannot_pay"):
        await send(update, context.line("staff", exc.code, claim_no=claim_no, reasons=reasons))
    else:
        await send(update, context.line("staff", "claim_action_refused", claim_no=claim_no, code=exc.code))


@staff_only
async def claim_button(update: Update, context: BotContext) -> int:
    """Buttons on a claim notice: start review, approve at the ceiling, mark paid, confirm return, close;
    "other amount" and "reject" ask for the amount or the reason first."""
    await answer_query(update)
    action, claim_no = update.callback_query.data.action, update.callback_query.data.claim_no
    await close_keyboard(update, context)
    if action in ("approve_other", "reject", "ask_info"):
        context.user_data[KEY] = {"claim_no": claim_no, "action": action}
        await reprompt(update, context)
        return {"approve_other": AMOUNT, "reject": REASON, "ask_info": INFO}[action]
    await _act(update, context, claim_no, action)
    return ConversationHandler.END


async def reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(KEY)
    if state is None:
        return
    claim = await claims_workflow.get_claim(context.services, state["claim_no"])
    macro = {"approve_other": "ask_amount", "reject": "ask_reason", "ask_info": "ask_info"}[state["action"]]
    await send(update, context.line("staff", macro, claim_no=claim.claim_no, ceiling=from_fen(claim.ceiling_fen)),
               reply_markup=keyboard([[(context.line("common", "cancel"), CANCEL)]]))


@staff_only
async def amount_typed(update: Update, context: BotContext) -> int:
    state = context.user_data[KEY]
    amount = await amount_from(update, context, context.line("staff", "amount_field"))
    if amount is None:
        return AMOUNT
    try:
        await _act(update, context, state["claim_no"], "approve", raise_above_ceiling=True, amount=amount)
    except ClaimRefused as exc:
        await send(update, context.line("staff", "above_ceiling", ceiling=exc.ceiling))
        return AMOUNT
    context.user_data.pop(KEY, None)
    return ConversationHandler.END


@staff_only
async def reason_typed(update: Update, context: BotContext) -> int:
    state = context.user_data.pop(KEY)
    reason = update.message.text.strip()
    if await _act(update, context, state["claim_no"], "reject", note=reason):
        await send(update, context.line("staff", "rejected_done", claim_no=state["claim_no"], reason=reason))
    return ConversationHandler.END


@staff_only
async def info_typed(update: Update, context: BotContext) -> int:
    state = context.user_data.pop(KEY)
    notes = await claims_workflow.ask_bank(context.services, state["claim_no"], update.message.text.strip(),
                                           actor=f"user:{update.effective_user.id}")
    await push(context.bot, context.services, notes)
    await send(update, context.line("staff", "info_sent"))
    return ConversationHandler.END


@staff_only
async def review(update: Update, context: BotContext) -> None:
    """``/review``: one message listing the claims waiting for staff, oldest first, a page at a time, each a
    button that opens it; then the suspension approvals and the fund's pause, if any."""
    desk = await claims_workflow.review_desk(context.services)
    decisions = await claims_workflow.desk_decisions(context.services, update.effective_chat.id)
    if not desk.total and not decisions:
        await send(update, context.line("staff", "review_empty"))
        return
    if desk.total:
        text, markup = _desk_screen(context, desk)
        await send(update, text, reply_markup=markup)
    await push(context.bot, context.services, decisions)


def _desk_screen(context: BotContext, desk: claims_workflow.ReviewDesk):
    rows = [[(context.line("staff", "btn_open_claim", claim_no=c.claim_no), ReviewOpen(c.claim_no))]
            for c in desk.claims]
    return context.line("staff", "review_desk", desk=desk), paged_keyboard(context, rows, desk, ReviewPage)


@staff_only
async def review_paged(update: Update, context: BotContext) -> None:
    await answer_query(update)
    desk = await claims_workflow.review_desk(context.services, update.callback_query.data.offset)
    await show_page(update, context, *(_desk_screen(context, desk) if desk.total
                                       else (context.line("staff", "review_empty"), None)))


@staff_only
async def review_opened(update: Update, context: BotContext) -> None:
    await answer_query(update)
    claim_no = update.callback_query.data.claim_no
    note = await claims_workflow.review_notice(context.services, update.effective_chat.id, claim_no)
    if note is None:
        await send(update, context.line("staff", "claim_gone", claim_no=claim_no))
        return
    await push(context.bot, context.services, [note])


@staff_only
async def report(update: Update, context: BotContext) -> None:
    """``/report``: the chart as a photo, then the exports."""
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_PHOTO)
    files = await build_report(context.services, context.locale, today())
    chat = update.effective_chat
    await chat.send_photo(files.pop("report.png"), caption=context.line("report", "caption", today=today().isoformat()))
    for name, data in files.items():
        await chat.send_document(data, filename=name)


@staff_only
async def audit_log(update: Update, context: BotContext) -> None:
    """``/audit [claim number | bank]``: the changes, newest first, a page at a time, who, when, what, and
    each changed field before → after, amounts in yuan."""
    asked = " ".join(arg for arg in (context.args or []) if not arg.isdigit()).strip()
    found = await audit_filter(context.services, asked) if asked else None
    if asked and found is None:
        await send(update, context.line("audit", "unknown_filter", text=asked))
        return
    entity, entity_id, subject = found or (None, None, None)
    text, markup = await _audit_screen(context, AuditPage(0, entity, entity_id, subject))
    await send(update, text, reply_markup=markup)


@staff_only
async def audit_paged(update: Update, context: BotContext) -> None:
    await answer_query(update)
    await show_page(update, context, *await _audit_screen(context, update.callback_query.data))


async def _audit_screen(context: BotContext, page: AuditPage):
    view = await audit_page(context.services, page.offset, page.entity, page.entity_id, page.subject)
    markup = paged_keyboard(context, [], view, lambda offset: AuditPage(offset, page.entity, page.entity_id, page.subject),
                            BY_AGE)
    return context.line("audit", "page", view=view), markup


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    return [
        conversation(
            "review",
            entry_points=[CallbackQueryHandler(claim_button, pattern=ClaimAction)],
            states={AMOUNT: [MessageHandler(text, amount_typed)], REASON: [MessageHandler(text, reason_typed)],
                    INFO: [MessageHandler(text, info_typed)]},
            key=KEY,
            reprompt=reprompt,
        ),
        CommandHandler("invite", invite),
        CallbackQueryHandler(invite_chosen, pattern=InviteBank),
        CommandHandler("officers", officers),
        CallbackQueryHandler(revoke, pattern=RevokeOfficer),
        CallbackQueryHandler(officers_paged, pattern=OfficersPage),
        CommandHandler("monitor", monitor),
        conversation(
            "fund_decision",
            entry_points=[CommandHandler("fund_resume", fund_resume), CommandHandler("fund_pause", fund_pause),
                          CallbackQueryHandler(resume_button, pattern=lambda data: isinstance(data, FundAction) and data.action == "resume")],
            states={NOTE: [MessageHandler(text, fund_note_typed)],
                    CONFIRM: [CallbackQueryHandler(fund_confirmed, pattern=is_button(FundAction("confirm")))]},
            key=FUND_KEY,
            reprompt=fund_reprompt,
        ),
        CommandHandler("review", review),
        CallbackQueryHandler(from_menu(review), pattern=is_button(MENU_REVIEW)),
        CommandHandler("report", report),
        CallbackQueryHandler(from_menu(report), pattern=is_button(MENU_REPORT)),
        CommandHandler("audit", audit_log),
        CallbackQueryHandler(from_menu(audit_log), pattern=is_button(MENU_AUDIT)),
        CallbackQueryHandler(audit_paged, pattern=AuditPage),
        CallbackQueryHandler(review_paged, pattern=ReviewPage),
        CallbackQueryHandler(review_opened, pattern=ReviewOpen),
        CallbackQueryHandler(suspension_decided, pattern=SuspensionDecision),
    ]
