"""The command line: ``ipbot`` / ``python -m bot`` (design.md, Contracts: CLI).

Each command imports what it needs when it runs: the calculators load neither jieba, openpyxl nor the
store, so they start about as fast as Python does.

``--json`` prints exactly one JSON object on stdout; without it the output is a readable summary in the
configured language. Bad input exits with status 2 and a message saying what to send instead (with
``--json`` also an ``{"error": ...}`` object); a policy pack that cannot be loaded exits with status 1.
"""

import argparse
import errno
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.clock import today
from bot.config import Settings
from bot.datadir_lock import DataDirBusy
from bot.imports import import_telegram
from bot.policies import PolicyLoadError, load_packs
from bot.rules.amounts import AmountError, parse_amount, parse_days
from bot.rules.claims import recovery_return
from bot.rules.compensation import ClaimFacts, InvalidClaimInput, compute_compensation
from bot.rules.loan_book import LoanBookError
from bot.rules.money import ZERO, yuan_str
from bot.rules.monitoring import fund_status, summarise_books
from bot.rules.policy import PolicyPack
from bot.texts import TEXTS

#: How many row errors a rejected loan book lists before "and N more".
ERROR_LIST_LIMIT = 50


class CliError(Exception):
    """Bad input: ``message`` is for the user, ``code`` for machines."""

    def __init__(self, code: str, message: str, status: int = 2):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Context:
    settings: Settings
    packs: dict[str, PolicyPack]
    locale: str
    as_json: bool

    def line(self, name: str, macro: str, /, **params: Any) -> str:
        return TEXTS.line(self.locale, name, macro, **params)

    def render(self, name: str, /, **params: Any) -> str:
        return TEXTS.render(self.locale, name, **params)


def _program(ctx: Context, program_id: str | None) -> PolicyPack:
    program_id = program_id or ctx.settings.programs[0]
    programs = [p.id for p in ctx.packs.values() if p.program is not None]
    pack = ctx.packs.get(program_id)
    if pack is None:
        raise CliError("unknown_program", ctx.line("errors", "unknown_program", value=program_id, known=list(ctx.packs)))
    if pack.program is None:
        raise CliError("not_a_program", ctx.line("errors", "not_a_program", value=program_id, known=programs))
    return pack


def _amount(ctx: Context, raw: str | None, option: str, *, allow_zero: bool = False) -> Decimal:
    if raw is None:
        return ZERO
    try:
        return parse_amount(raw, allow_zero=allow_zero)
    except AmountError as exc:
        raise CliError(f"amount_{exc.code}", ctx.line("errors", "amount", code=exc.code, field=option, value=raw)) from None


def _days(ctx: Context, raw: str | None, option: str) -> int | None:
    if raw is None:
        return None
    try:
        return parse_days(raw)
    except ValueError:
        raise CliError("bad_days", ctx.line("errors", "bad_days", field=option, value=raw)) from None


def _date(ctx: Context, raw: str | None, option: str) -> date:
    if raw is None:
        return today()
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise CliError("bad_date", ctx.line("errors", "bad_date", field=option, value=raw)) from None


def _read_file(ctx: Context, path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise CliError("file_unreadable", ctx.line("errors", "file_unreadable", path=path)) from None


def _readable(ctx: Context, path: str) -> Path:
    """The path of a file the command will stream (a loan book of any size is never read whole)."""
    try:
        with open(path, "rb"):
            return Path(path)
    except OSError:
        raise CliError("file_unreadable", ctx.line("errors", "file_unreadable", path=path)) from None


def _emit(ctx: Context, payload: dict, text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False) if ctx.as_json else text)


def cmd_compensate(ctx: Context, args: argparse.Namespace) -> int:
    """第十一、十四、十七、十九条: the fund's maximum for one claim."""
    pack = _program(ctx, args.program)
    facts = ClaimFacts(
        loan_principal=_amount(ctx, args.loan, "--loan"),
        principal_loss=_amount(ctx, args.loss, "--loss"),
        overdue_days=_days(ctx, args.overdue_days, "--overdue-days"),
        ip_pledged_principal=_amount(ctx, args.ip_pledged, "--ip-pledged") if args.ip_pledged else None,
        ip_loss=_amount(ctx, args.ip_loss, "--ip-loss") if args.ip_loss else None,
        paid_to_enterprise_this_year=_amount(ctx, args.paid_this_year, "--paid-this-year", allow_zero=True),
        fund_paid_cumulative=_amount(ctx, args.fund_paid, "--fund-paid", allow_zero=True),
        ip_type=_ip_type(ctx, args.ip_type),
        has_insurer=args.insurer,
    )
    try:
        result = compute_compensation(pack, facts)
    except InvalidClaimInput as exc:
        raise CliError(exc.code, ctx.line("errors", "claim_input", code=exc.code)) from None
    reasons = TEXTS.reasons(ctx.locale, result.reasons)
    payload = {
        "eligible": result.eligible,
        "fund": yuan_str(result.fund),
        "ratio": str(result.ratio.quantize(Decimal("0.01"))),
        "capped_by": result.capped_by,
        "insurer_min": yuan_str(result.insurer_min),
        "bank_max": yuan_str(result.bank_max),
        "reasons": reasons,
    }
    text = ctx.render("compensate", program=pack.meta, loan=facts.loan_principal,
                      loss=facts.principal_loss, result=result, reasons=reasons)
    _emit(ctx, payload, text)
    return 0


#: The pledges ``--ip-type`` accepts, joined with "+" for a pledge of several kinds.
IP_TYPES = ("patent", "trademark", "copyright", "other")


def _ip_type(ctx: Context, raw: str | None) -> str | None:
    if raw is None:
        return None
    kinds = [kind.strip().lower() for kind in raw.split("+")]
    if not all(kind in IP_TYPES for kind in kinds):
        raise CliError("bad_ip_type", ctx.line("errors", "bad_ip_type", value=raw, known=list(IP_TYPES)))
    return "+".join(kinds)


def cmd_recovery(ctx: Context, args: argparse.Namespace) -> int:
    """第十八条: what the bank returns to the fund from money recovered, and by when."""
    pack = _program(ctx, args.program)
    try:
        back = recovery_return(pack, _amount(ctx, args.recovered, "--recovered"), _amount(ctx, args.paid, "--paid"),
                               _amount(ctx, args.loss, "--loss"), _date(ctx, args.received_on, "--received-on"),
                               _amount(ctx, args.returned, "--returned", allow_zero=True))
    except ValueError:
        raise CliError("claim_input", ctx.line("errors", "claim_input", code="non_positive")) from None
    recovery = pack.program.recovery
    payload = {"return": yuan_str(back.amount), "share": str(back.share.quantize(Decimal("0.0001"))),
               "deadline": back.deadline.isoformat(), "article": recovery.return_days.article}
    _emit(ctx, payload, ctx.render("recovery", program=pack.meta, back=back, article=recovery.return_days.article,
                                   days=recovery.return_days.value))
    return 0


def _rejected(ctx: Context, exc: LoanBookError) -> CliError:
    message = ctx.render("loan_book_rejected", errors=exc.errors, limit=ERROR_LIST_LIMIT)
    error = CliError("loan_book_rejected", message)
    error.details = [{"row": e.row, "column": e.column, "code": e.code, "value": e.value} for e in exc.errors]
    return error


def cmd_monitor(ctx: Context, args: argparse.Namespace) -> int:
    """第十二条 over a loan book file, and the fund's state (第十九条)."""
    pack = _program(ctx, args.program)
    as_of = _date(ctx, args.as_of, "--as-of")
    fund_paid = _amount(ctx, args.fund_paid, "--fund-paid", allow_zero=True)
    data = _read_file(ctx, args.loans)
    try:
        from bot.services.loan_reading import read_loan_book
        loans = read_loan_book(data, args.loans)
    except LoanBookError as exc:
        raise _rejected(ctx, exc) from None
    books = summarise_books(pack.program, [loan for loan in loans if loan.issued_on <= as_of])
    fund = fund_status(pack.program, fund_paid)
    payload = {
        "banks": [{"bank": b.bank, "issued": yuan_str(b.exposure.issued), "overdue": yuan_str(b.exposure.overdue),
                   "ratio": str(b.exposure.ratio), "level": b.exposure.level} for b in books],
        "fund": {"size": yuan_str(fund.size), "paid": yuan_str(fund.paid),
                 "pause_level": None if fund.pause_level is None else yuan_str(fund.pause_level),
                 "state": fund.state},
    }
    monitoring = pack.program.bank_monitoring
    text = ctx.render("monitor", program=pack.meta, as_of=as_of.isoformat(), books=books, fund=fund,
                      overdue_days=monitoring.overdue_days.value, warn=monitoring.warn_ratio.value,
                      suspend=monitoring.suspend_ratio.value, article=monitoring.warn_ratio.article)
    _emit(ctx, payload, text)
    return 0


def _run(work: Any) -> Any:
    """Runs a coroutine of the store commands: asyncio is imported by those alone (40 ms of a calculator's start)."""
    import asyncio

    return asyncio.run(work)


async def _with_store(ctx: Context, work: Callable[[Any], Any]) -> Any:
    from bot.store import Store
    store = await Store.open(ctx.settings.db_path)
    try:
        return await work(store)
    finally:
        await store.close()


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    """Load a loan book into the store, all-or-nothing."""
    pack = _program(ctx, args.program)
    report_date = _date(ctx, args.as_of, "--as-of")
    path = _readable(ctx, args.file)

    from bot.services.loan_import import import_loan_book

    async def work(store):
        return await import_loan_book(store, pack, path, args.file, report_date=report_date, actor="cli:import",
                                      only_bank=args.bank)

    try:
        summary = _run(_with_store(ctx, work))
    except LoanBookError as exc:
        raise _rejected(ctx, exc) from None
    payload = {
        "report_date": summary.report_date.isoformat(),
        "banks": [{"bank": b.bank, "loans": b.loans, "issued": yuan_str(b.exposure.issued),
                   "overdue": yuan_str(b.exposure.overdue), "ratio": str(b.exposure.ratio),
                   "level": b.exposure.level} for b in summary.books],
    }
    text = ctx.render("import_ok", report_date=summary.report_date.isoformat(), books=summary.books,
                      overdue_days=pack.program.bank_monitoring.overdue_days.value)
    _emit(ctx, payload, text)
    return 0


def cmd_db_upgrade(ctx: Context, args: argparse.Namespace) -> int:
    async def work(store):
        await store.programs.ensure(ctx.settings.programs)
        return await store.db.version()

    version = _run(_with_store(ctx, work))
    _emit(ctx, {"database": str(ctx.settings.db_path), "version": version},
          ctx.render("db_upgraded", path=str(ctx.settings.db_path), version=version))
    return 0


def cmd_db_check(ctx: Context, args: argparse.Namespace) -> int:
    """The ledger's invariants over the store (第三、十一、十八、十九条 and the claim state machine)."""
    programs = [_program(ctx, program_id) for program_id in ctx.settings.programs]

    from bot.services.ledger import check_ledger

    async def work(store):
        return await check_ledger(store, programs, today())

    violations = _run(_with_store(ctx, work))
    payload = {"ok": not violations,
               "violations": [{"code": v.code, "program": v.program,
                               "text": ctx.line("ledger_check", v.code, **v.params)} for v in violations]}
    _emit(ctx, payload, ctx.render("ledger_check_report", violations=payload["violations"]))
    return 1 if violations else 0


def _pack_summary(pack: PolicyPack) -> dict[str, Any]:
    return {"id": pack.id, "title": pack.meta.title, "doc_no": pack.meta.doc_no, "kind": pack.meta.kind,
            "region": pack.meta.region, "articles": len(pack.articles), "program": pack.program is not None}


def cmd_policy_list(ctx: Context, args: argparse.Namespace) -> int:
    packs = list(ctx.packs.values())
    _emit(ctx, {"policies": [_pack_summary(p) for p in packs]}, ctx.render("policy_list", packs=packs))
    return 0


def cmd_policy_show(ctx: Context, args: argparse.Namespace) -> int:
    pack = ctx.packs.get(args.id)
    if pack is None:
        raise CliError("unknown_program", ctx.line("errors", "unknown_program", value=args.id, known=list(ctx.packs)))
    _emit(ctx, pack.model_dump(mode="json"), ctx.render("policy_show", pack=pack, p=pack.program))
    return 0


def cmd_ask(ctx: Context, args: argparse.Namespace) -> int:
    """Policy Q&A over every pack's articles (or one pack's with ``--program``)."""
    if args.program is not None and args.program not in ctx.packs:
        raise CliError("unknown_program", ctx.line("errors", "unknown_program", value=args.program, known=list(ctx.packs)))
    from bot.services.qa import PolicyQA, is_english
    reply = PolicyQA(ctx.packs, ctx.settings.programs, ctx.settings.qa_cache_dir).reply(args.question, program=args.program)
    answers = reply.answers
    payload = {"answers": [{"policy": a.policy, "article": a.article, "title": a.title, "text": a.text,
                            "score": a.score} for a in answers]}
    locale = "en" if is_english(args.question) else ctx.locale  # answered in the language it was asked in
    text = TEXTS.render(locale, "ask_cli", question=args.question, answers=answers, packs=ctx.packs,
                        too_broad=reply.too_broad)
    _emit(ctx, payload, text)
    return 0


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    """The staff report's files (chart, CSVs, workbook) written to ``--out``."""
    from bot.services.container import open_services
    from bot.services.reports import build_report

    async def work() -> dict[str, bytes]:
        services = await open_services(ctx.settings)
        try:
            return await build_report(services, ctx.locale, today())
        finally:
            await services.close()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = _run(work())
    for name, data in files.items():
        (out / name).write_bytes(data)
    _emit(ctx, {"files": [str(out / name) for name in files]}, ctx.render("report_written", out=str(out), files=list(files)))
    return 0


def configure_logging() -> None:
    """Warnings and errors to stderr, the bot's own events from INFO. Libraries stay at WARNING: httpx's
    INFO lines carry each request's URL and with it the bot token. Handlers log update ids, never user text."""
    import logging  # here, not for every command: the calculators never log (6 ms of their start)

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for own in ("bot", "handlers"):
        logging.getLogger(own).setLevel(logging.INFO)


def cmd_sandbox(ctx: Context, args: argparse.Namespace) -> int:
    """The bot against the local sandbox, with the web chat."""
    configure_logging()
    import_telegram(webhook=False)
    from bot.sandbox.runner import NotLoopback, run_sandbox
    try:
        run_sandbox(ctx.settings, args.host, args.port, args.demo, rate_limit=not args.no_rate_limit)
    except NotLoopback:
        raise CliError("not_loopback", ctx.line("sandbox", "not_loopback", host=args.host)) from None
    except DataDirBusy as exc:
        raise CliError("data_dir_busy", ctx.line("sandbox", "data_dir_busy", path=str(exc.data_dir), pid=exc.pid)) from None
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise CliError("port_busy", ctx.line("sandbox", "port_busy", port=args.port)) from None
        raise
    return 0


def cmd_run(ctx: Context, args: argparse.Namespace) -> int:
    """The bot on Telegram: long polling, or a webhook with ``--webhook URL``."""
    if not ctx.settings.telegram_bot_token:
        raise CliError("need_token", ctx.line("sandbox", "need_token"))
    configure_logging()
    import_telegram(webhook=bool(args.webhook))
    from bot.app import run_polling, run_webhook
    try:
        if args.webhook:
            run_webhook(ctx.settings, args.webhook, args.listen, args.port)
        else:
            run_polling(ctx.settings)
    except DataDirBusy as exc:
        raise CliError("data_dir_busy", ctx.line("sandbox", "data_dir_busy", path=str(exc.data_dir), pid=exc.pid)) from None
    return 0


class UsageError(Exception):
    """argparse's complaint about the command line itself (an unknown option, a missing value)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


#: Options that take an amount: ``--loan -500万`` is an amount that is negative, not an unknown option.
AMOUNT_OPTIONS = frozenset({"--loan", "--loss", "--paid-this-year", "--fund-paid", "--ip-pledged", "--ip-loss",
                            "--recovered", "--paid", "--returned"})


def _attach_signed_values(argv: list[str]) -> list[str]:
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1] in AMOUNT_OPTIONS and token.startswith("-") and token not in AMOUNT_OPTIONS:
            joined[-1] = f"{joined[-1]}={token}"
        else:
            joined.append(token)
    return joined


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ipbot", description="知识产权质押融资风险补偿助手 / IP-pledge risk-compensation assistant")
    parser.add_argument("--lang", choices=("zh", "en"), help="language of the output (default: IPBOT_LOCALE)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, func: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        return p

    p = command("compensate", cmd_compensate, "estimate the fund's maximum compensation for a loss")
    p.add_argument("--program", help="program id (default: the first of IPBOT_PROGRAMS)")
    p.add_argument("--loan", required=True, help="loan principal: 3000000, 300万, 三百万 ...")
    p.add_argument("--loss", required=True, help="actual principal loss")
    p.add_argument("--overdue-days", help="days overdue (omitted: not checked)")
    p.add_argument("--paid-this-year", help="compensation the enterprise already received this year")
    p.add_argument("--fund-paid", help="the fund's cumulative compensation so far")
    p.add_argument("--ip-pledged", help="the IP-pledged part of a mixed-collateral loan")
    p.add_argument("--ip-loss", help="the IP-pledged part's own principal loss, where known (else prorated)")
    p.add_argument("--ip-type", help="the pledge: patent, trademark, copyright, other, or several joined by +")
    insurer = p.add_mutually_exclusive_group()
    insurer.add_argument("--insurer", dest="insurer", action="store_const", const=True,
                         help="a cooperating insurer or guarantor shares the risk (default)")
    insurer.add_argument("--no-insurer", dest="insurer", action="store_const", const=False,
                         help="no insurer: the fund and the bank share the risk")

    p = command("recovery", cmd_recovery, "what the bank returns to the fund from money recovered")
    p.add_argument("--program")
    p.add_argument("--recovered", required=True, help="money recovered from the pledge or the debtor")
    p.add_argument("--paid", required=True, help="what the fund paid on the claim")
    p.add_argument("--loss", required=True, help="the claim's principal loss")
    p.add_argument("--returned", help="what was already returned on this claim")
    p.add_argument("--received-on", help="the day the money was recovered (default: today)")

    p = sub.add_parser("sandbox", help="run the bot against a local Bot API sandbox with a web chat (no Telegram)")
    p.set_defaults(func=cmd_sandbox, json=False)
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--demo", action="store_true", help="seed users 1001 (enterprise), 2001 (bank officer), 9001 (staff)")
    p.add_argument("--no-rate-limit", action="store_true",
                   help="do not pace calls to Telegram's 30 messages/s (for benchmarks; the sandbox has no limit)")

    p = sub.add_parser("run", help="run the bot on Telegram (needs TELEGRAM_BOT_TOKEN)")
    p.set_defaults(func=cmd_run, json=False)
    p.add_argument("--webhook", metavar="URL", help="use a webhook at URL instead of long polling")
    p.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on")
    p.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")

    p = command("ask", cmd_ask, "answer a policy question from the policy texts")
    p.add_argument("question")
    p.add_argument("--program", help="only this pack's articles")

    p = command("monitor", cmd_monitor, "banks' overdue ratios and levels from a loan book file")
    p.add_argument("--program")
    p.add_argument("--loans", required=True, help="loan book .csv or .xlsx")
    p.add_argument("--as-of", help="report date, YYYY-MM-DD (default: today, Asia/Shanghai)")
    p.add_argument("--fund-paid", help="the fund's cumulative compensation so far")

    p = command("import", cmd_import, "load a loan book (.csv/.xlsx) into the store, all-or-nothing")
    p.add_argument("file")
    p.add_argument("--program")
    p.add_argument("--as-of", help="report date of the book (default: today)")
    p.add_argument("--bank", help="accept only this bank's loans")

    p = command("report", cmd_report, "write the staff report: chart, claims and banks as CSV and XLSX")
    p.add_argument("--out", required=True, help="directory to write into")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = db.add_parser("upgrade", help="apply migrations")
    p.set_defaults(func=cmd_db_upgrade)
    p.add_argument("--json", action="store_true")
    p = db.add_parser("check", help="check the ledger's invariants; exits 1 on any violation")
    p.set_defaults(func=cmd_db_check)
    p.add_argument("--json", action="store_true")

    policy = sub.add_parser("policy", help="the policy packs").add_subparsers(dest="policy_command", metavar="ACTION",
                                                                              required=True)
    p = policy.add_parser("list", help="list the packs")
    p.set_defaults(func=cmd_policy_list)
    p.add_argument("--json", action="store_true")
    p = policy.add_parser("show", help="one pack's metadata, parameters and articles")
    p.add_argument("id")
    p.set_defaults(func=cmd_policy_show)
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = _attach_signed_values(list(sys.argv[1:] if argv is None else argv))
    settings = Settings()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        ctx = Context(settings, {}, settings.locale, "--json" in argv)
        return _fail(ctx, CliError("usage", ctx.line("errors", "usage", message=str(exc))))
    if not getattr(args, "func", None):
        args = parser.parse_args(["run" if settings.telegram_bot_token else "sandbox"])
    ctx = Context(settings, {}, args.lang or settings.locale, bool(getattr(args, "json", False)))
    try:
        ctx.packs = load_packs(settings.policy_dir, settings.packs_cache)
        return args.func(ctx, args)
    except PolicyLoadError as exc:
        return _fail(ctx, CliError("policy_error", ctx.line("errors", "policy_error", message=str(exc)), status=1))
    except CliError as exc:
        return _fail(ctx, exc)
    except BrokenPipeError:
        # the reader stopped early (`ipbot ask … | head`): as other Unix tools, end quietly, and keep Python from
        # reporting the pipe again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _fail(ctx: Context, error: CliError) -> int:
    print(error.message, file=sys.stderr)
    if ctx.as_json:
        body = {"code": error.code, "message": error.message}
        if getattr(error, "details", None):
            body["errors"] = error.details
        print(json.dumps({"error": body}, ensure_ascii=False))
    return error.status
