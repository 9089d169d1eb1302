"""A second district whose articles, ratio and parties differ from Jiangbei's: every notice it sends cites
its own articles and names its own bureaus, and nothing of Jiangbei's shows through the shared templates."""

import re
import shutil
from decimal import Decimal

import pytest

from bot.policies import DEFAULT_POLICY_DIR, load_pack
from bot.rules.compensation import ClaimFacts, compute_compensation
from bot.texts import TEXTS
from tests.bot_harness import STAFF, BotHarness
from tests.conftest import FIXTURES
from tests.loan_books import csv_bytes, row

DISTRICT = "tst-district-fixed"
OFFICER, BANK = 2001, "测试银行"
JIANGBEI_ONLY = re.compile(r"第(三|十一|十二|十四|十七|十八|十九)条|江北|区金融办|不高于|up to")


async def district_bot(tmp_path, locale):
    policy_dir = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICY_DIR, policy_dir)
    shutil.copy(FIXTURES / "programs" / f"{DISTRICT}.yaml", policy_dir)
    return await BotHarness(tmp_path / "data", IPBOT_PROGRAMS=[DISTRICT], IPBOT_POLICY_DIR=policy_dir,
                            IPBOT_LOCALE=locale).start()


#: Per language: the buttons pressed, and what the district's notices must say in it.
PLAY = {
    "zh": {"submit": "提交申请", "staff": ("开始审核", "按上限同意", "标记已拨付"), "resume": "确认恢复",
           "expect": ("【预警】", "第三十四条", "300,000.00元", "第三十二条", "第三十三条", "测试区知识产权局、测试区财政局",
                      "20天内", "第三十五条", "50,000.00元", "【暂停】", "第三十一条", "【恢复】"),
           "never": ("合作保险",)},
    "en": {"submit": "File the claim", "staff": ("Start review", "Approve at ceiling", "Mark paid"),
           "resume": "Confirm: resume",
           "expect": ("[Warning]", "第三十四条", "CNY 300,000.00", "第三十二条", "第三十三条",
                      "测试区知识产权局, 测试区财政局", "within 20 days", "第三十五条", "CNY 50,000.00", "[Paused]",
                      "第三十一条", "[Resumed]"),
           "never": ("insurer",)},
}


@pytest.mark.parametrize("locale", sorted(PLAY))
async def test_every_notice_of_the_district_cites_its_own_articles(tmp_path, locale):
    play = PLAY[locale]
    bot = await district_bot(tmp_path, locale)
    await bot.send(OFFICER, "/start " + await bot.invite(STAFF, BANK))
    book = [row("OK1", bank=BANK, principal="9400000"),
            row("OD1", bank=BANK, principal="600000", overdue_days="95", insurer="")]
    await bot.send_document(OFFICER, "book.csv", csv_bytes(book))
    await bot.send(OFFICER, "/file_claim")
    await bot.press(OFFICER, "OD1")
    await bot.send(OFFICER, "60万")
    await bot.press(OFFICER, play["submit"])
    for button in play["staff"]:
        await bot.press(STAFF, button)
    claim_no = re.search(r"C\d{13}", bot.texts(bot.fake.sent_since(0, OFFICER))).group(0)
    await bot.send(OFFICER, f"/recovery {claim_no} 10万")
    await bot.send(OFFICER, "/claims")
    await bot.send(STAFF, "/review")
    await bot.send(STAFF, "/fund_resume")
    await bot.send(STAFF, "测试区两局纪要")
    await bot.press(STAFF, play["resume"])
    officer, staff = bot.texts(bot.fake.sent_since(0, OFFICER)), bot.texts(bot.fake.sent_since(0, STAFF))
    await bot.stop()

    everything = officer + staff
    assert not JIANGBEI_ONLY.search(everything), JIANGBEI_ONLY.search(everything)
    assert [phrase for phrase in play["expect"] if phrase not in everything] == []
    assert [phrase for phrase in play["never"] if phrase in everything] == []


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize(("name", "facts"), [
    (DISTRICT, ClaimFacts(Decimal(1000000), Decimal(600000), overdue_days=95, has_insurer=False)),
    ("weihai-test-layers", ClaimFacts(Decimal(1000000), Decimal(600000), npl_class="doubtful")),
    ("zs-test-54-26-16-4", ClaimFacts(Decimal(1000000), Decimal(600000), overdue_days=95)),
])
def test_an_estimate_names_the_districts_parties_and_articles(locale, name, facts):
    pack = load_pack(FIXTURES / "programs" / f"{name}.yaml")
    result = compute_compensation(pack, facts)
    reasons = TEXTS.reasons(locale, result.reasons)
    text = TEXTS.render(locale, "compensate", program=pack.meta, loan=facts.loan_principal,
                        loss=facts.principal_loss, result=result, reasons=reasons)
    assert not JIANGBEI_ONLY.search(text) or pack.program.compensation.ratio_is_ceiling
    for share in pack.program.compensation.shares:
        assert (share.label if locale == "zh" else share.label_en.split()[-1]) in text
    assert {r.article for r in result.reasons} <= {a.ref for a in pack.articles}
