import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.policies import DEFAULT_POLICY_DIR
from tests.loan_books import csv_bytes, row

DEMO_BOOK = Path(__file__).resolve().parent.parent / "bot" / "services" / "demo_book.csv"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("IPBOT_POLICY_DIR", raising=False)
    monkeypatch.delenv("IPBOT_LOCALE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def run_json(capsys, *argv):
    status = main([*argv, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def test_compensate_contract_example_through_the_real_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "bot", "compensate", "--program", "cq-jiangbei-2024", "--loan", "500万", "--loss",
         "200万", "--overdue-days", "90", "--json"], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parent.parent)
    result = json.loads(out.stdout)
    assert result["eligible"] is True
    assert result["fund"] == "400000.00"
    assert result["ratio"] == "0.20"
    assert result["capped_by"] is None
    assert result["insurer_min"] == "800000.00"
    assert result["bank_max"] == "800000.00"
    assert {"code", "policy", "article", "text"} == set(result["reasons"][0])
    assert any(r["article"] == "第十一条" and r["policy"] == "cq-jiangbei-2024" for r in result["reasons"])


def test_compensate_json_has_exactly_the_contract_keys(capsys):
    status, result = run_json(capsys, "compensate", "--loan", "300万", "--loss", "100万")
    assert status == 0
    assert set(result) == {"eligible", "fund", "ratio", "capped_by", "insurer_min", "bank_max", "reasons"}
    assert result["fund"] == "300000.00" and result["ratio"] == "0.30"


def test_compensate_not_eligible_pays_0_00(capsys):
    _, result = run_json(capsys, "compensate", "--loan", "300万", "--loss", "100万", "--overdue-days", "59")
    assert result["eligible"] is False and result["fund"] == "0.00"
    assert any(r["article"] == "第十七条" for r in result["reasons"])


def test_compensate_reports_the_cap_that_bound(capsys):
    _, result = run_json(capsys, "compensate", "--loan", "1000万", "--loss", "900万", "--overdue-days", "61")
    assert result["capped_by"] == "per_claim" and result["fund"] == "1500000.00"
    _, result = run_json(capsys, "compensate", "--loan", "300万", "--loss", "100万", "--paid-this-year", "140万")
    assert result["capped_by"] == "per_enterprise_year" and result["fund"] == "100000.00"


def test_compensate_respects_the_fund_pause(capsys):
    _, result = run_json(capsys, "compensate", "--loan", "300万", "--loss", "100万", "--fund-paid", "600万")
    assert result["eligible"] is False
    assert any(r["article"] == "第十九条" for r in result["reasons"])


def test_compensate_readable_output_is_chinese_and_says_it_is_an_estimate(capsys):
    assert main(["compensate", "--loan", "500万", "--loss", "200万", "--overdue-days", "90"]) == 0
    out = capsys.readouterr().out
    assert "400,000.00元（40万元）" in out and "第十一条" in out and "不是补偿决定" in out


def test_compensate_can_answer_in_english(capsys):
    assert main(["--lang", "en", "compensate", "--loan", "500万", "--loss", "200万"]) == 0
    assert "not a decision" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code"), [
    (["--loan", "abc", "--loss", "1"], "amount_garbage"),
    (["--loan", "-5", "--loss", "1"], "amount_negative"),
    (["--loan", "100", "--loss", "200"], "loss_exceeds_principal"),
    (["--loan", "100", "--loss", "50", "--overdue-days", "x"], "bad_days"),
    (["--loan", "100", "--loss", "50", "--program", "nowhere"], "unknown_program"),
    (["--loan", "100", "--loss", "50", "--program", "sz-2023-guidance"], "not_a_program"),
])
def test_bad_input_exits_2_with_a_message_naming_what_is_wrong(capsys, argv, code):
    status = main(["compensate", *argv, "--json"])
    captured = capsys.readouterr()
    assert status == 2
    assert json.loads(captured.out)["error"]["code"] == code
    assert captured.err.strip()


def test_monitor_prints_each_banks_ratio_and_level(capsys, tmp_path):
    book = tmp_path / "book.csv"
    book.write_bytes(csv_bytes([
        row("A1", bank="甲银行", principal="950000", overdue_days="14"),
        row("A2", bank="甲银行", principal="50000", overdue_days="15"),
        row("B1", bank="乙银行", principal="1000000", overdue_days="90"),
    ]))
    status, result = run_json(capsys, "monitor", "--program", "cq-jiangbei-2024", "--loans", str(book),
                              "--as-of", "2026-11-22")
    assert status == 0
    assert result["banks"] == [
        {"bank": "乙银行", "issued": "1000000.00", "overdue": "1000000.00", "ratio": "1.0000", "level": "suspend"},
        {"bank": "甲银行", "issued": "1000000.00", "overdue": "50000.00", "ratio": "0.0500", "level": "warning"},
    ]
    assert result["fund"]["state"] == "active"


def test_monitor_leaves_out_loans_issued_after_the_as_of_date(capsys, tmp_path):
    book = tmp_path / "book.csv"
    book.write_bytes(csv_bytes([row("L1"), row("L2", issued_on="2026-12-01", due_on="2027-12-01")]))
    _, result = run_json(capsys, "monitor", "--loans", str(book), "--as-of", "2026-11-22")
    assert result["banks"][0]["issued"] == "1000000.00"


def test_monitor_rejects_a_bad_book_with_row_numbers(capsys, tmp_path):
    book = tmp_path / "book.csv"
    book.write_bytes(csv_bytes([row("L1"), row("L2", due_on="yesterday")]))
    status = main(["monitor", "--loans", str(book), "--json"])
    captured = capsys.readouterr()
    assert status == 2
    error = json.loads(captured.out)["error"]
    assert error["errors"] == [{"row": 3, "column": "due_on", "code": "bad_date", "value": "yesterday"}]
    assert "第3行「due_on」" in captured.err


def test_import_writes_the_book_and_a_bad_file_writes_nothing(capsys, tmp_path, data_dir):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes([row("L1"), row("L2", overdue_days="20", principal="60000")]))
    bad.write_bytes(csv_bytes([row("L9"), row("L10", principal="0")]))
    status, result = run_json(capsys, "import", str(good), "--as-of", "2026-11-22")
    assert status == 0
    assert result["banks"][0]["loans"] == 2 and result["banks"][0]["level"] == "warning"
    db = data_dir / "ipbot.sqlite3"
    size_after_good = db.stat().st_size
    status = main(["import", str(bad), "--as-of", "2026-11-23"])
    assert status == 2
    assert "没有写入任何数据" in capsys.readouterr().err
    import sqlite3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), MAX(report_date) FROM loans").fetchone() == (2, "2026-11-22")
    assert db.stat().st_size == size_after_good


def test_a_bad_pack_exits_non_zero_naming_file_and_field(capsys, tmp_path, monkeypatch):
    packs = tmp_path / "packs"
    shutil.copytree(DEFAULT_POLICY_DIR, packs)
    path = packs / "cq-jiangbei-2024.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('warn_ratio: {value: "0.05"', 'warn_ratio: {value: "x"'),
                    encoding="utf-8")
    monkeypatch.setenv("IPBOT_POLICY_DIR", str(packs))
    status = main(["compensate", "--loan", "1", "--loss", "1"])
    err = capsys.readouterr().err
    assert status == 1
    assert "cq-jiangbei-2024.yaml" in err and "program.bank_monitoring.warn_ratio.value" in err


def test_policy_list_and_show(capsys):
    status, listing = run_json(capsys, "policy", "list")
    assert status == 0 and len(listing["policies"]) == 5
    status, shown = run_json(capsys, "policy", "show", "cq-jiangbei-2024")
    assert shown["meta"]["doc_no"] == "江北知发〔2024〕8号"
    assert main(["policy", "show", "cq-jiangbei-2024"]) == 0
    out = capsys.readouterr().out
    assert "第十九条" in out and "专利、商标（第二条）" in out and "不得用于股本权益性投资" in out


def test_db_upgrade_creates_the_database(capsys, data_dir):
    status, result = run_json(capsys, "db", "upgrade")
    assert status == 0 and result["version"] >= 1
    assert (data_dir / "ipbot.sqlite3").exists()


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "ipbot"
    out = subprocess.run([str(script), "policy", "list"], capture_output=True, text=True, check=True)
    assert "cq-jiangbei-2024" in out.stdout


def test_run_without_a_token_says_to_use_the_sandbox(capsys, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    assert "ipbot sandbox" in capsys.readouterr().err


# -- the ledger's parity on the command line (issue: money that cannot go wrong) -----------------------

def test_compensate_without_an_insurer_gives_the_fund_and_bank_split(capsys):
    status, result = run_json(capsys, "compensate", "--loan", "100万", "--loss", "50万", "--overdue-days", "90",
                              "--no-insurer")
    assert status == 0
    assert (result["fund"], result["insurer_min"], result["bank_max"]) == ("150000.00", "0.00", "350000.00")
    assert "share_absent" in {r["code"] for r in result["reasons"]}


def test_compensate_refuses_a_copyright_pledge_citing_article_2(capsys):
    status, result = run_json(capsys, "compensate", "--loan", "100万", "--loss", "50万", "--overdue-days", "90",
                              "--ip-type", "copyright")
    assert status == 0 and result["eligible"] is False and result["fund"] == "0.00"
    assert any(r["code"] == "ip_type_not_eligible" and r["article"] == "第二条" for r in result["reasons"])
    status, result = run_json(capsys, "compensate", "--loan", "100万", "--loss", "50万", "--ip-type", "patent+copyright")
    assert result["eligible"] is True


def test_compensate_with_the_ip_part_own_loss(capsys):
    status, result = run_json(capsys, "compensate", "--loan", "600万", "--loss", "200万", "--overdue-days", "90",
                              "--ip-pledged", "300万", "--ip-loss", "150万")
    assert status == 0 and result["fund"] == "450000.00" and result["ratio"] == "0.30"


@pytest.mark.parametrize("argv", [
    ["compensate", "--loan", "-500万", "--loss", "100"],
    ["compensate", "--loan", "999999999999999999999999999", "--loss", "1"],
    ["compensate", "--loan", "100万", "--loss", "50万", "--ip-type", "land"],
    ["compensate", "--loan", "100万", "--loss", "50万", "--ip-loss", "10万"],
    ["compensate", "--loss", "50万"],
    ["compensate", "--loan", "100万", "--loss", "50万", "--insurer", "--no-insurer"],
    ["recovery", "--recovered", "abc", "--paid", "1", "--loss", "1"],
])
def test_every_bad_value_exits_2_with_an_error_object(capsys, argv):
    status = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert status == 2
    error = json.loads(captured.out)["error"]
    assert error["code"] and error["message"] and "Traceback" not in captured.err


def test_recovery_returns_pro_rata_but_never_more_than_was_paid_article_18(capsys):
    status, result = run_json(capsys, "recovery", "--recovered", "10万", "--paid", "30万", "--loss", "100万",
                              "--received-on", "2026-11-01")
    assert status == 0
    assert result == {"return": "30000.00", "share": "0.3000", "deadline": "2026-12-01", "article": "第十八条"}
    status, result = run_json(capsys, "recovery", "--recovered", "500万", "--paid", "30万", "--loss", "100万",
                              "--returned", "10万")
    assert result["return"] == "200000.00"


def test_db_check_passes_on_a_sound_ledger_and_names_a_broken_one(capsys, data_dir):
    import asyncio

    from bot.store import Store
    from bot.store.claims import NewClaim

    assert main(["db", "upgrade"]) == 0
    assert main(["db", "check"]) == 0
    assert "台账检查通过" in capsys.readouterr().out

    async def overpay():
        store = await Store.open(data_dir / "ipbot.sqlite3")
        bank = await store.banks.ensure("示例银行", actor="test")
        for loan_id in ("L1", "L2"):
            claim = await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, loan_id, "91350100M000100Y43", "示例",
                                                     1_000_000_000, 500_000_000, 90, 100_000_000, None, None, None, "[]"),
                                            actor="test")
            await store.claims.transition(claim.claim_no, "filed", "under_review", "test", "start_review")
            await store.claims.transition(claim.claim_no, "under_review", "approved", "test", "approve",
                                          approved_fen=100_000_000)
        await store.close()

    asyncio.run(overpay())
    assert main(["db", "check"]) == 1
    out = capsys.readouterr().out
    assert "91350100M000100Y43" in out and "超过同一企业年度上限" in out


def test_report_exports_keep_loan_book_text_as_text_never_formulas(tmp_path):
    """An enterprise name like ``=HYPERLINK(...)`` from a loan book stays inert in claims.csv and report.xlsx."""
    import asyncio
    import csv as csv_module

    from openpyxl import load_workbook

    from bot.store import Store
    from bot.store.claims import NewClaim

    evil = '=HYPERLINK("http://x","y")'

    async def seed():
        store = await Store.open(tmp_path / "data" / "ipbot.sqlite3")
        await store.programs.ensure(["cq-jiangbei-2024"])
        bank = await store.banks.ensure("@银行", actor="test")
        await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, "-L1", "91350100M000100Y43", evil, 100, 50, 90,
                                         15, None, None, None, "[]"), actor="test")
        await store.close()

    asyncio.run(seed())
    assert main(["report", "--out", str(tmp_path / "out")]) == 0
    [row] = list(csv_module.DictReader((tmp_path / "out" / "claims.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert row["企业名称"] == "'" + evil and row["贷款编号"] == "'-L1" and row["银行"] == "'@银行"
    sheet = load_workbook(tmp_path / "out" / "report.xlsx")["补偿申请"]
    values = [cell.value for cell in sheet[2]]
    assert "'" + evil in values and not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_report_exports_read_in_chinese_with_numbers_as_numbers_and_statuses_in_words(tmp_path):
    import asyncio
    import csv as csv_module

    from openpyxl import load_workbook

    from bot.store import Store
    from bot.store.claims import NewClaim

    async def seed():
        store = await Store.open(tmp_path / "data" / "ipbot.sqlite3")
        await store.programs.ensure(["cq-jiangbei-2024"])
        bank = await store.banks.ensure("示例银行", actor="test")
        claim = await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, "L1", "91350100M000100Y43", "示例科技",
                                                 150_000_000_00, 50_000_000_00, 90, 150_000_000, None, None, None, "[]"),
                                        actor="test")
        await store.claims.transition(claim.claim_no, "filed", "rejected", "test", "reject", note="材料不全")
        await store.close()

    asyncio.run(seed())
    assert main(["report", "--out", str(tmp_path / "out")]) == 0
    [row] = list(csv_module.DictReader((tmp_path / "out" / "claims.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert row["状态"] == "未通过" and row["说明（驳回理由等）"] == "材料不全" and row["政策"] == "江北区风险补偿资金管理办法"
    assert row["贷款本金（元）"] == "150000000.00"
    sheet = load_workbook(tmp_path / "out" / "report.xlsx")["补偿申请"]
    headings = [cell.value for cell in sheet[1]]
    principal = sheet.cell(2, headings.index("贷款本金（元）") + 1)
    assert principal.value == 150_000_000 and principal.number_format == "#,##0.00"
    assert "claim_no" not in headings and "rejected" not in [cell.value for cell in sheet[2]]


def test_a_reader_that_stops_early_gets_no_traceback():
    process = subprocess.Popen([sys.executable, "-m", "bot", "policy", "list"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # as `ipbot policy list | head -0` would
    errors = process.stderr.read()
    process.wait(timeout=30)
    assert "Traceback" not in errors and "BrokenPipe" not in errors


#: What a calculator never needs (issue 14): the bot's stack, Q&A, charts, the event loop.
NOT_FOR_CALCULATORS = ("telegram", "jieba", "matplotlib", "aiosqlite", "asyncio", "pydantic_settings", "openpyxl")


@pytest.mark.parametrize("argv", [
    ["compensate", "--program", "cq-jiangbei-2024", "--loan", "500万", "--loss", "200万", "--overdue-days", "90"],
    ["policy", "list"],
    ["monitor", "--program", "cq-jiangbei-2024", "--loans", str(DEMO_BOOK), "--as-of", "2026-11-22"],
])
def test_calculators_load_only_what_they_need(argv):
    script = ("import sys; from bot.cli import main; main(sys.argv[1:]); "
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({NOT_FOR_CALCULATORS!r})), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", script, *argv, "--json"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stderr.strip().splitlines()[-1] == "[]"
