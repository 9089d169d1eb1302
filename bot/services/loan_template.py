"""The loan book template officers get from /template: an .xlsx with the format's header row and an example row,
and a sheet of notes that says, per column, what to write and which Chinese headers are read as it."""

import io


from bot.rules.loan_book import HEADER_ALIASES, OPTIONAL, REQUIRED
from bot.texts import TEXTS

#: The example row: a loan that reads as valid under every check of the format.
EXAMPLE = {"loan_id": "L2025001", "bank": "示例银行", "credit_code": "91350100M000100Y43", "enterprise": "示例科技有限公司",
           "principal": 3000000, "issued_on": "2025-08-25", "due_on": "2026-08-24", "overdue_days": 0,
           "ip_type": "专利", "insurer": "示例融资担保有限公司", "ip_pledged_principal": 3000000, "outstanding": 2500000}


def loan_book_template(locale: str, bank: str | None = None) -> bytes:
    from openpyxl import Workbook  # loaded by the first template sent, not by the bot's start
    from openpyxl.styles import Font

    columns = REQUIRED + OPTIONAL
    workbook = Workbook()
    book = workbook.active
    book.title = TEXTS.line(locale, "loan_template", "sheet_book")
    book.append(list(columns))
    book.append([bank if column == "bank" and bank else EXAMPLE[column] for column in columns])
    for cell in book[1]:
        cell.font = Font(bold=True)
    notes = workbook.create_sheet(TEXTS.line(locale, "loan_template", "sheet_notes"))
    notes.append([TEXTS.line(locale, "loan_template", f"heading_{name}") for name in ("column", "required", "what",
                                                                                        "aliases")])
    for column in columns:
        aliases = "、".join(alias for alias, name in HEADER_ALIASES.items() if name == column)
        notes.append([column, TEXTS.line(locale, "loan_template", "yes" if column in REQUIRED else "no"),
                      TEXTS.line(locale, "loan_template", column), aliases])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
