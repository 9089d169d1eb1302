"""/estimate: loan principal, principal loss, days overdue, compensation already received this year ->
the fund's maximum, the insurer's minimum and the bank's part, with the cap that bound it and the article.
The answer is the same template as ``ipbot compensate``: an estimate of the ceiling, not a decision."""

from decimal import Decimal

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.rules.amounts import parse_days
from bot.rules.compensation import InvalidClaimInput
from bot.services import claims_workflow
from bot.texts import TEXTS
from bot.services.buttons import ProgramChoice, Step, is_button
from bot.telegram_adapter.common import CANCEL, amount_from, answer_query, conversation, program_rows, send
from bot.telegram_adapter.context import BotContext, keyboard
from handlers.start import MENU_ESTIMATE

PROGRAM, LOAN, LOSS, DAYS, PAID = range(5)
KEY = "estimate"
BACK, SKIP_DAYS, NONE_PAID = Step(KEY, "back"), Step(KEY, "skip_days"), Step(KEY, "none_paid")
STEPS = {LOAN: "loan", LOSS: "loss", DAYS: "days", PAID: "paid"}


def _state(context: BotContext) -> dict:
    return context.user_data.setdefault(KEY, {"program": None, "step": PROGRAM})


async def start(update: Update, context: BotContext) -> int:
    await answer_query(update)
    programs = context.services.programs
    context.user_data[KEY] = {"program": programs[0].id if len(programs) == 1 else None,
                              "step": LOAN if len(programs) == 1 else PROGRAM}
    await reprompt(update, context)
    return context.user_data[KEY]["step"]


async def reprompt(update: Update, context: BotContext) -> None:
    state = _state(context)
    step = state["step"]
    cancel = (context.line("common", "cancel"), CANCEL)
    back = [(context.line("common", "back"), BACK)] if step > LOAN else []
    if step == PROGRAM:
        await send(update, context.line("common", "program_pick"), reply_markup=keyboard(program_rows(context, KEY) + [[cancel]]))
        return
    extra = []
    if step == DAYS:
        extra = [(context.line("estimate", "btn_skip_days"), SKIP_DAYS)]
    elif step == PAID:
        extra = [(context.line("estimate", "btn_none_paid"), NONE_PAID)]
    await send(update, context.line("estimate", f"ask_{STEPS[step]}"), reply_markup=keyboard([extra, back + [cancel]]))


async def _advance(update: Update, context: BotContext, step: int) -> int:
    _state(context)["step"] = step
    await reprompt(update, context)
    return step


async def program_chosen(update: Update, context: BotContext) -> int:
    await answer_query(update)
    program_id = update.callback_query.data.program_id
    if program_id not in context.services.settings.programs:
        return PROGRAM
    _state(context)["program"] = program_id
    return await _advance(update, context, LOAN)


async def _amount(update: Update, context: BotContext, field: str, *, allow_zero: bool = False) -> Decimal | None:
    return await amount_from(update, context, context.line("estimate", "field", name=field), allow_zero=allow_zero)


async def loan_received(update: Update, context: BotContext) -> int:
    amount = await _amount(update, context, "loan")
    if amount is None:
        return LOAN
    _state(context)["loan"] = str(amount)
    return await _advance(update, context, LOSS)


async def loss_received(update: Update, context: BotContext) -> int:
    amount = await _amount(update, context, "loss")
    if amount is None:
        return LOSS
    if amount > Decimal(_state(context)["loan"]):
        await send(update, context.line("errors", "claim_input", code="loss_exceeds_principal"))
        return LOSS
    _state(context)["loss"] = str(amount)
    return await _advance(update, context, DAYS)


async def days_received(update: Update, context: BotContext) -> int:
    try:
        _state(context)["days"] = parse_days(update.message.text)
    except ValueError:
        await send(update, context.line("estimate", "bad_days", value=update.message.text.strip()))
        return DAYS
    return await _advance(update, context, PAID)


async def days_skipped(update: Update, context: BotContext) -> int:
    await answer_query(update)
    _state(context)["days"] = None
    return await _advance(update, context, PAID)


async def paid_received(update: Update, context: BotContext) -> int:
    amount = await _amount(update, context, "paid", allow_zero=True)
    if amount is None:
        return PAID
    return await _finish(update, context, amount)


async def none_paid(update: Update, context: BotContext) -> int:
    await answer_query(update)
    return await _finish(update, context, Decimal(0))


async def back(update: Update, context: BotContext) -> int:
    await answer_query(update)
    step = _state(context)["step"]
    return await _advance(update, context, max(LOAN, step - 1))


async def _finish(update: Update, context: BotContext, paid: Decimal) -> int:
    state = context.user_data.pop(KEY)
    pack = context.services.packs[state["program"]]
    loan, loss = Decimal(state["loan"]), Decimal(state["loss"])
    try:
        result = await claims_workflow.estimate(context.services, pack, loan, loss, state["days"], paid)
    except InvalidClaimInput as exc:
        await send(update, context.line("errors", "claim_input", code=exc.code))
        return ConversationHandler.END
    reasons = TEXTS.reasons(context.locale, result.reasons)
    text = context.t("compensate", program=pack.meta, loan=loan, loss=loss,
                     result=result, reasons=reasons)
    await send(update, text, reply_markup=keyboard([[(context.line("estimate", "btn_again"), MENU_ESTIMATE)]]))
    return ConversationHandler.END


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    return [conversation(
        "estimate",
        entry_points=[CommandHandler("estimate", start), CallbackQueryHandler(start, pattern=is_button(MENU_ESTIMATE)),
                      CommandHandler("start", start, filters.Regex(r"^/start estimate$"))],
        states={
            PROGRAM: [CallbackQueryHandler(program_chosen, pattern=ProgramChoice)],
            LOAN: [MessageHandler(text, loan_received)],
            LOSS: [MessageHandler(text, loss_received), CallbackQueryHandler(back, pattern=is_button(BACK))],
            DAYS: [MessageHandler(text, days_received), CallbackQueryHandler(days_skipped, pattern=is_button(SKIP_DAYS)),
                   CallbackQueryHandler(back, pattern=is_button(BACK))],
            PAID: [MessageHandler(text, paid_received), CallbackQueryHandler(none_paid, pattern=is_button(NONE_PAID)),
                   CallbackQueryHandler(back, pattern=is_button(BACK))],
        },
        key=KEY,
        reprompt=reprompt,
    )]
