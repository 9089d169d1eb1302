"""Policy Q&A in chat: free text outside a conversation and ``/ask TEXT``; the best article quoted and
cited, up to two more as buttons, and an honest "not found" with a hint."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services.buttons import ArticleLink
from bot.telegram_adapter.common import answer_query, send
from bot.telegram_adapter.context import BotContext, keyboard

MORE_ANSWERS = 2


async def _answer(update: Update, context: BotContext, question: str) -> None:
    answers = context.services.qa.ask(question)
    if not answers:
        await send(update, context.line("ask", "not_found", question=question))
        return
    best, more = answers[0], answers[1:1 + MORE_ANSWERS]
    packs = context.services.packs
    text = context.line("ask", "answer", program=packs[best.policy].meta, article=best.article,
                        title=best.title, text=best.text)
    buttons = [[(context.line("ask", "btn_article", program=packs[a.policy].meta, article=a.article,
                              title=a.title), ArticleLink(a.policy, a.article))] for a in more]
    if buttons:
        text += "\n\n" + context.line("ask", "more")
    await send(update, text, reply_markup=keyboard(buttons) if buttons else None)


async def ask_command(update: Update, context: BotContext) -> None:
    question = " ".join(context.args or [])
    if not question.strip():
        await send(update, context.line("ask", "usage"))
        return
    await _answer(update, context, question)


async def free_text(update: Update, context: BotContext) -> None:
    await _answer(update, context, update.message.text)


async def show_article(update: Update, context: BotContext) -> None:
    """An article's full text, from an "依据" or "more answers" button."""
    await answer_query(update)
    link = update.callback_query.data
    pack = context.services.packs.get(link.policy)
    article = next((a for a in pack.articles if a.ref == link.ref), None) if pack else None
    if article is None:
        await send(update, context.line("ask", "unknown_article"))
        return
    await send(update, context.line("ask", "answer", program=pack.meta, article=article.ref,
                                    title=article.title, text=article.text))


def handlers() -> list:
    return [CommandHandler("ask", ask_command), CallbackQueryHandler(show_article, pattern=ArticleLink)]


def fallback_handlers() -> list:
    """Registered last: any text no conversation or command took is a question."""
    return [MessageHandler(filters.TEXT & ~filters.COMMAND, free_text)]
