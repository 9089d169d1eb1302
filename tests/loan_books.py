"""Building loan books for tests."""

import csv
import io

from openpyxl import Workbook

from bot.rules.credit_code import check_character

HEADER = ["loan_id", "bank", "credit_code", "enterprise", "principal", "issued_on", "due_on", "overdue_days"]
CODE = "91350100M000100Y43"


def credit_code(n: int) -> str:
    """The ``n``-th of a family of valid unified social credit codes (GB 32100 check character right)."""
    first17 = f"{CODE[:13]}{n:03d}{CODE[16]}"
    return first17 + check_character(first17)


def row(loan_id="L1", bank="示例银行", principal="1000000", overdue_days="0", **extra):
    base = {"loan_id": loan_id, "bank": bank, "credit_code": CODE, "enterprise": "示例科技有限公司",
            "principal": principal, "issued_on": "2025-01-10", "due_on": "2026-01-10", "overdue_days": overdue_days}
    base.update(extra)
    return base


def csv_bytes(rows, header=None) -> bytes:
    header = header or HEADER + sorted({k for r in rows for k in r} - set(HEADER))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(r)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for r in rows:
        sheet.append([r[name] for name in HEADER])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
