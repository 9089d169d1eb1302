"""/profile: a bound enterprise records its region and industry, so staff can address broadcasts to them."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.services.onboarding import enterprise_of_chat, set_profile
from bot.services.buttons import Step, is_button
from bot.telegram_adapter.common import CANCEL, answer_query, conversation, send
from bot.telegram_adapter.context import BotContext, keyboard

REGION, INDUSTRY = range(2)
KEY = "profile"
KEEP = Step(KEY, "keep")
#: The longest region or industry name kept.
MAX_LENGTH = 40


async def start(update: Update, context: BotContext) -> int:
    enterprise = await enterprise_of_chat(context.services, update.effective_chat.id)
    if enterprise is None:
        await send(update, context.line("bind", "need_bind"))
        return ConversationHandler.END
    context.user_data[KEY] = {"enterprise_id": enterprise.id, "region": enterprise.region,
                              "industry": enterprise.industry}
    await reprompt(update, context)
    return REGION


async def reprompt(update: Update, context: BotContext) -> None:
    state = context.user_data.get(KEY)
    if state is None:
        return
    step = "region" if "region_done" not in state else "industry"
    await send(update, context.line("profile", f"ask_{step}", current=state[step]),
               reply_markup=keyboard([[(context.line("profile", "btn_keep"), KEEP)],
                                      [(context.line("common", "cancel"), CANCEL)]]))


async def _next(update: Update, context: BotContext, value: str | None) -> int:
    state = context.user_data[KEY]
    if "region_done" not in state:
        state["region"], state["region_done"] = value if value is not None else state["region"], True
        await reprompt(update, context)
        return INDUSTRY
    state = context.user_data.pop(KEY)
    industry = value if value is not None else state["industry"]
    await set_profile(context.services, state["enterprise_id"], state["region"], industry,
                      actor=f"user:{update.effective_user.id}")
    await send(update, context.line("profile", "saved", region=state["region"], industry=industry))
    return ConversationHandler.END


async def typed(update: Update, context: BotContext) -> int:
    value = update.message.text.strip()
    if not value or len(value) > MAX_LENGTH:
        await send(update, context.line("profile", "too_long", limit=MAX_LENGTH))
        return REGION if "region_done" not in context.user_data[KEY] else INDUSTRY
    return await _next(update, context, value)


async def keep(update: Update, context: BotContext) -> int:
    await answer_query(update)
    return await _next(update, context, None)


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    steps = [MessageHandler(text, typed), CallbackQueryHandler(keep, pattern=is_button(KEEP))]
    return [conversation("profile", entry_points=[CommandHandler("profile", start)],
                         states={REGION: steps, INDUSTRY: steps}, key=KEY, reprompt=reprompt)]
