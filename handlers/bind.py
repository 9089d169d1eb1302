"""/bind: an enterprise binds its chat by unified social credit code and name, confirmed by an officer of a
bank that lent to it or by staff before the chat sees anything; a chat already bound gets its bindings listed,
to switch between them, remove one (asked once) or bind another."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.clock import now
from bot.rules.credit_code import check_credit_code
from bot.services.onboarding import (
    BINDING_CODE_PREFIX, bind_enterprise, bindings, chat_locale, decide_binding, enterprise_by_id,
    issue_binding_code, officer_may_confirm, officers_who_can_confirm, redeem_binding_code, remember_chat,
    remove_binding, switch_binding,
)
from bot.services.officers import person
from bot.services.notify import Notification, to_all
from bot.services.buttons import BankBindingDecision, BindingChoice, BindingDecision, Step, is_button
from bot.telegram_adapter.common import CANCEL, answer_query, close_keyboard, conversation, send
from bot.telegram_adapter.context import BotContext, keyboard
from bot.telegram_adapter.push import push
from handlers.start import MENU_BIND, refresh_menu

CODE, CONFIRM_MANUAL, NAME = range(3)
KEY = "bind"
MANUAL, RETRY, BIND_NEW = Step(KEY, "manual"), Step(KEY, "retry"), Step(KEY, "new")


def _cancel_row(context: BotContext) -> list:
    return [(context.line("common", "cancel"), CANCEL)]


async def start(update: Update, context: BotContext) -> int:
    """A chat with bindings sees them first (switch, remove, or bind another); otherwise the code is asked."""
    await answer_query(update)
    wants_new = update.callback_query is not None and update.callback_query.data == BIND_NEW
    if not wants_new and await _list_bindings(update, context):
        return ConversationHandler.END
    context.user_data[KEY] = {}
    await reprompt(update, context)
    return CODE


async def _list_bindings(update: Update, context: BotContext) -> bool:
    """The chat's bindings with a button for each thing it may do; ``False`` when it has none."""
    found = await bindings(context.services, update.effective_chat.id)
    if not found:
        return False
    rows = [[(context.line("bind", "btn_switch", name=b.enterprise.name), BindingChoice("switch", b.enterprise.id))]
            for b in found if b.status == "active" and not b.current]
    rows += [[(context.line("bind", "btn_remove", name=b.enterprise.name), BindingChoice("remove", b.enterprise.id))]
             for b in found]
    rows.append([(context.line("bind", "btn_bind_new"), BIND_NEW)])
    await send(update, context.line("bind", "listed", bindings=found), reply_markup=keyboard(rows))
    return True


async def binding_chosen(update: Update, context: BotContext) -> None:
    """Switch to another bound enterprise, or remove a binding (the first press asks, the second acts)."""
    await answer_query(update)
    choice = update.callback_query.data
    chat_id = update.effective_chat.id
    enterprise = await enterprise_by_id(context.services, choice.enterprise_id)
    if enterprise is None:
        await send(update, context.line("common", "menu_expired"))
        return
    if choice.action == "remove":
        confirm = BindingChoice("remove_confirmed", enterprise.id)
        await send(update, context.line("bind", "remove_confirm", name=enterprise.name),
                   reply_markup=keyboard([[(context.line("bind", "btn_remove_confirm"), confirm),
                                           _cancel_row(context)[0]]]))
        return
    await close_keyboard(update, context)
    if choice.action == "switch":
        done = await switch_binding(context.services, chat_id, enterprise.id)
    else:
        done = await remove_binding(context.services, chat_id, enterprise.id, actor=f"user:{update.effective_user.id}")
    if not done:
        await send(update, context.line("common", "menu_expired"))
        return
    await send(update, context.line("bind", "switch_done" if choice.action == "switch" else "remove_done",
                                    name=enterprise.name))
    await refresh_menu(context, chat_id, update.effective_user.id, context.locale)


async def reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(KEY, {})
    if "code" not in state:
        await send(update, context.line("bind", "ask_code"), reply_markup=keyboard([_cancel_row(context)]))
    else:
        macro = "ask_name_manual" if state.get("manual") else "ask_name"
        await send(update, context.line("bind", macro, code=state["code"]), reply_markup=keyboard([_cancel_row(context)]))


async def code_received(update: Update, context: BotContext) -> int:
    check = check_credit_code(update.message.text)
    shown = check.code or update.message.text.strip()
    if check.problem in ("length", "charset"):
        await send(update, context.line("bind", f"code_{check.problem}", code=shown))
        return CODE
    if check.problem == "check_digit":
        context.user_data[KEY] = {"pending_code": check.code}
        await send(update, context.line("bind", "code_check_digit", code=check.code), reply_markup=keyboard([
            [(context.line("bind", "btn_manual"), MANUAL), (context.line("bind", "btn_retry"), RETRY)],
            _cancel_row(context)]))
        return CONFIRM_MANUAL
    context.user_data[KEY] = {"code": check.code, "org_warning": bool(check.warnings)}
    await reprompt(update, context)
    return NAME


async def manual_chosen(update: Update, context: BotContext) -> int:
    await answer_query(update)
    state = context.user_data.get(KEY, {})
    if update.callback_query.data == RETRY or "pending_code" not in state:
        context.user_data[KEY] = {}
        await reprompt(update, context)
        return CODE
    context.user_data[KEY] = {"code": state["pending_code"], "manual": True}
    await reprompt(update, context)
    return NAME


async def name_received(update: Update, context: BotContext) -> int:
    name = update.message.text.strip()
    if not name:
        await send(update, context.line("bind", "name_empty"))
        return NAME
    state = context.user_data.pop(KEY, {})
    chat, user = update.effective_chat, update.effective_user
    await remember_chat(context.services, chat.id, context.locale, user.full_name, user.username)
    result = await bind_enterprise(context.services, chat.id, check_credit_code(state["code"]), name,
                                   actor=f"user:{update.effective_user.id}")
    enterprise = result.enterprise
    if result.status == "already_bound":
        await send(update, context.line("bind", "already_bound", name=enterprise.name))
        return ConversationHandler.END
    officers = await officers_who_can_confirm(context.services, enterprise)
    text = context.line("bind", "pending", name=name, code=enterprise.credit_code, bank_can_confirm=bool(officers))
    if state.get("org_warning"):
        text += "\n" + context.line("bind", "org_warning")
    await send(update, text)
    await push(context.bot, context.services,
               await _confirmation_requests(context, enterprise, chat.id, result.status, name, officers))
    return ConversationHandler.END


async def _confirmation_requests(context: BotContext, enterprise, chat_id: int, status: str, given_name: str,
                           officers: list[int]) -> list[Notification]:
    """Staff are asked with the reason a request is doubtful; the lending banks' officers with the name given."""
    params = {"name": enterprise.name, "code": enterprise.credit_code, "person": await person(context.services, chat_id),
              "status": status, "given_name": given_name}
    staff_buttons = ((("btn_approve", BindingDecision(True, enterprise.id, chat_id)),
                      ("btn_reject", BindingDecision(False, enterprise.id, chat_id))),)
    bank_buttons = ((("btn_approve", BankBindingDecision(True, enterprise.id, chat_id)),
                     ("btn_reject", BankBindingDecision(False, enterprise.id, chat_id))),)
    return (to_all(context.services.settings.staff_ids, "bind", "staff_notice", params, staff_buttons)
            + to_all(officers, "bind", "bank_notice", params, bank_buttons))


async def staff_decides(update: Update, context: BotContext) -> None:
    """A staff member confirms or refuses a pending binding."""
    await answer_query(update)
    if not context.services.is_staff(update.effective_user.id):
        await send(update, context.line("common", "staff_only"))
        return
    await _decided(update, context)


async def bank_decides(update: Update, context: BotContext) -> None:
    """An officer of a bank that lent to the enterprise confirms or refuses a pending binding."""
    await answer_query(update)
    enterprise = await enterprise_by_id(context.services, update.callback_query.data.enterprise_id)
    if enterprise is None or not await officer_may_confirm(context.services, update.effective_chat.id, enterprise):
        await send(update, context.line("bind", "not_your_borrower"))
        return
    await _decided(update, context)


async def _decided(update: Update, context: BotContext) -> None:
    decision = update.callback_query.data
    approve, enterprise_id, chat_id = decision.approve, decision.enterprise_id, decision.chat_id
    if not await decide_binding(context.services, enterprise_id, chat_id, approve, actor=f"user:{update.effective_user.id}"):
        await send(update, context.line("bind", "already_decided"))
        return
    await close_keyboard(update, context)
    await send(update, context.line("bind", "decided_staff", approve=approve))
    enterprise = await enterprise_by_id(context.services, enterprise_id)
    await push(context.bot, context.services, [Notification(
        chat_id, "bind", "approved_user" if approve else "rejected_user", {"name": enterprise.name})])
    if approve:
        await refresh_menu(context, chat_id, None, await chat_locale(context.services, chat_id))


async def binding_code(update: Update, context: BotContext) -> None:
    """``/bindcode CREDIT_CODE``: staff, or an officer of a bank that lent to the enterprise, get a one-time link
    to give a person they know at the enterprise; opening it binds that person's chat at once."""
    if len(context.args or []) != 1:
        await send(update, context.line("bind", "bindcode_usage"))
        return
    issued = await issue_binding_code(context.services, context.args[0], update.effective_chat.id,
                                      update.effective_user.id, now())
    if issued.status != "ok":
        await send(update, context.line("bind", f"bindcode_{issued.status}", code=context.args[0]))
        return
    await send(update, context.line("bind", "bindcode_created", name=issued.enterprise.name,
                                    code=issued.enterprise.credit_code,
                                    link=f"https://t.me/{context.bot.username}?start={issued.payload}",
                                    expires_at=issued.expires_at.strftime("%Y-%m-%d %H:%M")))


async def code_opened(update: Update, context: BotContext) -> None:
    """``/start ent-...``: a binding code opened; the chat is bound to its enterprise at once."""
    chat, user = update.effective_chat, update.effective_user
    await remember_chat(context.services, chat.id, context.locale, user.full_name, user.username)
    status, enterprise = await redeem_binding_code(context.services, context.args[0], chat.id, now())
    await send(update, context.line("bind", f"code_{status}", name=enterprise.name if enterprise else ""))
    if status == "ok":
        await refresh_menu(context, chat.id, user.id, context.locale)


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    return [
        conversation(
            "bind",
            entry_points=[CommandHandler("bind", start), CallbackQueryHandler(start, pattern=is_button(MENU_BIND)),
                          CommandHandler("start", start, filters.Regex(r"^/start bind$")),
                          CallbackQueryHandler(start, pattern=is_button(BIND_NEW))],
            states={
                CODE: [MessageHandler(text, code_received)],
                CONFIRM_MANUAL: [CallbackQueryHandler(manual_chosen, pattern=lambda data: data in (MANUAL, RETRY)),
                                 MessageHandler(text, code_received)],
                NAME: [MessageHandler(text, name_received)],
            },
            key=KEY,
            reprompt=reprompt,
        ),
        CallbackQueryHandler(binding_chosen, pattern=BindingChoice),
        CommandHandler("bindcode", binding_code),
        CommandHandler("start", code_opened, filters.Regex(rf"^/start {BINDING_CODE_PREFIX}")),
        CallbackQueryHandler(staff_decides, pattern=BindingDecision),
        CallbackQueryHandler(bank_decides, pattern=BankBindingDecision),
    ]
