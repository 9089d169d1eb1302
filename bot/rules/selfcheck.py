"""The eligibility self-check: the pack's questions, asked in order, and the verdict with its reasons.

The questions, their options, which answer fails, needs review or stops the check, and the article
each cites all come from the pack (``program.selfcheck``), so the chat flow and the CLI ask the same.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.rules.compensation import require_program
from bot.rules.policy import Option, PolicyPack, Question
from bot.rules.reasons import Reason

Verdict = Literal["eligible", "not_eligible", "needs_review"]
Answer = str | Sequence[str]
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


def chosen_options(question: Question, answer: Answer) -> list[Option]:
    """The options an answer picks; a ``choice`` takes one value, a ``multi`` one or more."""
    values = [answer] if isinstance(answer, str) else list(answer)
    if not values or (question.kind == "choice" and len(values) != 1):
        raise InvalidAnswer(question.id, answer)
    by_value = {o.value: o for o in question.options}
    try:
        return [by_value[v] for v in values]
    except KeyError:
        raise InvalidAnswer(question.id, answer) from None


def _stops(question: Question, answer: Answer) -> bool:
    return any(o.stop for o in chosen_options(question, answer))


def next_question(pack: PolicyPack, answers: Mapping[str, Answer]) -> Question | None:
    """The first unanswered question, or ``None`` when all are answered or an answer stopped the check."""
    for question in require_program(pack).selfcheck:
        if question.id not in answers:
            return question
        if _stops(question, answers[question.id]):
            return None
    return None


def evaluate(pack: PolicyPack, answers: Mapping[str, Answer]) -> SelfCheckResult:
    """The verdict: any failing answer makes it ``not_eligible``; otherwise any answer needing review
    makes it ``needs_review``; otherwise ``eligible``. Every answer gives a reason citing its article."""
    reasons: list[Reason] = []
    worst = "ok"
    stopped_at = None
    for question in require_program(pack).selfcheck:
        if question.id not in answers:
            break
        for option in chosen_options(question, answers[question.id]):
            reasons.append(Reason(
                f"selfcheck_{option.outcome}", pack.id, option.article or question.article,
                {"question": question.text, "question_en": question.text_en,
                 "answer": option.label, "answer_en": option.label_en},
            ))
            worst = max(worst, option.outcome, key=_WORST.__getitem__)
        if _stops(question, answers[question.id]):
            stopped_at = question.id
            break
    verdict: Verdict = {"ok": "eligible", "review": "needs_review", "fail": "not_eligible"}[worst]
    if verdict == "eligible" and next_question(pack, answers) is not None:
        raise ValueError("the self-check is not finished")
    return SelfCheckResult(verdict, reasons, stopped_at)
