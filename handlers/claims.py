"""/claims: the claims this chat may see, newest first, or one claim by its number."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services.claim_lookup import processes, visible_claim, visible_claims
from bot.services.onboarding import identify
from bot.services.buttons import ClaimsListPage, is_button
from bot.telegram_adapter.common import BY_AGE, answer_query, paged_keyboard, send, show_page
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
    page = await visible_claims(context.services, me)
    if page is None:
        await send(update, context.line("bind", "need_bind"))
        return
    if not page.total:
        await send(update, context.line("claims", "empty", who=_who(context, me)))
        return
    text, markup = _listing(context, me, page)
    await send(update, text, reply_markup=markup)


async def claims_paged(update: Update, context: BotContext) -> None:
    await answer_query(update)
    me = await identify(context.services, update.effective_chat.id, update.effective_user.id)
    page = await visible_claims(context.services, me, update.callback_query.data.offset)
    if page is None or not page.total:
        return
    await show_page(update, context, *_listing(context, me, page))


def _who(context: BotContext, me) -> str:
    return (me.enterprise.name if me.role == "enterprise" else me.bank.name if me.role == "officer"
            else context.line("claims", "everyone"))


def _listing(context: BotContext, me, page):
    text = context.line("claims", "listing", page=page, who=_who(context, me), processes=processes(context.services))
    return text, paged_keyboard(context, [], page, ClaimsListPage, BY_AGE)


def handlers() -> list:
    return [CommandHandler("claims", claims), CallbackQueryHandler(claims, pattern=is_button(MENU_CLAIMS)),
            CallbackQueryHandler(claims_paged, pattern=ClaimsListPage)]
