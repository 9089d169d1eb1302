import pytest

from bot.rules.compensation import ip_type_eligible
from bot.rules.selfcheck import InvalidAnswer, evaluate, next_question

ALL_OK = {"region": "yes", "entity": "enterprise", "ip_type": "patent", "cooperating_bank": "yes",
          "bank_suspended": "no", "loan_use": "rnd", "refused_repayment": "no", "loan_fraud": "no"}


def test_questions_come_from_the_pack_in_order(jiangbei):
    answers = {}
    asked = []
    while (question := next_question(jiangbei, answers)) is not None:
        asked.append(question.id)
        answers[question.id] = question.options[0].value
    assert asked == [q.id for q in jiangbei.program.selfcheck]


def test_all_good_answers_are_eligible_with_every_reason_cited(jiangbei):
    result = evaluate(jiangbei, ALL_OK)
    assert result.verdict == "eligible"
    assert len(result.reasons) == len(ALL_OK)
    assert {r.article for r in result.reasons} >= {"第二十六条", "第十三条", "第二十一条", "第二十五条"}


def test_a_stopping_answer_ends_the_check_at_once(jiangbei):
    answers = {"region": "no"}
    assert next_question(jiangbei, answers) is None
    result = evaluate(jiangbei, answers)
    assert result.verdict == "not_eligible"
    assert result.stopped_at == "region"
    assert result.reasons[0].article == "第二十六条"


def test_a_forbidden_loan_use_fails_without_stopping(jiangbei):
    answers = {**ALL_OK, "loan_use": "securities"}
    result = evaluate(jiangbei, answers)
    assert result.verdict == "not_eligible"
    assert any(r.code == "selfcheck_fail" and r.article == "第十三条" for r in result.reasons)


def test_copyright_pledge_fails_citing_article_2(jiangbei):
    result = evaluate(jiangbei, {**ALL_OK, "ip_type": "other_ip"})
    assert result.verdict == "not_eligible"
    assert any(r.code == "selfcheck_fail" and r.article == "第二条" for r in result.reasons)


def test_selfcheck_pledge_answers_agree_with_the_claim_rule(jiangbei):
    """One rule, one answer: every pledge the self-check offers is judged as a claim on it would be."""
    question = next(q for q in jiangbei.program.selfcheck if q.id == "ip_type")
    for option in question.options:
        result = evaluate(jiangbei, {**ALL_OK, "ip_type": option.value})
        claim_ok = ip_type_eligible(jiangbei.program, option.ip_type)
        assert (result.verdict == "eligible") == claim_ok, option.value


def test_fail_outweighs_review(jiangbei):
    result = evaluate(jiangbei, {**ALL_OK, "entity": "individual_business", "cooperating_bank": "no"})
    assert result.verdict == "not_eligible"


def test_an_answer_not_among_the_options_is_refused(jiangbei):
    with pytest.raises(InvalidAnswer):
        evaluate(jiangbei, {"region": "maybe"})


def test_an_unfinished_check_has_no_eligible_verdict(jiangbei):
    with pytest.raises(ValueError):
        evaluate(jiangbei, {"region": "yes"})


@pytest.mark.parametrize(("question", "ok", "bad", "verdict", "article"), [
    ("entity", "enterprise", "individual_business", "needs_review", "第四条"),
    ("entity", "enterprise", "other", "not_eligible", "第四条"),
    ("cooperating_bank", "yes", "no", "not_eligible", "第八条"),
    ("bank_suspended", "no", "yes", "not_eligible", "第十二条"),
    ("refused_repayment", "no", "yes", "not_eligible", "第二十一条"),
    ("loan_fraud", "no", "yes", "not_eligible", "第二十五条"),
])
def test_each_selfcheck_article_on_both_sides(jiangbei, question, ok, bad, verdict, article):
    assert evaluate(jiangbei, {**ALL_OK, question: ok}).verdict == "eligible"
    result = evaluate(jiangbei, {**ALL_OK, question: bad})
    assert result.verdict == verdict
    assert any(r.article == article and r.code != "selfcheck_ok" for r in result.reasons)
