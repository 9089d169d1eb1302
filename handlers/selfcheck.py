"""/check: the eligibility self-check, one question at a time with the pack's options as buttons,
a step back, and the verdict with every reason and its article on demand."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.rules.selfcheck import InvalidAnswer, chosen_option, evaluate, next_question
from bot.texts import TEXTS
from bot.services.buttons import Answer, ArticleLink, ProgramChoice, Step, is_button
from bot.telegram_adapter.common import (CANCEL, answer_query, close_keyboard, conversation, program_rows, send,
                                         typed_choice)
from bot.telegram_adapter.context import BotContext, keyboard
from handlers.start import MENU_CHECK

PROGRAM, ANSWER = range(2)
KEY = "selfcheck"
BACK = Step(KEY, "back")


def _option_rows(context: BotContext, question) -> list:
    buttons = [(context.line("selfcheck", "option", option=option), Answer(question.id, option.value))
               for option in question.options]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def start(update: Update, context: BotContext) -> int:
    await answer_query(update)
    programs = context.services.programs
    context.user_data[KEY] = {"program": programs[0].id if len(programs) == 1 else None, "answers": {}}
    if len(programs) > 1:
        await reprompt(update, context)
        return PROGRAM
    return await _ask(update, context)


async def reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(KEY)
    if state is None:
        return
    if state["program"] is None:
        await send(update, context.line("common", "program_pick"),
                   reply_markup=keyboard(program_rows(context, KEY) + [[(context.line("common", "cancel"), CANCEL)]]))
    else:
        await _ask(update, context)


async def program_chosen(update: Update, context: BotContext) -> int:
    await answer_query(update)
    program_id = update.callback_query.data.program_id
    if program_id not in context.services.settings.programs:
        return PROGRAM
    context.user_data[KEY] = {"program": program_id, "answers": {}}
    return await _ask(update, context)


async def _ask(update: Update, context: BotContext) -> int:
    state = context.user_data[KEY]
    pack = context.services.packs[state["program"]]
    question = next_question(pack, state["answers"])
    if question is None:
        return await _finish(update, context)
    total = len(pack.program.selfcheck)
    number = [q.id for q in pack.program.selfcheck].index(question.id) + 1
    text = context.line("selfcheck", "question", program=pack.meta, number=number, total=total,
                        text=context.line("selfcheck", "question_text", question=question))
    controls = ([(context.line("common", "back"), BACK)] if state["answers"] else []) + \
        [(context.line("common", "cancel"), CANCEL)]
    await send(update, text, reply_markup=keyboard(_option_rows(context, question) + [controls]))
    return ANSWER


async def answered(update: Update, context: BotContext) -> int:
    await answer_query(update)
    state = context.user_data[KEY]
    pack = context.services.packs[state["program"]]
    question_id, value = update.callback_query.data.question_id, update.callback_query.data.value
    current = next_question(pack, state["answers"])
    if current is None or current.id != question_id:
        await send(update, context.line("common", "follow_prompt"))
        return await _ask(update, context)
    try:
        option = chosen_option(current, value)
    except InvalidAnswer:
        return await _ask(update, context)
    await close_keyboard(update, context, context.line("selfcheck", "answered", question=update.callback_query.message.text,
                                                       answer=context.line("selfcheck", "option", option=option)))
    state["answers"][question_id] = value
    return await _ask(update, context)


async def answer_typed(update: Update, context: BotContext) -> int:
    """An option typed instead of pressed (是, 专利权, or the start of a longer label)."""
    state = context.user_data[KEY]
    current = next_question(context.services.packs[state["program"]], state["answers"])
    labels = {option.value: context.line("selfcheck", "option", option=option) for option in current.options}
    value = typed_choice(update.message.text, labels)
    if value is None:
        await send(update, context.line("common", "follow_prompt"))
    else:
        state["answers"][current.id] = value
    return await _ask(update, context)


async def back(update: Update, context: BotContext) -> int:
    await answer_query(update)
    answers = context.user_data[KEY]["answers"]
    if answers:
        answers.pop(next(reversed(answers)))
    await close_keyboard(update, context)
    return await _ask(update, context)


async def _finish(update: Update, context: BotContext) -> int:
    state = context.user_data.pop(KEY)
    pack = context.services.packs[state["program"]]
    result = evaluate(pack, state["answers"])
    reasons = TEXTS.reasons(context.locale, result.reasons)
    text = context.line("selfcheck", "verdict", program=pack.meta, verdict=result.verdict, reasons=reasons)
    refs = list(dict.fromkeys(r.article for r in result.reasons))
    buttons = [(context.line("selfcheck", "btn_article", ref=ref), ArticleLink(pack.id, ref)) for ref in refs]
    await send(update, text, reply_markup=keyboard([buttons[i:i + 3] for i in range(0, len(buttons), 3)]))
    return ConversationHandler.END


def handlers() -> list:
    return [conversation(
        "selfcheck",
        entry_points=[CommandHandler("check", start), CallbackQueryHandler(start, pattern=is_button(MENU_CHECK)),
                      CommandHandler("start", start, filters.Regex(r"^/start check$"))],
        states={
            PROGRAM: [CallbackQueryHandler(program_chosen, pattern=ProgramChoice)],
            ANSWER: [CallbackQueryHandler(answered, pattern=Answer),
                     CallbackQueryHandler(back, pattern=is_button(BACK)),
                     MessageHandler(filters.TEXT & ~filters.COMMAND, answer_typed)],
        },
        key=KEY,
        reprompt=reprompt,
    )]
