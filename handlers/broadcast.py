"""/broadcast for staff: audience, text (``{{ name }}`` allowed), optional document, preview with the
recipient count, confirm; then a background send with a live progress message, a cancel button and a
final report. /broadcasts lists recent ones. Unfinished broadcasts resume at start-up."""

import asyncio
import logging

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.services import broadcast as engine
from bot.telegram_limits import MAX_CAPTION
from bot.services.broadcast import BroadcastEngine, Progress, TemplateProblem
from bot.services.notify import SendResult
from bot.telegram_adapter.push import attempt
from bot.services.container import Services
from bot.texts import TEXTS, pages
from bot.services.buttons import BroadcastStep, is_button
from bot.telegram_adapter.common import CANCEL, answer_query, close_keyboard, conversation, from_menu, send, staff_only
from bot.telegram_adapter.context import BotContext, keyboard
from handlers.start import MENU_BROADCAST

log = logging.getLogger(__name__)
AUDIENCE, PICK, TEXT, DOCUMENT, CONFIRM = range(5)
KEY = "broadcast"
NO_DOCUMENT, SEND = BroadcastStep("no_document"), BroadcastStep("send")
#: Beyond this many banks, regions or industries the choice is typed, not pressed (a keyboard has limits).
CHOICE_BUTTONS = 40


def telegram_sender(bot: Bot) -> engine.Sender:
    """Telegram's answers as the engine's outcomes (`bot.telegram_adapter.push.attempt`)."""

    async def deliver(chat_id: int, text: str, document: str | None) -> SendResult:
        async def go() -> None:
            if document is not None and len(text) <= MAX_CAPTION:
                await bot.send_document(chat_id, document, caption=text)
                return
            for chunk in pages(text):
                await bot.send_message(chat_id, chunk)
            if document is not None:
                await bot.send_document(chat_id, document)

        return await attempt(go)

    return deliver


def _tasks(app: Application) -> dict[int, asyncio.Task]:
    if not hasattr(app, "broadcast_tasks"):
        app.broadcast_tasks = {}
    return app.broadcast_tasks


def start_engine(app: Application, services: Services, broadcast_id: int, staff_chat: int,
                 progress_message_id: int | None) -> None:
    """Run one broadcast in the background (never inside a handler), editing the progress message."""
    bot = app.bot
    state = {"message_id": progress_message_id}

    async def on_progress(progress: Progress) -> None:
        locale = services.settings.locale
        text = TEXTS.line(locale, "broadcast", "progress", p=progress)
        markup = None if progress.finished else keyboard(
            [[(TEXTS.line(locale, "broadcast", "btn_stop"), BroadcastStep("stop", broadcast_id))]])
        try:
            if state["message_id"] is None:
                state["message_id"] = (await bot.send_message(staff_chat, text, reply_markup=markup)).message_id
            else:
                await bot.edit_message_text(text, staff_chat, state["message_id"], reply_markup=markup)
            if progress.finished:
                await bot.send_message(staff_chat, TEXTS.line(locale, "broadcast", "report", p=progress))
        except (BadRequest, Forbidden, NetworkError) as exc:
            log.warning("progress of broadcast %s not shown: %s", broadcast_id, exc)

    runner = BroadcastEngine(services, telegram_sender(bot), rate=services.settings.broadcast_rate,
                             on_progress=on_progress)
    task = asyncio.create_task(runner.run(broadcast_id), name=f"broadcast-{broadcast_id}")
    _tasks(app)[broadcast_id] = task

    def finished(done: asyncio.Task) -> None:
        _tasks(app).pop(broadcast_id, None)
        if not done.cancelled() and done.exception() is not None:
            log.warning("broadcast %s stopped (resumed by the next check): %s", broadcast_id, done.exception())

    task.add_done_callback(finished)


async def resume_unfinished(app: Application) -> None:
    """At start-up and every half minute: carry on with every broadcast still marked as sending that no task
    is sending (after a crash, a restart, or a database error such as a full disk that stopped its task)."""
    for broadcast in await engine.unfinished(app.services):
        if broadcast.id not in _tasks(app):
            start_engine(app, app.services, broadcast.id, broadcast.created_by, None)


async def stop_engines(app: Application) -> None:
    for task in list(_tasks(app).values()):
        task.cancel()
    await asyncio.gather(*_tasks(app).values(), return_exceptions=True)


# -- composing --------------------------------------------------------------------------------------

@staff_only
async def start(update: Update, context: BotContext) -> int:
    context.user_data[KEY] = {}
    await reprompt(update, context)
    return AUDIENCE


async def reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(KEY)
    if state is None:
        return
    cancel = [(context.line("common", "cancel"), CANCEL)]
    if "audience" not in state:
        rows = [[(context.line("broadcast", "audience", kind=kind), BroadcastStep("audience", kind))] for kind in engine.AUDIENCES]
        await send(update, context.line("broadcast", "ask_audience"), reply_markup=keyboard(rows + [cancel]))
    elif state["audience"] in ("bank", "region", "industry") and "value" not in state:
        choices = await engine.audience_choices(context.services, state["audience"])
        typed = len(choices) > CHOICE_BUTTONS
        rows = [] if typed else [[(label, BroadcastStep("value", value))] for label, value in choices]
        await send(update, context.line("broadcast", "ask_value", kind=state["audience"], empty=not choices,
                                        typed=typed, count=len(choices)),
                   reply_markup=keyboard(rows + [cancel]))
    elif "text" not in state:
        await send(update, context.line("broadcast", "ask_text"), reply_markup=keyboard([cancel]))
    else:
        await send(update, context.line("broadcast", "ask_document"),
                   reply_markup=keyboard([[(context.line("broadcast", "btn_no_document"), NO_DOCUMENT)], cancel]))


@staff_only
async def audience_chosen(update: Update, context: BotContext) -> int:
    await answer_query(update)
    kind = update.callback_query.data.value
    context.user_data[KEY] = {"audience": kind}
    await reprompt(update, context)
    return PICK if kind in ("bank", "region", "industry") else TEXT


@staff_only
async def value_chosen(update: Update, context: BotContext) -> int:
    await answer_query(update)
    context.user_data[KEY]["value"] = update.callback_query.data.value
    await reprompt(update, context)
    return TEXT


@staff_only
async def value_typed(update: Update, context: BotContext) -> int:
    """More choices than fit as buttons: staff type the bank, region or industry by name."""
    state = context.user_data[KEY]
    wanted = update.message.text.strip()
    match = next((value for label, value in await engine.audience_choices(context.services, state["audience"])
                  if label == wanted), None)
    if match is None:
        await send(update, context.line("broadcast", "value_unknown", kind=state["audience"], value=wanted))
        return PICK
    state["value"] = match
    await reprompt(update, context)
    return TEXT


@staff_only
async def text_typed(update: Update, context: BotContext) -> int:
    text = update.message.text
    try:
        engine.check_text(text)
    except TemplateProblem as exc:
        await send(update, context.line("broadcast", f"bad_{exc.code}", detail=exc.detail))
        return TEXT
    context.user_data[KEY]["text"] = text
    await reprompt(update, context)
    return DOCUMENT


async def _preview(update: Update, context: BotContext) -> int:
    state = context.user_data[KEY]
    found = await engine.recipients(context.services, state["audience"], state.get("value"))
    sample_name = next(iter(found.values()), "")
    sample = engine.check_text(state["text"]).render(name=sample_name)
    await send(update, context.line("broadcast", "preview", count=len(found), sample=sample,
                                    document=state.get("document_name")),
               reply_markup=keyboard([[(context.line("broadcast", "btn_send", count=len(found)), SEND),
                                       (context.line("common", "cancel"), CANCEL)]]))
    return CONFIRM


@staff_only
async def document_received(update: Update, context: BotContext) -> int:
    document = update.message.document
    context.user_data[KEY].update(document=document.file_id, document_name=document.file_name)
    return await _preview(update, context)


@staff_only
async def no_document(update: Update, context: BotContext) -> int:
    await answer_query(update)
    return await _preview(update, context)


@staff_only
async def confirmed(update: Update, context: BotContext) -> int:
    await answer_query(update)
    state = context.user_data.pop(KEY)
    await close_keyboard(update, context)
    broadcast_id, count = await engine.queue(context.services, update.effective_user.id, state["audience"],
                                             state.get("value"), state["text"], state.get("document"))
    message = await update.effective_chat.send_message(context.line("broadcast", "queued", count=count))
    start_engine(context.application, context.services, broadcast_id, update.effective_chat.id, message.message_id)
    return ConversationHandler.END


@staff_only
async def stop(update: Update, context: BotContext) -> None:
    await answer_query(update)
    broadcast_id = update.callback_query.data.value
    stopped = await engine.cancel(context.services, broadcast_id, actor=f"user:{update.effective_user.id}")
    if not stopped:
        await send(update, context.line("broadcast", "not_running"))


@staff_only
async def listing(update: Update, context: BotContext) -> None:
    items = await engine.recent_with_counts(context.services)
    await send(update, context.line("broadcast", "listing", items=items))


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    return [
        conversation(
            "broadcast",
            entry_points=[CommandHandler("broadcast", start),
                          CallbackQueryHandler(from_menu(start), pattern=is_button(MENU_BROADCAST))],
            states={
                AUDIENCE: [CallbackQueryHandler(audience_chosen, pattern=lambda data: isinstance(data, BroadcastStep) and data.action == "audience")],
                PICK: [CallbackQueryHandler(value_chosen, pattern=lambda data: isinstance(data, BroadcastStep) and data.action == "value"),
                       MessageHandler(text, value_typed)],
                TEXT: [MessageHandler(text, text_typed)],
                DOCUMENT: [MessageHandler(filters.Document.ALL, document_received),
                           CallbackQueryHandler(no_document, pattern=is_button(NO_DOCUMENT))],
                CONFIRM: [CallbackQueryHandler(confirmed, pattern=is_button(SEND))],
            },
            key=KEY,
            reprompt=reprompt,
        ),
        CallbackQueryHandler(stop, pattern=lambda data: isinstance(data, BroadcastStep) and data.action == "stop"),
        CommandHandler("broadcasts", listing),
    ]
