"""The composition root: builds the PTB Application, registers handlers/, the error handler and menus."""

import hashlib

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.config import Settings
from bot.services.container import Services, open_services
from bot.telegram_adapter import jobs
from bot.telegram_adapter.context import BotContext, IpBotApplication
from bot.telegram_adapter.menu import set_default_menus
from bot.telegram_adapter.ordering import PerChatOrder
from bot.telegram_adapter.persistence import StorePersistence
from handlers import ask, bank, bind, broadcast, claims, errors, estimate, profile, selfcheck, staff, start

#: Token used against the local sandbox when no TELEGRAM_BOT_TOKEN is configured.
SANDBOX_TOKEN = "1000000:sandbox"
#: Seconds between writes of conversation state (each changed row; also at every clean shutdown).
PERSIST_EVERY = 1
#: A reply hit by Telegram's flood control waits out RetryAfter and is sent again, this many times.
RATE_LIMIT_RETRIES = 2
#: How many buttons' data are kept (arbitrary callback data); older buttons get "menu expired".
CALLBACK_CACHE = 4096
#: Updates handled at once (different chats; each chat's own run one at a time, in order): enough that a few
#: slow ones (an upload, a report) leave room for everyone else; more only adds contention for the HTTP pool.
CONCURRENT_UPDATES = 8
#: Seconds between checks for broadcasts left without a task (a crash, a full disk).
RESUME_BROADCASTS_EVERY = 30


def register(app: Application) -> None:
    """Handlers in one group, in order: conversations first (so their states see a user's input before
    anything else), then commands and buttons, then the catch-alls (free text is a question). A gate in
    group -2 lets through only new messages and presses in private chats; /start, /help and /lang in group -1
    answer in every state, leaving a dialog where it was."""
    app.add_handler(errors.gate(), group=-2)
    for handler in start.global_handlers():
        app.add_handler(handler, group=-1)
    for module in (broadcast, bank, staff, bind, profile, selfcheck, estimate, start, claims, ask, errors):
        for handler in module.handlers():
            app.add_handler(handler)
    for module in (ask, errors):
        for handler in module.fallback_handlers():
            app.add_handler(handler)
    app.add_error_handler(errors.on_error)
    jobs.schedule(app)
    app.job_queue.run_repeating(resume_broadcasts, interval=RESUME_BROADCASTS_EVERY, first=RESUME_BROADCASTS_EVERY,
                                name="resume-broadcasts")


async def resume_broadcasts(context: BotContext) -> None:
    await broadcast.resume_unfinished(context.application)


async def _post_init(app: Application) -> None:
    if app.services is None:
        app.services = await open_services(app.settings, exclusive=True)
    await set_default_menus(app.bot, app.services.settings.locale)
    await broadcast.resume_unfinished(app)


async def _post_shutdown(app: Application) -> None:
    await broadcast.stop_engines(app)
    if app.services is not None:
        await app.services.close()


def build_application(settings: Settings, *, services: Services | None = None, request: BaseRequest | None = None,
                      base_url: str | None = None, base_file_url: str | None = None,
                      rate_limiter: bool = True) -> Application:
    """The bot, unchanged whether it talks to Telegram, the sandbox, or a test's request-layer fake.

    Without ``services`` they are opened in ``post_init`` (inside the application's event loop)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    builder = (
        ApplicationBuilder()
        .application_class(IpBotApplication, kwargs={"services": services, "settings": settings})
        .token(settings.telegram_bot_token or SANDBOX_TOKEN)
        .context_types(ContextTypes(context=BotContext))
        .persistence(StorePersistence(settings.db_path, update_interval=PERSIST_EVERY))
        .arbitrary_callback_data(CALLBACK_CACHE)
        .concurrent_updates(PerChatOrder(CONCURRENT_UPDATES))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if base_url is not None:
        builder = builder.base_url(base_url).base_file_url(base_file_url or base_url)
    app = builder.build()
    register(app)
    return app


def run_polling(settings: Settings) -> None:
    build_application(settings).run_polling(allowed_updates=Update.ALL_TYPES)


def webhook_secrets(token: str) -> tuple[str, str]:
    """A path and a ``secret_token`` derived from the bot token, neither of which reveals it: Telegram sends
    the secret in ``X-Telegram-Bot-Api-Secret-Token`` and PTB refuses posts without it."""
    digest = hashlib.sha256(f"ipbot-webhook:{token}".encode()).hexdigest()
    return digest[:32], digest[32:]


def run_webhook(settings: Settings, url: str, listen: str, port: int) -> None:
    """Telegram posts updates to ``url`` plus a path derived from (but not showing) the token."""
    path, secret = webhook_secrets(settings.telegram_bot_token)
    build_application(settings).run_webhook(listen=listen, port=port, url_path=path, secret_token=secret,
                                            webhook_url=f"{url.rstrip('/')}/{path}", allowed_updates=Update.ALL_TYPES)
