"""The sandbox's ``--demo`` world: an enterprise (user 1001), a bank officer (2001), staff (9001) and a
loan book for the demo bank below the 5% line."""

from datetime import date
from importlib import resources

from bot.rules.credit_code import check_credit_code
from bot.services.container import Services
from bot.services.loan_import import import_loan_book

ENTERPRISE_USER, OFFICER_USER, STAFF_USER = 1001, 2001, 9001
#: Who the demo users are in the sandbox (name, @username).
DEMO_NAMES = {ENTERPRISE_USER: ("王敏", "wangmin_finance"), OFFICER_USER: ("李强", "liqiang_bank"),
              STAFF_USER: ("赵静", "zhaojing_ipfund")}
ENTERPRISE_CODE, ENTERPRISE_NAME = "91350100M000100Y43", "示例科技有限公司"
BANK = "示例银行"
DEMO_REGION, DEMO_INDUSTRY = "重庆市江北区", "新一代信息技术"
ACTOR = "sandbox:demo"


async def seed_demo(services: Services, today: date) -> bool:
    """Seed an empty store (no bank, no enterprise) and return True; a store that holds anything is the user's
    data and is left as it is (False), so running the README's command again never writes over it."""
    store = services.store
    if await store.banks.all() or await store.enterprises.count():
        return False
    for user, (name, username) in DEMO_NAMES.items():
        await store.chats.ensure(user, services.settings.locale, name, username)
    enterprise = await store.enterprises.register(ENTERPRISE_CODE, ENTERPRISE_NAME, ACTOR,
                                                  code_checked=check_credit_code(ENTERPRISE_CODE).valid)
    await store.enterprises.bind_chat(enterprise.id, ENTERPRISE_USER, "active", ACTOR)
    await store.enterprises.set_profile(enterprise.id, DEMO_REGION, DEMO_INDUSTRY, ACTOR)
    bank = await store.banks.ensure(BANK, ACTOR)
    await store.banks.add_officer(bank.id, OFFICER_USER, ACTOR)
    book = resources.files("bot.services").joinpath("demo_book.csv").read_bytes()
    await import_loan_book(store, services.programs[0], book, "demo_book.csv", report_date=today, actor=ACTOR)
    return True
