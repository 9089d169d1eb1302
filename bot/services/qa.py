"""Policy Q&A: Chinese-aware retrieval over every pack's articles (jieba segmentation + BM25), with the
synonyms users type (逾期/拖欠, 补偿/赔付, 担保/保险, ...) mapped onto the words the policies use.

One engine serves the chat (free text and ``/ask``) and ``ipbot ask``.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

import jieba
import opencc
import yaml
from rank_bm25 import BM25Okapi

from bot.rules.policy import PolicyPack

jieba.setLogLevel(logging.WARNING)

#: Below this best score a question is answered "not found in the policies" (calibrated on bench/qa_eval.py).
MIN_SCORE = 4.0
#: Configured programs rank first when a question fits them as well as a general document.
PROGRAM_BOOST = 1.25

_DOMAIN_WORDS = ["风险补偿资金", "合作贷款银行", "资金管理人", "知识产权", "质押融资", "质押贷款", "不良率", "白名单",
                 "商标专用权", "合作保险", "追偿", "质物处置", "累计补偿", "内部评估"]
_STOPWORDS = set("的 了 吗 呢 吧 啊 是 有 在 和 与 及 或 我 我们 你 你们 他 它 这 那 哪 哪些 什么 怎么 怎样 如何 为什么 "
                 "多少 几 要 会 能 可以 请问 一下 一个 就 都 也 还 被 对 把 给 让 时 时候 后 之后 以后 吗？".split())
_PUNCT = re.compile(r"^[\s\W_]+$", re.UNICODE)


@dataclass(frozen=True)
class Answer:
    policy: str
    article: str
    title: str
    text: str
    score: float


def _load_synonyms() -> dict[str, set[str]]:
    data = yaml.safe_load(resources.files("bot.services").joinpath("synonyms.yaml").read_text(encoding="utf-8"))
    expansions: dict[str, set[str]] = {}
    for canonical, variants in data.items():
        for word in variants:
            expansions.setdefault(word, set()).add(canonical)
    return expansions


def _load_document_names() -> dict[str, str]:
    data = yaml.safe_load(resources.files("bot.services").joinpath("documents.yaml").read_text(encoding="utf-8"))
    return {name: pack_id for pack_id, names in data.items() for name in names}


for _word in _DOMAIN_WORDS:
    jieba.add_word(_word)
_SYNONYMS = _load_synonyms()
_DOCUMENT_NAMES = _load_document_names()
for _word in [*_SYNONYMS, *_DOCUMENT_NAMES]:
    jieba.add_word(_word)
_T2S = opencc.OpenCC("t2s")
_WAN = re.compile(r"(\d+(?:\.\d+)?)\s*[wW](?![a-zA-Z])")


def normalise_question(question: str) -> str:
    """A question as people type it, in the policies' script: full-width forms folded (NFKC), traditional
    characters made simplified (OpenCC), and "600w" read as 600万."""
    text = _T2S.convert(unicodedata.normalize("NFKC", question))
    return _WAN.sub(r"\1万", text)


def named_document(question: str) -> str | None:
    """The one document a question names (中山, 深圳, 34号文, 试点, ...), if it names exactly one."""
    named = {pack_id for name, pack_id in _DOCUMENT_NAMES.items() if name in question}
    return named.pop() if len(named) == 1 else None


def tokens(text: str) -> list[str]:
    """Search-mode segmentation without punctuation and stop words; Latin letters lower-cased."""
    return [t.lower() for t in jieba.cut_for_search(text) if not _PUNCT.match(t) and t not in _STOPWORDS]


def query_tokens(question: str) -> list[str]:
    """The question's tokens plus the policy words their synonyms stand for."""
    words = tokens(question)
    expanded = list(words)
    for word in words:
        for canonical in sorted(_SYNONYMS.get(word, ())):
            expanded.extend(tokens(canonical))
    return expanded


class PolicyQA:
    def __init__(self, packs: dict[str, PolicyPack], programs: list[str] | tuple[str, ...] = ()):
        self._entries = [(pack, article) for pack in packs.values() for article in pack.articles]
        self._pack_ids = set(packs)
        self._programs = set(programs)
        corpus = [tokens(f"{a.title} {a.title} {a.chapter or ''} {a.text}") for _, a in self._entries]
        self._bm25 = BM25Okapi(corpus)

    def ask(self, question: str, program: str | None = None, limit: int = 5) -> list[Answer]:
        """The best-matching articles, best first; empty when nothing scores above `MIN_SCORE`."""
        question = normalise_question(question)
        if program is None and named_document(question) in self._pack_ids:
            program = named_document(question)
        query = query_tokens(question)
        if not query:
            return []
        scores = self._bm25.get_scores(query)
        ranked = []
        for (pack, article), score in zip(self._entries, scores):
            if program is not None and pack.id != program:
                continue
            if pack.id in self._programs:
                score *= PROGRAM_BOOST
            ranked.append((float(score), pack, article))
        ranked.sort(key=lambda item: item[0], reverse=True)
        if not ranked or ranked[0][0] < MIN_SCORE:
            return []
        return [Answer(pack.id, article.ref, article.title, article.text, round(score, 4))
                for score, pack, article in ranked[:limit] if score > 0]
