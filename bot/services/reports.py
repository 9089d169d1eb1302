"""Reports for staff: a chart of every bank's overdue ratio against the 5% and 8% lines (第十二条) and of
the fund's cumulative compensation against its pause level (第十九条), plus CSV and XLSX exports of the
claims and the banks. The same files come from /report and ``ipbot report --out DIR``."""

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import date

from bot.rules.money import from_fen
from bot.rules.monitoring import BankBook
from bot.rules.policy import PolicyPack
from bot.services import ledger
from bot.services.container import Services
from bot.services.monitoring import bank_books
from bot.texts import TEXTS, minute

#: CJK fonts from Debian packages (fonts-wqy-microhei is installed by .ci/run), best first.
CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
LEVEL_COLOURS = {"normal": "#4c9f70", "warning": "#e0a030", "suspend": "#c8453a"}
CLAIM_COLUMNS = ("claim_no", "program", "bank", "loan_id", "credit_code", "enterprise", "principal", "loss",
                 "overdue_days", "ceiling", "approved", "paid", "paid_on", "status", "note", "filed_at", "updated_at")
BANK_COLUMNS = ("program", "bank", "report_date", "loans", "issued", "overdue", "ratio", "level", "told_level",
                "suspended_on", "officers")
#: Columns holding yuan, and the ratio: numbers in the workbook, formatted as such.
MONEY_COLUMNS = frozenset({"principal", "loss", "ceiling", "approved", "paid", "issued", "overdue"})
RATIO_COLUMNS = frozenset({"ratio"})
#: Columns whose codes are written as words (the claim's status, the monitoring levels).
WORD_COLUMNS = {"status": "claim_status", "level": "level", "told_level": "level"}


@dataclass(frozen=True)
class ProgramReport:
    pack: PolicyPack
    books: list[tuple[BankBook, str, str, str | None, int]]
    fund: ledger.FundPosition


def cjk_font() -> str | None:
    """A CJK font for the chart's labels. matplotlib caches the fonts it found when first run; one installed
    since (as `.ci/run` does) is added from the system's font folders."""
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in available), None)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(part in path.lower() for part in ("wqy", "notosanscjk", "notoserifcjk", "droidsansfallback")):
                font_manager.fontManager.addfont(path)
        available = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in CJK_FONTS if name in available), None)
    return found


async def gather(services: Services) -> list[ProgramReport]:
    store = services.store
    reports = []
    for pack in services.programs:
        rows = []
        for t, book in await bank_books(services, pack):
            told = await store.banks.level(pack.id, t.bank_id)
            rows.append((book, t.report_date, told.level, told.suspended_on, len(await store.banks.officers(t.bank_id))))
        reports.append(ProgramReport(pack, rows, await ledger.fund_position(store, pack)))
    return reports


def chart_png(reports: list[ProgramReport], locale: str, today: date) -> bytes:
    """One figure per program stacked: bank ratios with the warning and suspension lines; the fund.
    matplotlib (some 40 MB) is loaded by the first chart drawn, not by the bot's start."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.use("Agg")
    font = cjk_font()
    rc = {"font.sans-serif": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}
    line = lambda macro, **kw: TEXTS.line(locale, "report", macro, **kw)  # noqa: E731
    with matplotlib.rc_context(rc):
        figure = Figure(figsize=(10, 6.5 * len(reports)), dpi=110, layout="constrained")
        axes = figure.subplots(2 * len(reports), 1, squeeze=False, height_ratios=[3, 1] * len(reports))[:, 0]
        for i, report in enumerate(reports):
            monitoring = report.pack.program.bank_monitoring
            ratios = axes[2 * i]
            books = [b for b, *_ in report.books]
            names = [b.bank for b in books] or [line("no_banks")]
            values = [float(b.exposure.ratio) * 100 for b in books] or [0.0]
            colours = [LEVEL_COLOURS[b.exposure.level] for b in books] or ["#cccccc"]
            ratios.bar(names, values, color=colours, width=0.6)
            ratios.set_xlim(-0.75, max(len(names), 3) - 0.25)
            for ratio, style, macro in ((monitoring.warn_ratio.value, "--", "warn_line"),
                                        (monitoring.suspend_ratio.value, "-", "suspend_line")):
                ratios.axhline(float(ratio) * 100, color=LEVEL_COLOURS["warning" if macro == "warn_line" else "suspend"],
                               linestyle=style, label=line(macro, ratio=ratio, article=monitoring.warn_ratio.article))
            ratios.set_ylabel(line("ratio_axis", days=monitoring.overdue_days.value))
            ratios.set_title(line("ratio_title", program=report.pack.meta, today=today.isoformat()))
            ratios.set_ylim(0, max(values + [float(monitoring.suspend_ratio.value) * 100]) * 1.25)
            ratios.legend(loc="upper right")
            ratios.tick_params(axis="x", labelrotation=30)
            fund = axes[2 * i + 1]
            fund.barh([line("fund_bar")], [float(report.fund.paid) / 10_000],
                      color=LEVEL_COLOURS["suspend" if report.fund.paused else "normal"])
            if report.fund.pause_level is not None:
                fund.axvline(float(report.fund.pause_level) / 10_000, color=LEVEL_COLOURS["suspend"], linestyle="--",
                             label=line("pause_line", level=report.fund.pause_level,
                                        article=report.pack.program.fund.pause_at_cumulative.article))
            fund.set_xlim(0, float(report.fund.size) / 10_000)
            fund.set_xlabel(line("fund_axis", size=report.fund.size))
            fund.set_title(line("fund_title", paid=report.fund.paid, state=report.fund.state))
            fund.legend(loc="lower right")
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


async def claim_rows(services: Services) -> list[dict]:
    """Every claim, amounts in yuan (Decimal), times to the minute; the programme and the status as they are
    (`Export` writes them in words)."""
    store = services.store
    banks = {b.id: b.name for b in await store.banks.all()}
    yuan = lambda fen: None if fen is None else from_fen(fen)  # noqa: E731
    return [{"claim_no": c.claim_no, "program": services.packs[c.program_id].meta, "bank": banks.get(c.bank_id, ""),
             "loan_id": c.loan_id, "credit_code": c.credit_code, "enterprise": c.enterprise,
             "principal": yuan(c.principal_fen), "loss": yuan(c.loss_fen), "overdue_days": c.overdue_days,
             "ceiling": yuan(c.ceiling_fen), "approved": yuan(c.approved_fen), "paid": yuan(c.paid_fen),
             "paid_on": c.paid_on, "status": c.status, "note": c.note, "filed_at": minute(c.filed_at),
             "updated_at": minute(c.updated_at)}
            for c in await store.claims.recent(limit=1_000_000)]


def bank_rows(reports: list[ProgramReport]) -> list[dict]:
    return [{"program": r.pack.meta, "bank": book.bank, "report_date": report_date, "loans": book.loans,
             "issued": book.exposure.issued, "overdue": book.exposure.overdue, "ratio": book.exposure.ratio,
             "level": book.exposure.level, "told_level": told, "suspended_on": suspended_on, "officers": officers}
            for r in reports for book, report_date, told, suspended_on, officers in r.books]


@dataclass(frozen=True)
class Export:
    """How the exports read in one language: column headings, the programme's name, and codes (statuses,
    levels) as words."""

    locale: str

    def heading(self, column: str) -> str:
        return TEXTS.line(self.locale, "report", "column", name=column)

    def cell(self, column: str, value: object) -> object:
        if column == "program":
            return TEXTS.program_name(self.locale, value)
        if column in WORD_COLUMNS and value is not None:
            return TEXTS.line(self.locale, "report", WORD_COLUMNS[column], code=value)
        return inert(value)


#: What a spreadsheet would take as the start of a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """A cell as data, never as a formula: text from a loan book such as ``=HYPERLINK(...)`` gets a leading
    apostrophe, as spreadsheets expect for text that must stay text."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def to_csv(rows: list[dict], columns: tuple[str, ...], export: Export) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([export.heading(c) for c in columns])
    writer.writerows([export.cell(c, row[c]) for c in columns] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: dict[str, tuple[list[dict], tuple[str, ...]]], export: Export) -> bytes:
    """One sheet per table: headings in the reader's language, amounts and ratios as numbers (yuan with two
    decimals, ratios as percentages), statuses in words."""
    from openpyxl import Workbook  # loaded by the first workbook written, not by the bot's start
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (rows, columns) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append([export.heading(c) for c in columns])
        for row in rows:
            sheet.append([export.cell(c, row[c]) for c in columns])
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 16
            number_format = "#,##0.00" if column in MONEY_COLUMNS else "0.00%" if column in RATIO_COLUMNS else None
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def build_report(services: Services, locale: str, today: date) -> dict[str, bytes]:
    """File name -> content: the chart, the two CSVs and one workbook holding both. The chart and the workbook
    are drawn in a worker thread: a second of CPU that other users' replies do not wait for."""
    reports = await gather(services)
    claims = await claim_rows(services)
    banks = bank_rows(reports)
    export = Export(locale)
    sheets = {TEXTS.line(locale, "report", "sheet", name="claims"): (claims, CLAIM_COLUMNS),
              TEXTS.line(locale, "report", "sheet", name="banks"): (banks, BANK_COLUMNS)}
    return {
        "report.png": await asyncio.to_thread(chart_png, reports, locale, today),
        "claims.csv": to_csv(claims, CLAIM_COLUMNS, export),
        "banks.csv": to_csv(banks, BANK_COLUMNS, export),
        "report.xlsx": await asyncio.to_thread(to_xlsx, sheets, export),
    }
