"""/claims: the claims this chat may see, newest first, or one claim by its number."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services.claim_lookup import processes, visible_claim, visible_claims
from bot.services.onboarding import identify
from bot.services.buttons import is_button
from bot.telegram_adapter.common import answer_query, send
from bot.telegram_adapter.context import BotContext
from handlers.start import MENU_CLAIMS


async def claims(update: Update, context: BotContext) -> None:
    await answer_query(update)
    me = await identify(context.services, update.effective_chat.id, update.effective_user.id)
    if context.args:
        claim = await visible_claim(context.services, me, context.args[0])
        if claim is None:
            await send(update, context.line("claims", "not_found", claim_no=context.args[0]))
        else:
            await send(update, context.line("claims", "detail", c=claim, process=processes(context.services)[claim.program_id]))
        return
    found = await visible_claims(context.services, me)
    if found is None:
        await send(update, context.line("bind", "need_bind"))
        return
    who = (me.enterprise.name if me.role == "enterprise" else me.bank.name if me.role == "officer"
           else context.line("claims", "everyone"))
    if not found:
        await send(update, context.line("claims", "empty", who=who))
    else:
        await send(update, context.line("claims", "listing", claims=found, who=who, processes=processes(context.services)))


def handlers() -> list:
    return [CommandHandler("claims", claims), CallbackQueryHandler(claims, pattern=is_button(MENU_CLAIMS))]
