"""The eligibility self-check: the pack's questions, asked in order, and the verdict with its reasons.

The questions, their options, which answer fails, needs review or stops the check, and the article
each cites all come from the pack (``program.selfcheck``), so the chat flow and the CLI ask the same.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.rules.compensation import ip_type_eligible, require_program
from bot.rules.policy import Option, PolicyPack, Program, Question
from bot.rules.reasons import Reason

Verdict = Literal["eligible", "not_eligible", "needs_review"]
_WORST = {"ok": 0, "review": 1, "fail": 2}


class InvalidAnswer(ValueError):
    """An answer that is not one of the question's options."""

    def __init__(self, question_id: str, value: object):
        super().__init__(f"{question_id}: {value!r}")
        self.question_id = question_id
        self.value = value


@dataclass(frozen=True)
class SelfCheckResult:
    verdict: Verdict
    reasons: list[Reason]
    stopped_at: str | None


def chosen_option(question: Question, answer: str) -> Option:
    """The option an answer picks."""
    for option in question.options:
        if option.value == answer:
            return option
    raise InvalidAnswer(question.id, answer)


def option_outcome(program: Program, question: Question, option: Option) -> tuple[str, str]:
    """The outcome of an answer and the article it cites. An answer naming a pledge is judged by the same
    rule as a claim (第二条, ``ip_type_eligible``), so the self-check and the claim never disagree."""
    if option.ip_type is not None:
        eligible = ip_type_eligible(program, option.ip_type)
        return ("ok" if eligible else "fail"), program.eligible_ip_types.article
    return option.outcome, option.article or question.article


def next_question(pack: PolicyPack, answers: Mapping[str, str]) -> Question | None:
    """The first unanswered question, or ``None`` when all are answered or an answer stopped the check."""
    for question in require_program(pack).selfcheck:
        if question.id not in answers:
            return question
        if chosen_option(question, answers[question.id]).stop:
            return None
    return None


def evaluate(pack: PolicyPack, answers: Mapping[str, str]) -> SelfCheckResult:
    """The verdict: any failing answer makes it ``not_eligible``; otherwise any answer needing review
    makes it ``needs_review``; otherwise ``eligible``. Every answer gives a reason citing its article."""
    reasons: list[Reason] = []
    worst = "ok"
    stopped_at = None
    program = require_program(pack)
    for question in program.selfcheck:
        if question.id not in answers:
            break
        option = chosen_option(question, answers[question.id])
        outcome, article = option_outcome(program, question, option)
        reasons.append(Reason(
            f"selfcheck_{outcome}", pack.id, article,
            {"question": question.text, "question_en": question.text_en,
             "answer": option.label, "answer_en": option.label_en},
        ))
        worst = max(worst, outcome, key=_WORST.__getitem__)
        if option.stop:
            stopped_at = question.id
            break
    verdict: Verdict = {"ok": "eligible", "review": "needs_review", "fail": "not_eligible"}[worst]
    if verdict == "eligible" and next_question(pack, answers) is not None:
        raise ValueError("the self-check is not finished")
    return SelfCheckResult(verdict, reasons, stopped_at)
