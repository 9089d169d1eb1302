from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.compensation import (
    ClaimFacts, FundDecision, InvalidClaimInput, NotAProgram, compute_compensation, fund_is_paused,
)


def facts(loan, loss, **kw):
    kw.setdefault("overdue_days", 90)
    return ClaimFacts(D(loan), D(loss), **kw)


def test_contract_example_500wan_loan_200wan_loss(jiangbei):
    result = compute_compensation(jiangbei, facts("5000000", "2000000"))
    assert result.eligible
    assert result.fund == D("400000.00")
    assert result.ratio == D("0.20")
    assert result.capped_by is None
    assert result.insurer_min == D("800000.00")
    assert result.bank_max == D("800000.00")
    assert ("cq-jiangbei-2024", "第十一条") in {(r.policy, r.article) for r in result.reasons}


def test_loan_just_below_5000000_gets_30_percent(jiangbei):
    result = compute_compensation(jiangbei, facts("4999999.99", "1000000"))
    assert result.ratio == D("0.30")
    assert result.fund == D("300000.00")


def test_loan_of_exactly_5000000_gets_20_percent(jiangbei):
    result = compute_compensation(jiangbei, facts("5000000", "1000000"))
    assert result.ratio == D("0.20")
    assert result.fund == D("200000.00")


def test_fund_of_exactly_1500000_is_not_capped(jiangbei):
    result = compute_compensation(jiangbei, facts("8000000", "7500000"))
    assert result.fund == D("1500000.00")
    assert result.capped_by is None


def test_fund_above_1500000_is_capped_per_claim(jiangbei):
    result = compute_compensation(jiangbei, facts("8000000", "7500000.05"))
    assert result.fund == D("1500000.00")
    assert result.capped_by == "per_claim"


def test_enterprise_annual_cap_exactly_reached_is_not_capped(jiangbei):
    result = compute_compensation(jiangbei, facts("2000000", "1000000", paid_to_enterprise_this_year=D("1200000")))
    assert result.fund == D("300000.00")
    assert result.capped_by is None


def test_enterprise_annual_cap_binds_one_fen_over(jiangbei):
    result = compute_compensation(jiangbei, facts("2000000", "1000000", paid_to_enterprise_this_year=D("1200000.01")))
    assert result.fund == D("299999.99")
    assert result.capped_by == "per_enterprise_year"


def test_enterprise_with_1500000_already_paid_this_year_gets_nothing(jiangbei):
    result = compute_compensation(jiangbei, facts("2000000", "1000000", paid_to_enterprise_this_year=D("1500000")))
    assert not result.eligible
    assert result.fund == D("0.00")
    assert "per_enterprise_year_cap_reached" in {r.code for r in result.reasons}


def test_claim_needs_60_days_overdue(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", overdue_days=59))
    assert not result.eligible
    assert result.fund == D("0.00")
    assert result.capped_by is None
    assert any(r.code == "trigger_not_met" and r.article == "第十七条" for r in result.reasons)


def test_claim_at_exactly_60_days_overdue_is_admissible(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", overdue_days=60))
    assert result.eligible
    assert result.fund == D("150000.00")


def test_omitted_overdue_days_are_not_checked(jiangbei):
    result = compute_compensation(jiangbei, ClaimFacts(D("1000000"), D("500000")))
    assert result.eligible
    assert not any(r.code.startswith("trigger") for r in result.reasons)


def test_fund_below_6000000_cumulative_still_pays(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", fund_paid_cumulative=D("5999999.99")))
    assert result.eligible


def test_fund_pauses_at_6000000_cumulative(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", fund_paid_cumulative=D("6000000")))
    assert not result.eligible
    assert any(r.code == "fund_paused" and r.article == "第十九条" for r in result.reasons)


def test_a_fund_resumed_above_the_level_pays_again(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", fund_paid_cumulative=D("6500000"),
                                                  fund_decision=FundDecision("resume", D("6200000"))))
    assert result.eligible


def test_a_resume_below_the_level_leaves_the_level_in_force(jiangbei):
    resumed_early = FundDecision("resume", D("100000"))
    assert fund_is_paused(jiangbei.program, D("6000000"), resumed_early)
    assert not fund_is_paused(jiangbei.program, D("5999999.99"), resumed_early)


def test_a_pause_by_decision_holds_below_the_level(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", fund_paid_cumulative=D("1000000"),
                                                  fund_decision=FundDecision("pause", D("1000000"))))
    assert not result.eligible and any(r.code == "fund_paused" for r in result.reasons)


@pytest.mark.parametrize(("balance", "fund", "eligible"), [
    ("150000.01", "150000.00", True), ("150000.00", "150000.00", True), ("149999.99", "149999.99", True),
    ("0.01", "0.01", True), ("0", "0.00", False), ("-5", "0.00", False)])
def test_the_fund_never_pays_more_than_it_holds_article_3(jiangbei, balance, fund, eligible):
    result = compute_compensation(jiangbei, facts("1000000", "500000", fund_balance=D(balance)))
    assert (result.fund, result.eligible) == (D(fund), eligible)
    cited = [r for r in result.reasons if r.code in ("fund_balance_cap", "fund_exhausted")]
    assert all(r.article == "第三条" for r in cited)
    assert bool(cited) == (D(balance) < D("150000"))


def test_without_an_insurer_the_fund_and_the_bank_share_article_11(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", has_insurer=False))
    assert result.insurer_min == D("0") and result.bank_max == D("350000.00")
    assert any(r.code == "share_absent" and r.article == "第十一条" for r in result.reasons)
    with_insurer = compute_compensation(jiangbei, facts("1000000", "500000", has_insurer=True))
    assert with_insurer.insurer_min == D("200000.00") and with_insurer.bank_max == D("150000.00")


def test_the_insurer_minimum_states_its_base_the_ip_part_of_a_mixed_loan(jiangbei):
    result = compute_compensation(jiangbei, facts("6000000", "2000000", ip_pledged_principal=D("3000000")))
    [share] = [r for r in result.reasons if r.code == "share_min"]
    assert share.params["base"] == D("1000000.00") and share.params["base_kind"] == "ip_part"
    [tier] = [r for r in result.reasons if r.code == "tier_ratio"]
    assert tier.params["principal"] == D("3000000") and tier.params["ratio"] == D("0.30")
    assert tier.params["covered_part"]


def test_the_ip_part_own_loss_replaces_the_prorated_one(jiangbei):
    result = compute_compensation(jiangbei, facts("6000000", "2000000", ip_pledged_principal=D("3000000"),
                                                  ip_loss=D("1500000")))
    assert result.fund == D("450000.00")
    with pytest.raises(InvalidClaimInput):
        compute_compensation(jiangbei, facts("6000000", "2000000", ip_pledged_principal=D("3000000"),
                                             ip_loss=D("3000001")))


def test_insurer_minimum_is_rounded_up_and_fund_down(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "0.03"))
    assert result.fund == D("0.00")
    assert result.insurer_min == D("0.02")
    assert result.fund + result.insurer_min + result.bank_max == D("0.03")


def test_only_the_ip_pledged_part_of_a_mixed_loan_counts(jiangbei):
    result = compute_compensation(jiangbei, facts("8000000", "4000000", ip_pledged_principal=D("4000000")))
    assert result.ratio == D("0.30")
    assert result.fund == D("600000.00")
    assert "ip_part_only" in {r.code for r in result.reasons}


def test_loss_above_principal_is_refused(jiangbei):
    with pytest.raises(InvalidClaimInput) as info:
        compute_compensation(jiangbei, facts("1000000", "1000000.01"))
    assert info.value.code == "loss_exceeds_principal"


def test_a_document_without_program_cannot_be_computed(packs):
    with pytest.raises(NotAProgram):
        compute_compensation(packs["sz-2023-guidance"], facts("1000000", "500000"))


def test_zhongshan_splits_54_26_16_4(fixture_program):
    result = compute_compensation(fixture_program("zs-test-54-26-16-4"), facts("1000000", "1000000"))
    assert result.parts == {"fund": D("540000.00"), "bank": D("260000.00"), "insurer": D("160000.00"),
                            "evaluator": D("40000.00")}
    assert result.ratio == D("0.54")


def test_guangzhou_covers_at_most_10m_of_a_loan(fixture_program):
    result = compute_compensation(fixture_program("gz-test-2023"), facts("20000000", "20000000"))
    assert result.fund == D("5000000.00")
    assert result.bank_max == D("15000000.00")


def test_guangzhou_covers_at_most_20m_per_enterprise(fixture_program):
    pack = fixture_program("gz-test-2023")
    result = compute_compensation(pack, facts("10000000", "10000000", enterprise_principal_covered=D("15000000")))
    assert result.fund == D("2500000.00")
    exhausted = compute_compensation(pack, facts("1000000", "1000000", enterprise_principal_covered=D("20000000")))
    assert not exhausted.eligible


def test_guangzhou_annual_program_cap(fixture_program):
    result = compute_compensation(fixture_program("gz-test-2023"),
                                  facts("10000000", "10000000", program_paid_this_year=D("49000000")))
    assert result.fund == D("1000000.00")
    assert result.capped_by == "per_program_year"


def test_wuhan_counts_ip_part_only_and_needs_half_ip(fixture_program):
    pack = fixture_program("wh-test-2024")
    half = compute_compensation(pack, facts("2000000", "1000000", ip_pledged_principal=D("1000000")))
    assert half.eligible and half.fund == D("200000.00")
    under = compute_compensation(pack, facts("2000000", "1000000", ip_pledged_principal=D("999999.99")))
    assert not under.eligible
    assert "ip_share_below_minimum" in {r.code for r in under.reasons}


def test_weihai_city_layer_adds_20_percent_capped_at_1m(fixture_program):
    pack = fixture_program("weihai-test-layers")
    small = compute_compensation(pack, ClaimFacts(D("1000000"), D("1000000"), npl_class="doubtful"))
    assert small.fund == D("600000.00") and small.ratio == D("0.60")
    large = compute_compensation(pack, ClaimFacts(D("10000000"), D("10000000"), npl_class="loss"))
    assert large.fund == D("5000000.00")
    assert large.capped_by == "per_claim"


def test_npl_programs_pay_on_classification_not_days(fixture_program):
    pack = fixture_program("weihai-test-layers")
    assert not compute_compensation(pack, ClaimFacts(D("1000000"), D("10"), npl_class="special_mention")).eligible
    assert compute_compensation(pack, ClaimFacts(D("1000000"), D("10"), npl_class="substandard")).eligible


money = st.integers(min_value=1, max_value=2_000_000_000).map(lambda fen: D(fen) / 100)


@given(money, money, st.integers(min_value=60, max_value=2000), money)
def test_fund_never_exceeds_ratio_or_caps_and_parts_add_up(jiangbei, a, b, days, paid):
    loan, loss = max(a, b), min(a, b)
    paid = min(paid, D(1_500_000))
    result = compute_compensation(jiangbei, ClaimFacts(loan, loss, overdue_days=days,
                                                       paid_to_enterprise_this_year=paid))
    assert result.fund <= loss * result.ratio
    assert result.fund <= D(1_500_000) - paid
    assert result.fund == result.fund.quantize(D("0.01"))
    assert result.fund + result.insurer_min + result.bank_max == loss
    assert result.bank_max >= 0


def test_patent_or_trademark_pledges_are_covered(jiangbei):
    for ip_type in ("patent", "trademark", "patent+trademark", "patent+copyright"):
        assert compute_compensation(jiangbei, facts("1000000", "500000", ip_type=ip_type)).eligible, ip_type


def test_a_copyright_only_pledge_is_not_covered_citing_article_2(jiangbei):
    result = compute_compensation(jiangbei, facts("1000000", "500000", ip_type="copyright"))
    assert not result.eligible and result.fund == D("0.00")
    assert any(r.code == "ip_type_not_eligible" and r.article == "第二条" for r in result.reasons)
