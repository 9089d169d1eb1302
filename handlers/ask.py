"""Policy Q&A in chat: free text outside a conversation and ``/ask TEXT``. The answer comes first, in one or two
lines with its figures in bold and the program and article it comes from; the whole article is a button away,
and up to two more articles are buttons naming their document. An English question is answered in English with
the Chinese article quoted. A question the documents don't cover is declined with the closest topics as
buttons (one too broad to answer, 「补偿多少」, is told so rather than that the documents are silent); a greeting
gets a greeting and /help."""

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services.buttons import ArticleLink
from bot.telegram_adapter.common import answer_query, send
from bot.telegram_adapter.context import BotContext, keyboard

MORE_ANSWERS = 2


def _article_button(context: BotContext, locale: str, answer, home: set[str]) -> list[tuple[str, ArticleLink]]:
    program = context.services.packs[answer.policy].meta
    label = context.line_in(locale, "ask", "btn_article", program=program, article=answer.article,
                            title=answer.title, other=bool(home) and answer.policy not in home)
    return [(label, ArticleLink(answer.policy, answer.article))]


async def _answer(update: Update, context: BotContext, question: str) -> None:
    reply = (await context.services.answerer()).reply(question)
    locale = "en" if reply.english else context.locale
    home = set(context.services.settings.programs)
    if reply.greeting:
        await send(update, context.line("ask", "greeting"))
        return
    if not reply.answers:
        buttons = [_article_button(context, locale, a, home) for a in reply.closest]
        declined = "too_broad" if reply.too_broad else "not_found"
        await send(update, context.line_in(locale, "ask", declined, question=question, has_closest=bool(buttons)),
                   reply_markup=keyboard(buttons) if buttons else None)
        return
    best, more = reply.answers[0], reply.answers[1:1 + MORE_ANSWERS]
    text = context.line_in(locale, "ask", "direct", program=context.services.packs[best.policy].meta,
                           article=best.article, title=(best.title_en if reply.english else None) or best.title,
                           direct=best.direct, other=bool(home) and best.policy not in home,
                           quote=best.text if reply.english else None)
    buttons = [[(context.line_in(locale, "ask", "btn_full"), ArticleLink(best.policy, best.article))]]
    buttons += [_article_button(context, locale, a, home) for a in more]
    if more:
        text += "\n\n" + context.line_in(locale, "ask", "more")
    await send(update, text, reply_markup=keyboard(buttons), parse_mode=ParseMode.HTML)


async def ask_command(update: Update, context: BotContext) -> None:
    question = " ".join(context.args or [])
    if not question.strip():
        await send(update, context.line("ask", "usage"))
        return
    await _answer(update, context, question)


async def free_text(update: Update, context: BotContext) -> None:
    await _answer(update, context, update.message.text)


async def show_article(update: Update, context: BotContext) -> None:
    """An article's full text, from an "依据", "full article" or "more answers" button."""
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
