"""Policy Q&A quality and latency over bench/qa/questions.yaml, one split at a time.

Prints top-1/top-3 per document and per kind of phrasing, how well questions no document answers are declined
(precision, recall, and the share of answerable questions wrongly declined), and p50/p99 latency over the
questions as typed and as long pasted texts. Exits 1 when a target is missed:
top-3 >= 95% overall and >= 90% per document and for English; not-found recall >= 85%; wrongly declined <= 5%;
p99 < 20 ms.

Tune on dev (``--split dev --show-misses``); report test (misses are not shown for test, so nobody tunes on it).
Run: .venv/bin/python bench/qa_eval.py [--split dev|test|all] [--show-misses] [--json]
"""

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

from bot.config import Settings
from bot.policies import load_packs
from bot.services.qa import PolicyQA

QUESTIONS = Path(__file__).with_name("qa") / "questions.yaml"
TARGETS = {"top3": 0.95, "per_document_top3": 0.90, "english_top3": 0.90, "not_found_recall": 0.85,
           "wrongly_declined": 0.05, "p99_ms": 20.0}
#: A long pasted question: a paragraph of context before the question itself.
PASTED_PREFIX = ("我们是一家做新材料的科技型中小企业，去年用两件发明专利和一件注册商标在合作银行办理了知识产权质押贷款，"
                 "贷款金额三百万元，期限一年，由合作担保公司提供担保。今年受市场影响，销售回款变慢，") * 4


def load_questions(split: str = "test") -> list[dict]:
    rows = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    for row in rows:
        row["expected"] = {tuple(a.split(" ", 1)) for a in row["a"]}
    return [row for row in rows if split == "all" or row["split"] == split]


def _percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def evaluate(qa: PolicyQA, questions: list[dict]) -> dict:
    hits = defaultdict(lambda: [0, 0, 0])  # group -> [top1, top3, count]
    declined_not_found = declined_answerable = not_found = answerable = 0
    latencies, misses = [], []
    for row in questions:
        start = time.perf_counter()
        answers = qa.ask(row["q"])
        latencies.append((time.perf_counter() - start) * 1000)
        got = [(a.policy, a.article) for a in answers]
        if not row["expected"]:
            not_found += 1
            declined_not_found += not got
            if got:
                misses.append((row["q"], "should be declined", got[:3]))
            continue
        answerable += 1
        declined_answerable += not got
        top1 = bool(got[:1] and got[0] in row["expected"])
        top3 = any(g in row["expected"] for g in got[:3])
        document = sorted(row["expected"])[0][0]
        for group in ("all", f"document:{document}", f"kind:{row['kind']}"):
            hits[group][0] += top1
            hits[group][1] += top3
            hits[group][2] += 1
        if not top3:
            misses.append((row["q"], sorted(row["expected"]), got[:3]))
    pasted = []
    for row in questions:
        start = time.perf_counter()
        qa.ask(PASTED_PREFIX + row["q"])
        pasted.append((time.perf_counter() - start) * 1000)
    declined = declined_not_found + declined_answerable
    return {
        "questions": len(questions),
        "groups": {g: {"top1": t1 / n, "top3": t3 / n, "n": n} for g, (t1, t3, n) in sorted(hits.items())},
        "not_found": not_found,
        "not_found_recall": declined_not_found / not_found if not_found else 1.0,
        "not_found_precision": declined_not_found / declined if declined else 1.0,
        "wrongly_declined": declined_answerable / answerable if answerable else 0.0,
        "p50_ms": statistics.median(latencies), "p99_ms": _percentile(latencies, 0.99),
        "pasted_p50_ms": statistics.median(pasted), "pasted_p99_ms": _percentile(pasted, 0.99),
        "misses": misses,
    }


def failures(result: dict) -> list[str]:
    """The targets this result misses, in words."""
    groups = result["groups"]
    missed = []
    if groups["all"]["top3"] < TARGETS["top3"]:
        missed.append(f"top-3 {groups['all']['top3']:.1%} < {TARGETS['top3']:.0%}")
    for name, figures in groups.items():
        if name.startswith("document:") and figures["top3"] < TARGETS["per_document_top3"]:
            missed.append(f"{name} top-3 {figures['top3']:.1%} < {TARGETS['per_document_top3']:.0%}")
    english = groups.get("kind:english")
    if english and english["top3"] < TARGETS["english_top3"]:
        missed.append(f"english top-3 {english['top3']:.1%} < {TARGETS['english_top3']:.0%}")
    if result["not_found_recall"] < TARGETS["not_found_recall"]:
        missed.append(f"not-found recall {result['not_found_recall']:.1%} < {TARGETS['not_found_recall']:.0%}")
    if result["wrongly_declined"] > TARGETS["wrongly_declined"]:
        missed.append(f"wrongly declined {result['wrongly_declined']:.1%} > {TARGETS['wrongly_declined']:.0%}")
    p99 = max(result["p99_ms"], result["pasted_p99_ms"])
    if p99 >= TARGETS["p99_ms"]:
        missed.append(f"p99 {p99:.1f} ms >= {TARGETS['p99_ms']:.0f} ms")
    return missed


def tune(questions: list[dict]) -> list[str]:
    """The decline thresholds (best score, coverage) that answer most dev questions right, per language: an
    answerable question is right when it is answered with an expected article in the top 3, a question no
    document answers when it is declined. Dev split only."""
    from bot.services import qa as engine
    settings = Settings()
    saved = engine.MIN_SCORE, engine.MIN_COVERAGE, engine.MIN_SCORE_EN, engine.MIN_COVERAGE_EN
    engine.MIN_SCORE = engine.MIN_COVERAGE = engine.MIN_SCORE_EN = engine.MIN_COVERAGE_EN = 0.0
    try:
        qa = PolicyQA(load_packs(settings.policy_dir), settings.programs)
        judged = []
        for row in questions:
            reply = qa.reply(row["q"])
            got = [(a.policy, a.article) for a in reply.answers]
            hit = any(g in row["expected"] for g in got[:3])
            judged.append((reply.english, reply.best_score, reply.coverage, bool(reply.answers), row["expected"], hit))
    finally:
        engine.MIN_SCORE, engine.MIN_COVERAGE, engine.MIN_SCORE_EN, engine.MIN_COVERAGE_EN = saved
    lines = []
    for english in (False, True):
        rows = [j for j in judged if j[0] == english]
        results = []
        for min_score in [x / 2 for x in range(0, 21)]:
            for min_coverage in [x / 20 for x in range(0, 19)]:
                right = 0
                for _, score, coverage, answered, expected, hit in rows:
                    kept = (answered and (score >= min_score or coverage >= engine.FULL_COVERAGE)
                            and coverage >= min_coverage)
                    right += (kept and hit) if expected else not kept
                results.append((right, -min_score, -min_coverage))
        right, min_score, min_coverage = max(results)
        lines.append(f"{'english' if english else 'chinese'}: {right}/{len(rows)} right with "
                     f"min_score={-min_score} min_coverage={-min_coverage}")
    return lines


def report(result: dict, split: str) -> str:
    lines = [f"split={split} questions={result['questions']} (answerable {result['groups']['all']['n']}, "
             f"not answered by any document {result['not_found']})"]
    for name, figures in result["groups"].items():
        lines.append(f"  {name:<34} n={figures['n']:<4} top1={figures['top1']:6.1%} top3={figures['top3']:6.1%}")
    lines.append(f"  not found: recall={result['not_found_recall']:.1%} precision={result['not_found_precision']:.1%} "
                 f"answerable wrongly declined={result['wrongly_declined']:.1%}")
    lines.append(f"  latency: p50={result['p50_ms']:.2f} ms p99={result['p99_ms']:.2f} ms; pasted "
                 f"{len(PASTED_PREFIX)}+ chars: p50={result['pasted_p50_ms']:.2f} ms p99={result['pasted_p99_ms']:.2f} ms")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--show-misses", action="store_true", help="dev only: the test split is never looked into")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tune", action="store_true", help="dev only: choose the decline thresholds")
    args = parser.parse_args()
    if args.tune:
        if args.split != "dev":
            parser.error("--tune is for the dev split")
        print("\n".join(tune(load_questions("dev"))))
        return 0
    settings = Settings()
    start = time.perf_counter()
    qa = PolicyQA(load_packs(settings.policy_dir), settings.programs)
    build_ms = (time.perf_counter() - start) * 1000
    result = evaluate(qa, load_questions(args.split))
    missed = failures(result)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "misses"} | {"failures": missed}, ensure_ascii=False))
    else:
        print(report(result, args.split) + f"\n  index build {build_ms:.0f} ms")
        for line in missed:
            print(f"MISSED TARGET {line}")
    if args.show_misses:
        if args.split != "dev":
            parser.error("--show-misses is for the dev split")
        for question, expected, got in result["misses"]:
            print(f"MISS {question} expected={expected} got={got}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
