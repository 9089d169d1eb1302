"""Retrieval quality and latency of the policy Q&A over bench/qa_pairs.yaml.

Prints top-1 and top-3 accuracy (the target is top-3 >= 90%) and p50/p99 latency per question.
Run: .venv/bin/python bench/qa_eval.py [--show-misses]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

from bot.config import Settings
from bot.policies import load_packs
from bot.services.qa import PolicyQA

PAIRS = Path(__file__).with_name("qa_pairs.yaml")


def load_pairs() -> list[tuple[str, set[tuple[str, str]]]]:
    pairs = yaml.safe_load(PAIRS.read_text(encoding="utf-8"))
    return [(p["q"], {tuple(a.split(" ", 1)) for a in p["a"]}) for p in pairs]


def evaluate(qa: PolicyQA, pairs) -> dict:
    top1 = top3 = 0
    latencies = []
    misses = []
    for question, expected in pairs:
        start = time.perf_counter()
        answers = qa.ask(question)
        latencies.append(time.perf_counter() - start)
        got = [(a.policy, a.article) for a in answers]
        top1 += bool(got[:1] and got[0] in expected)
        hit3 = any(g in expected for g in got[:3])
        top3 += hit3
        if not hit3:
            misses.append((question, sorted(expected), got[:3]))
    latencies.sort()
    return {
        "pairs": len(pairs), "top1": top1 / len(pairs), "top3": top3 / len(pairs),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "misses": misses,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    start = time.perf_counter()
    qa = PolicyQA(load_packs(settings.policy_dir), settings.programs)
    build_ms = (time.perf_counter() - start) * 1000
    result = evaluate(qa, load_pairs())
    print(f"pairs={result['pairs']} top1={result['top1']:.1%} top3={result['top3']:.1%} "
          f"p50={result['p50_ms']:.2f}ms p99={result['p99_ms']:.2f}ms index_build={build_ms:.0f}ms")
    if args.show_misses:
        for question, expected, got in result["misses"]:
            print(f"MISS {question} expected={expected} got={got}")
    return 0 if result["top3"] >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
