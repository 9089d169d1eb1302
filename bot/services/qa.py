"""Policy Q&A: retrieval over every pack's articles, in Chinese (jieba segmentation + BM25 over the articles'
text) and in English (stemmed BM25 over each article's English title and summary), with the words users type
(拖欠, 池子, payout, late ...) mapped onto the words the documents use. The articles are ranked by their BM25 score
plus how close their token vectors are to the question's (`token_vectors`: WordLlama's embeddings, shipped in its
wheel), which finds an article whose words the question does not share ("Which parties share the risk ...").

A question is answered by the user's own program first when one of its articles answers nearly as well as
another document's, by the document it names, by the article it cites (第十一条, "article 11"), and, naming two
documents, by the best article of each; it is declined ("the documents don't cover this") when the best article
covers too little of what was asked, or less of it than one of the neighbouring topics a hotline hears
(``qa_words.yaml``) does, or when it asks a kind of fact (``facts_asked``: a time span, a place, a fee, a loan
rate ...) that no sentence of the articles it would be shown states about what was asked.
Both thresholds are chosen on the dev split of ``bench/qa/questions.yaml`` and reported on its test split
(``bench/qa_eval.py``).

One engine serves the chat (free text and ``/ask``) and ``ipbot ask``. What it builds from the packs (the
segmentation dictionary, both indexes, the sounds of the documents' words) is kept in a cache directory (the
data directory's ``qa/`` in the bot) and read back by the next start, until the packs, the word lists or this
code change; so a cold ``ipbot ask`` costs about what loading jieba's own dictionary does.
"""

import json
import math
import pickle
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import opencc
import Stemmer
import yaml

from bot.files import fingerprint, write_atomically
from bot.rules.amounts import read_chinese_numeral
from bot.rules.policy import Article, PolicyPack
from bot.services import segmenter as segmenter_module
from bot.services import token_vectors
from bot.services.segmenter import Segmenter, build_dictionary
from bot.services.token_vectors import TokenVectors

#: Below this BM25 score of the best article a Chinese question is declined, unless the article holds (nearly)
#: every one of its two or more words: 「补偿比例是多少」 scores low (common words) but is all there.
MIN_SCORE = 7.5
FULL_COVERAGE = 0.9
#: Below this share of a Chinese question (by IDF weight) found in the best article it is declined.
MIN_COVERAGE = 0.22
#: The same two thresholds for English questions (the English index is the summaries: other scores).
MIN_SCORE_EN = 6.0
MIN_COVERAGE_EN = 0.4
#: A Chinese question word the articles never use weighs this share of its general-language IDF in the coverage
#: (`Segmenter.general_idf`): 续贷 and 贯标 say what a question is about, 今年 and 第二次 little. Chosen on the dev
#: split with `MIN_COVERAGE` (0.2 to 0.6 tried; the flat weight it replaced declined more answerable questions).
GENERAL_IDF_SHARE = 0.5
#: An English question word the articles never use weighs this much in the coverage (a rare word: it matters).
UNKNOWN_WORD_WEIGHT = 3.0
#: The user's program answers first when its best article scores at least this share of the best overall.
HOME_FIRST_RATIO = 0.6
#: Articles are ranked by their BM25 score (as a share of the best's) plus this many times how close the article's
#: token vectors are to the question's (cosine, `TokenVectors`). Chosen on the dev split (0.5, 1, 2 and 4 tried).
CLOSENESS_WEIGHT = 2.0

_DOMAIN_WORDS = ["风险补偿资金", "合作贷款银行", "资金管理人", "知识产权", "质押融资", "质押贷款", "不良率", "白名单",
                 "商标专用权", "合作保险", "追偿", "质物处置", "累计补偿", "内部评估"]
_STOPWORDS = set("的 了 吗 呢 吧 啊 是 有 在 和 与 及 或 我 我们 你 你们 他 它 这 那 哪 哪些 什么 怎么 怎样 如何 为什么 "
                 "多少 几 要 会 能 可以 请问 一下 一个 就 都 也 还 被 对 把 给 让 时 时候 后 之后 以后 吗？".split())
_PUNCT = re.compile(r"^[\s\W_]+$", re.UNICODE)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_CJK_FIRST, _CJK_LAST = 0x4E00, 0x9FFF
_CJK = re.compile(f"[{chr(_CJK_FIRST)}-{chr(_CJK_LAST)}]")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")
_SENTENCE = re.compile(r"[^。；;\n]+[。；;]?")
#: An English sentence ends at a full stop or semicolon; a decimal point (1.5 million) does not end it.
_EN_SENTENCE = re.compile(r"(?:[^.;]|\.(?=\d))+(?:\.(?!\d)|;|$)")


#: The word lists the engine reads questions with, in ``bot/services/``.
_DATA_FILES = ("qa_words.yaml", "synonyms.yaml", "synonyms_en.yaml", "documents.yaml")
#: Where the built index is kept when the caller names no directory (tests, benches).
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "ipbot-qa"
#: How old (seconds) another version's build in the cache directory must be before a start removes it.
STALE_BUILD_AGE = 600.0


def _data_bytes(name: str) -> bytes:
    return resources.files("bot.services").joinpath(name).read_bytes()


#: The word lists are words: read every scalar as text, never as YAML 1.1's booleans and numbers (a stop word
#: "on" was read as True and never matched "on").
_WORDS_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _data(name: str):
    return yaml.load(_data_bytes(name).decode("utf-8"), Loader=_WORDS_LOADER)


def _expansions(data: dict[str, list[str]]) -> dict[str, set[str]]:
    """``{user word: {document words}}`` from a synonyms file's ``{document word: [user words]}``."""
    expansions: dict[str, set[str]] = {}
    for canonical, variants in data.items():
        for word in variants:
            expansions.setdefault(str(word).lower(), set()).add(str(canonical).lower())
    return expansions


def _with_synonyms_of_synonyms(expansions: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each user word also stands for the words its document word is listed with both ways: "share" means
    "percentage", and "percentage" and "percent" (how a summary's "30%" is read) are each listed under the other.
    Listed one way only, a word is not followed: "spent" means "used", and "used" up is listed under "pause"."""
    return {word: canonicals.union(*({d for d in expansions.get(c, ()) if c in expansions.get(d, ())}
                                     for c in canonicals))
            for word, canonicals in expansions.items()}


_WORDS = _data("qa_words.yaml")
_STOPWORDS |= set(_WORDS["question_words_zh"])
_STOPWORDS_EN = {str(w) for w in _WORDS["stopwords_en"]}
_GREETINGS = {str(w).lower() for w in _WORDS["greetings"]}
_SYNONYMS = _expansions(_data("synonyms.yaml"))
_SYNONYMS_EN = _with_synonyms_of_synonyms(_expansions(_data("synonyms_en.yaml")))
_DOCUMENT_NAMES = {str(name): pack_id for pack_id, names in _data("documents.yaml").items() for name in names}


#: In a Chinese term, "…" stands for up to this many characters: 费…多少 hears 管理费一年多少 and 评估费大概多少.
TERM_GAP = 2


def _any_of(terms: list) -> re.Pattern:
    """Any of the terms in a question; a Latin word counts only whole (VAT, not private), and a "…" in a Chinese
    term stands for a few characters (`TERM_GAP`)."""
    return re.compile("|".join(rf"\b{re.escape(term)}\b" if term.isascii()
                               else f".{{0,{TERM_GAP}}}".join(map(re.escape, term.split("…")))
                               for term in map(str, terms)), re.IGNORECASE)


_PLACE_WITHOUT_A_DOCUMENT = _any_of(_WORDS["places_without_a_document"])
_TOPIC_WITHOUT_A_DOCUMENT = _any_of(_WORDS["topics_without_a_document"])
_IP_TYPE_WORDS = {str(w).lower() for w in _WORDS["ip_type_words"]}
_COVERAGE_WORDS = {str(w).lower() for w in _WORDS["coverage_words"]}
_ASKS_FOR_FIGURE = [str(w).lower() for w in _WORDS["asks_for_figure"]]


def _number_with_unit(units: list[str]) -> str:
    """A count followed by one of these units, as the documents print one: 60天, 30日内, 两个月, 每半年, "30 days".
    A four-digit number is a year (2024年), a date rather than a span."""
    chinese = "|".join(re.escape(u) for u in units if not u.isascii() or not u.isalpha())  # 天, 个月, 百分点, %
    english = "|".join(re.escape(u) for u in units if u.isascii() and u.isalpha())
    return (rf"(?:(?<!\d)\d{{1,3}}|[一二三四五六七八九十两半]+)\s*个?(?:{chinese})|"
            rf"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|thirty|sixty)\s+(?:{english})\b")


def _states(fact: dict) -> re.Pattern:
    """What states a kind of fact in an article: its words, or a count of its units. A kind no article states
    (an office's phone number, how much a firm may borrow) lists no words, and nothing states it."""
    ways = [_any_of(fact["stated_by"]).pattern] if fact["stated_by"] else ["(?!)"]
    if "stated_by_units" in fact:
        ways.append(_number_with_unit(fact["stated_by_units"]))
    return re.compile("|".join(ways), re.IGNORECASE)


#: ``facts_asked``: per kind of fact, what asks for it and what states it.
_FACTS_ASKED = {kind: (_any_of(fact["asks"]), _states(fact)) for kind, fact in _WORDS["facts_asked"].items()}
_NEIGHBOURING_TOPICS = _WORDS["neighbouring_topics"]
_NEIGHBOURING_CONTEXT = _WORDS["neighbouring_context"]
#: The documents' and users' own words, each a word of the dictionary (so 中山风补 is cut 中山/风补).
_DICTIONARY_WORDS = sorted({w for w in [*_DOMAIN_WORDS, *_SYNONYMS, *_DOCUMENT_NAMES,
                                         *(word for topic in _NEIGHBOURING_TOPICS for word in topic["zh"].split())]
                             if _CJK.search(w)})
_T2S = opencc.OpenCC("t2s")
#: Snowball's English stemmer, in C (PyStemmer): the pure-Python snowballstemmer loads all its 30 languages (3 MB).
_STEMMER = Stemmer.Stemmer("english")


def _by_stem(expansions: dict[str, set[str]]) -> dict[str, set[str]]:
    """The English expansions found through a word's stem: every form of a listed user word counts."""
    by_stem: dict[str, set[str]] = {}
    for word, canonicals in expansions.items():
        by_stem.setdefault(_STEMMER.stemWord(word), set()).update(canonicals)
    return by_stem


_SYNONYMS_EN_BY_STEM = _by_stem(_SYNONYMS_EN)
_WAN = re.compile(r"(\d+(?:\.\d+)?)\s*[wW](?![a-zA-Z])")
_CN_DIGITS = "零一二两三四五六七八九十百千点"
#: A number in Chinese numerals with the unit the documents print it with: 六百万 → 600万, 两个月 → 2个月.
_CN_AMOUNT = re.compile(f"([{_CN_DIGITS}]+)(万元|万|亿元|亿|天|个月|元)")
_CN_PERCENT = re.compile(f"百分之([{_CN_DIGITS}]+)")


def _arabic(numeral: str) -> str:
    """A numeral in digits (六百 → 600), or as it was where it is no number (「第百条」, 「第百11条」). cn2an is
    imported only when a question holds Chinese numerals."""
    value = read_chinese_numeral(numeral)
    if value is None:
        return numeral
    return f"{value:g}" if isinstance(value, float) else str(value)


def normalise_question(question: str) -> str:
    """A question as people type it, in the policies' script: full-width forms folded (NFKC), traditional
    characters made simplified (OpenCC), "600w" read as 600万, and amounts in Chinese numerals written in digits
    as the documents print them (六百万 → 600万, 百分之五 → 5%) with cn2an."""
    text = _T2S.convert(unicodedata.normalize("NFKC", question))
    text = _CN_PERCENT.sub(lambda m: _arabic(m.group(1)) + "%", text)
    text = _CN_AMOUNT.sub(lambda m: _arabic(m.group(1)) + m.group(2), text)
    return _WAN.sub(r"\1万", text)


def is_english(question: str) -> bool:
    """A question with Latin words and no Chinese character is searched in the English summaries."""
    return not _CJK.search(question) and bool(re.search(r"[A-Za-z]{2}", question))


def is_greeting(question: str) -> bool:
    """A message that only greets or thanks (你好, 在吗, hello, thanks)."""
    bare = re.sub(r"[\s\W_]+", " ", normalise_question(question).lower()).strip()
    return bare in _GREETINGS


def named_documents(question: str) -> set[str]:
    """The documents a question names (中山, 深圳, 34号文, Shenzhen, ...)."""
    lowered = question.lower()
    return {pack_id for name, pack_id in _DOCUMENT_NAMES.items() if name.lower() in lowered}


def names_what_no_document_covers(question: str, names_a_document: bool = False) -> bool:
    """The question names a phrase of ``topics_without_a_document``, a topic none of the documents mentions (个税,
    社保, 信用卡, 营业执照, credit card ...: declined outright, unlike ``neighbouring_topics``, which are weighed
    against the best article), or a place none of them covers (北京, 上海, ...) without naming a document
    (「江北和北京的补偿有什么不同」 is answered from 江北's)."""
    return _TOPIC_WITHOUT_A_DOCUMENT.search(question) is not None or (
        not names_a_document and _PLACE_WITHOUT_A_DOCUMENT.search(question) is not None)


def without_document_names(question: str, segmenter: Segmenter) -> str:
    """The question with the names of documents taken out, once they have chosen the document to answer from. A
    Chinese name goes only where the question's words hold it whole: 「中山市场监管局」 is 中山/市场监管局, and
    taking out 中山市 would leave 场监管局."""
    words = [" " if word in _DOCUMENT_NAMES else word for word in segmenter.cut(question)]
    question = "".join(words)
    for name in sorted((n for n in _DOCUMENT_NAMES if n.isascii()), key=len, reverse=True):
        question = re.sub(re.escape(name), " ", question, flags=re.IGNORECASE)
    return question


#: An article named by its number: 第十一条, 第11条, 第十二项, (十四) (full-width brackets are folded by then), and
#: "article 11", "item 12".
_ARTICLE_NUMBER = re.compile(r"第\s*([零一二两三四五六七八九十百\d]+)\s*[条项点]|\(([零一二三四五六七八九十百]+)\)|"
                             r"(?<![a-z])(?:article|art\.?|section|item|point|clause|paragraph)\s*(\d{1,3})(?!\d)",
                             re.IGNORECASE)


def article_numbers(question: str) -> tuple[list[tuple[int, bool]], str]:
    """The article numbers a normalised question names, each with whether it was written in brackets as cbirc's
    and 深圳's items are ((十四)), and the question with them taken out (「第十七条讲的是什么」 → 「讲的是什么」)."""
    numbers = []
    for match in _ARTICLE_NUMBER.finditer(question):
        numeral = next(group for group in match.groups() if group)
        value = numeral if numeral.isdigit() else _arabic(numeral)  # 「第百条」 is no number: _arabic gives it back
        if value.isdigit() and len(value) <= 3:  # no document has a thousand articles
            numbers.append((int(value), match.group(2) is not None))
    return numbers, _ARTICLE_NUMBER.sub(" ", question)


def _ref_spellings(number: int, bracketed: bool) -> list[str]:
    """How the documents' refs write an article number, in the order tried: Jiangbei's 第十一条, cbirc's and
    深圳's (十一), the pilot plan's 11, and a top-level 一 (the pilot plan's and 中山's parts). A number written in
    brackets is only ever an item in brackets."""
    import cn2an

    chinese = cn2an.an2cn(str(number))
    return [f"({chinese})"] if bracketed else [f"第{chinese}条", f"({chinese})", str(number), chinese]


def asks_whether_ip_type_is_covered(question: str) -> bool:
    """「著作权质押的贷款能补偿吗」: the question names a kind of IP and asks about compensation or eligibility."""
    lowered = question.lower()
    return any(w in lowered for w in _IP_TYPE_WORDS) and any(w in lowered for w in _COVERAGE_WORDS)


class Homophones:
    """Typing by pinyin picks the wrong character of the same sound (愈期, 补尝, 白明单, 熔段): a run of characters
    that is no word but sounds like one of the documents' words is read as that word."""

    def __init__(self, vocabulary: set[str]):
        from pypinyin import lazy_pinyin  # only to build: the sounds are kept with the index

        self._by_sound: dict[str, str] = {}
        for word in sorted(vocabulary):
            if 2 <= len(word) <= 4 and all(_CJK.match(ch) for ch in word):
                self._by_sound.setdefault(" ".join(lazy_pinyin(word)), word)
        # each character's sound, by its offset in the block: one copy of each of the few hundred sounds
        self._sounds = tuple(sys.intern(lazy_pinyin(chr(code))[0]) for code in range(_CJK_FIRST, _CJK_LAST + 1))

    def correct(self, question: str, segmenter: Segmenter) -> str:
        """The question with each run of loose characters (what the dictionary could not join into words) read
        as the documents' words it sounds like."""
        out, loose = [], []
        for piece in [*segmenter.cut(question), None]:
            if piece is not None and len(piece) == 1 and _CJK.match(piece):
                loose.append(piece)
                continue
            if loose:
                out.append(self._correct_run("".join(loose)) if len(loose) > 1 else loose[0])
                loose = []
            if piece is not None:
                out.append(piece)
        return "".join(out)

    def _correct_run(self, run: str) -> str:
        sounds = [self._sounds[ord(ch) - _CJK_FIRST] for ch in run]
        out, i = [], 0
        while i < len(run):
            for length in (4, 3, 2):
                word = self._by_sound.get(" ".join(sounds[i:i + length])) if i + length <= len(run) else None
                if word is not None:
                    out.append(word)
                    i += length
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


def tokens(segmenter: Segmenter, text: str) -> list[str]:
    """Chinese search-mode segmentation without punctuation and stop words; Latin letters lower-cased."""
    return [t.lower() for t in segmenter.cut_for_search(text)
            if not _PUNCT.match(t) and t.lower() not in _STOPWORDS]


def phrases(segmenter: Segmenter, text: str) -> list[str]:
    """Each two neighbouring words joined (补偿+比例 → 补偿比例): an article that has the question's words side by
    side outranks one that has them apart."""
    words = segmenter.cut(text)
    return [a + b for a, b in zip(words, words[1:])
            if _CJK.match(a) and _CJK.match(b) and a not in _STOPWORDS and b not in _STOPWORDS]


def _english_words(text: str) -> list[str]:
    return [w for w in _LATIN_WORD.findall(text.lower().replace("%", " percent ")) if w not in _STOPWORDS_EN]


def english_tokens(text: str) -> list[str]:
    """English words lower-cased ("%" read as "percent"), stop words dropped, Snowball-stemmed."""
    words = _english_words(text)
    return _STEMMER.stemWords(words)


def _words_as_held(words: list) -> set[str]:
    """A word list of qa_words.yaml as a question's groups hold its words: Chinese as written, English stemmed."""
    words = [str(w) for w in words]
    return {w for w in words if _CJK.search(w)} | set(english_tokens(" ".join(w for w in words if w.isascii())))


#: Words that name a kind of document (标准, 文件, standard, document), and words that only say a question compares
#: the documents it names (区别, compare).
_DOCUMENT_KINDS = _words_as_held(_WORDS["document_kind_words"])
_COMPARISON_WORDS = _words_as_held(_WORDS["comparison_words"])


def _groups(words: list[str], parts, synonyms_of, tokenize) -> list[tuple[str, ...]]:
    """One group per question word: ``parts(word)`` (the word as the index holds it, and its parts), then the
    document words its synonyms stand for (``synonyms_of(word)``), each tokenized as the index is."""
    groups = []
    for word in words:
        members = parts(word)
        for canonical in sorted(synonyms_of(word)):
            members.extend(t for t in tokenize(canonical) if t not in members)
        groups.append(tuple(members))
    return groups


def query_groups(segmenter: Segmenter, question: str) -> list[tuple[str, ...]]:
    """A Chinese question's word groups: each word of the question's search-mode cut with its parts and the policy
    words its synonyms stand for. A long word and the words inside it each make a group (第二次: 第二, 二次, 第二次),
    so a compound weighs as its parts together do; one group per word of the precise cut was worse on dev (top-3
    96.0% -> 95.2%, wrongly declined 1.8% -> 2.5%, at every threshold tried)."""
    def tokenize(text: str) -> list[str]:
        return tokens(segmenter, text)

    return _groups(tokenize(question), lambda word: [word, *(t for t in tokenize(word) if t != word)],
                   lambda word: _SYNONYMS.get(word, ()), tokenize)


def english_query_groups(question: str) -> list[tuple[str, ...]]:
    """An English question's word groups, stemmed as the summaries are: each word's stem, then the stemmed summary
    words its synonyms stand for (stemmed once: twice turns agreed → agre → agr). A word listed as it is written
    keeps its own synonyms ("share" a portion, "shares" stock); any other form of a listed word is found through
    its stem ("picks", "picking" as "pick")."""
    return _groups(_english_words(question), lambda word: [_STEMMER.stemWord(word)],
                   lambda word: _SYNONYMS_EN.get(word) or _SYNONYMS_EN_BY_STEM.get(_STEMMER.stemWord(word), ()),
                   english_tokens)


@dataclass(frozen=True)
class Answer:
    policy: str
    article: str
    title: str
    text: str
    score: float
    #: The sentence of the article (or of its English summary, for an English question) that answers.
    direct: str = ""
    title_en: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the Q&A says to one message: answers best first, or none with the closest topics, or a greeting."""

    answers: list[Answer] = field(default_factory=list)
    closest: list[Answer] = field(default_factory=list)
    greeting: bool = False
    english: bool = False
    #: Declined because it is too broad, not because the documents are silent: every word of it is there, in
    #: articles' titles too, but the question names nothing more specific (「补偿多少」, "how much is compensated").
    too_broad: bool = False
    #: The best article's BM25 score and the share of the question it covers: what the decline is judged on.
    best_score: float = 0.0
    coverage: float = 0.0


def _topical(groups: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The groups of a question's words that say what it is about (numbers aside)."""
    return [g for g in groups if not _NUMBER.match(g[0])]


def _kinds_asked(question: str) -> dict[str, list[str]]:
    """The kinds of fact (``facts_asked``) a question asks, each with the terms that ask it. A term inside a longer
    term of another kind is that kind's: 「多久考核一次」 asks how often, not how long, though it holds 多久."""
    found = [(kind, m) for kind, (asks, _) in _FACTS_ASKED.items() for m in asks.finditer(question)]
    asked: dict[str, list[str]] = {}
    for kind, m in found:
        if not any(other != kind and o.start() <= m.start() and m.end() <= o.end() and o.end() - o.start() > len(m[0])
                   for other, o in found):
            asked.setdefault(kind, []).append(m[0].lower())
    return asked


class _Index:
    """BM25 over one language's article texts, with what it needs to judge how much of a question a text covers."""

    def __init__(self, documents: list[list[str]]):
        from rank_bm25 import BM25Okapi  # only to build: the built index is read back from the cache

        bm25 = BM25Okapi(documents)
        self.idf: dict[str, float] = bm25.idf
        self.vocabulary = [set(doc) for doc in documents]
        self._rows = {token: row for row, token in enumerate(bm25.idf)}
        self._weights = self._term_weights(bm25)

    def _term_weights(self, bm25) -> np.ndarray:
        """Each term's BM25 contribution to each document, computed once (Okapi, as rank_bm25 scores it), so a
        question of any length is scored with one sum over its terms' rows."""
        weights = np.zeros((len(self._rows), bm25.corpus_size), dtype=np.float32)
        norms = [bm25.k1 * (1 - bm25.b + bm25.b * length / bm25.avgdl) for length in bm25.doc_len]
        for doc, (freqs, norm) in enumerate(zip(bm25.doc_freqs, norms)):
            for token, tf in freqs.items():
                weights[self._rows[token], doc] = bm25.idf[token] * tf * (bm25.k1 + 1) / (tf + norm)
        return weights

    def scores(self, query: list[str]) -> np.ndarray:
        """The BM25 score of every document for the query's terms (each counted once; unknown terms add 0)."""
        rows = [self._rows[t] for t in dict.fromkeys(query) if t in self._rows]
        return self._weights[rows].sum(axis=0) if rows else np.zeros(self._weights.shape[1])

    def weight(self, group: tuple[str, ...], unknown_weight: Callable[[str], float]) -> float:
        """How much a question word matters: its IDF, or ``unknown_weight(word)`` for a word no article uses."""
        known = [self.idf[t] for t in group if t in self.idf]
        return max(max(known), 0.1) if known else unknown_weight(group[0])

    def coverage(self, groups: list[tuple[str, ...]], vocabulary: set[str] | frozenset[str],
                 unknown_weight: Callable[[str], float]) -> float:
        """The IDF-weighted share of the question's words (numbers aside) that a text with this vocabulary (an
        article's, ``self.vocabulary[doc]``, or a neighbouring topic's) contains."""
        topical = list(dict.fromkeys(_topical(groups)))
        weights = [self.weight(g, unknown_weight) for g in topical]
        total = sum(weights)
        if not total:
            return 0.0
        return sum(w for g, w in zip(topical, weights) if any(t in vocabulary for t in g)) / total


#: A sentence longer than this is offered as excerpts of two clauses (第十一条 is one 200-character sentence).
LONG_SENTENCE = 90


def _excerpts(sentence: str) -> list[str]:
    clauses = [c for c in re.split(r"(?<=[，,])", sentence) if c]
    if len(sentence) <= LONG_SENTENCE or len(clauses) < 3:
        return [sentence]
    windows = ["".join(clauses[i:i + 2]) for i in range(len(clauses) - 1)]
    return [("" if i == 0 else "…") + w.rstrip("，,") + ("" if i == len(windows) - 1 else "…")
            for i, w in enumerate(windows)]


def sentences(text: str, tokenize, pattern=_SENTENCE) -> list[tuple[str, frozenset[str]]]:
    """An article's (or a summary's) sentences, a long one as excerpts of two clauses, each with its tokens."""
    found = (part.strip() for part in pattern.findall(text))
    return [(excerpt, frozenset(tokenize(excerpt)))
            for sentence in found if len(sentence) >= 4 for excerpt in _excerpts(sentence)]


def direct_sentence(candidates: list[tuple[str, frozenset[str]]], words: set[str], asks_figure: bool,
                    idf: dict[str, float]) -> str:
    """The sentence that shares most of the question's words, each weighed by how rare it is in the documents
    (牌照 → 许可证 picks 第十四条's licence condition, not its opening about 担保), and one holding figures when
    the question asks for a figure: what the chat shows first, with the whole article a tap away."""
    best, best_score = "", -1.0
    for sentence, sentence_tokens in candidates:
        figures = len(re.findall(r"\d+(?:\.\d+)?", sentence)) if asks_figure else 0
        score = sum(max(idf.get(word, 0.0), 0.1) for word in words & sentence_tokens) + min(figures, 3)
        if score > best_score:
            best, best_score = sentence, score
    return best


@dataclass
class _Built:
    """What the engine builds from the packs, kept in the cache directory."""

    chinese: _Index
    english: _Index
    homophones: Homophones
    #: Each article's token vectors (`TokenVectors`), of its Chinese text and of its English title and summary.
    chinese_vectors: np.ndarray
    english_vectors: np.ndarray
    #: The vocabulary of each of ``qa_words.yaml``'s neighbouring topics, in Chinese and in English.
    chinese_neighbours: list[frozenset[str]]
    english_neighbours: list[frozenset[str]]
    #: The words that only say a question is about IP pledge loans and their compensation (``neighbouring_context``).
    chinese_context: frozenset[str]
    english_context: frozenset[str]


def _fingerprint(chinese: list[str], english: list[str]) -> str:
    """Names what the cache was built from: the searched texts, the word lists, jieba and this code."""
    return fingerprint((Path(__file__).read_bytes(), Path(segmenter_module.__file__).read_bytes(),
                        Path(token_vectors.__file__).read_bytes(), token_vectors.model_version().encode(),
                        *map(_data_bytes, _DATA_FILES), segmenter_module.JIEBA_VERSION.encode(),
                        json.dumps([chinese, english], ensure_ascii=False).encode("utf-8")))[:16]


def _build(segmenter: Segmenter, vectors: TokenVectors, chinese: list[str], english: list[str]) -> _Built:
    index = _Index([tokens(segmenter, text) + phrases(segmenter, text) for text in chinese])
    return _Built(index, _Index([english_tokens(text) for text in english]), Homophones(set(index.idf)),
                  vectors.embed(chinese), vectors.embed(english),
                  [frozenset(tokens(segmenter, topic["zh"])) for topic in _NEIGHBOURING_TOPICS],
                  [frozenset(english_tokens(topic["en"])) for topic in _NEIGHBOURING_TOPICS],
                  frozenset(tokens(segmenter, _NEIGHBOURING_CONTEXT["zh"])),
                  frozenset(english_tokens(_NEIGHBOURING_CONTEXT["en"])))


def _searched_texts(entries: list[tuple[PolicyPack, Article]]) -> tuple[list[str], list[str]]:
    """Per article, the Chinese text searched (the title weighs twice, users' phrasings included) and the English."""
    chinese = [f"{a.title} {a.title} {a.chapter or ''} {a.text} {' '.join(a.asks)}" for _, a in entries]
    english = [f"{a.title_en or ''} {a.title_en or ''} {a.summary_en or ''}" for _, a in entries]
    return chinese, english


def _cache_files(cache_dir: Path, fingerprint: str) -> tuple[Path, Path, Path]:
    """The stem of the dictionary's files, the built index, and the token vectors."""
    stem = cache_dir / f"qa-{fingerprint}"
    return stem, stem.with_name(f"{stem.name}.index"), stem.with_name(f"{stem.name}.vectors.npy")


def cache_is_built(packs: dict[str, PolicyPack], cache_dir: Path) -> bool:
    """Whether ``cache_dir`` holds this engine's build for these packs (then `PolicyQA` opens in a blink)."""
    dictionary, built_file, vectors_file = _cache_files(cache_dir, _fingerprint(*_searched_texts(_entries(packs))))
    return all(path.exists() for path in (dictionary.with_suffix(".trie"), dictionary.with_suffix(".freq"), built_file,
                                          vectors_file))


def _entries(packs: dict[str, PolicyPack]) -> list[tuple[PolicyPack, Article]]:
    return [(p, a) for p in packs.values() for a in p.articles]


def _open_cached(cache_dir: Path, chinese: list[str], english: list[str]) -> tuple[Segmenter, TokenVectors, _Built]:
    """The segmenter, the token vectors and the built index for these texts: read from ``cache_dir`` when it holds
    them (for the same fingerprint), built and written there otherwise. Other builds in the directory are removed
    once they are `STALE_BUILD_AGE` old: one just written belongs to another version of the bot starting beside this
    one (a CLI run during an upgrade), which would otherwise lose its files between writing and opening them."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint(chinese, english)
    dictionary, built_file, vectors_file = _cache_files(cache_dir, fingerprint)
    try:
        segmenter = Segmenter(dictionary)
    except (OSError, ValueError, RuntimeError):  # not built yet, or half a file (marisa raises RuntimeError)
        build_dictionary(dictionary, _DICTIONARY_WORDS)
        segmenter = Segmenter(dictionary)
    try:
        vectors = TokenVectors(vectors_file)
    except (OSError, ValueError, EOFError):  # not written yet, or not whole
        token_vectors.write_matrix(vectors_file)
        vectors = TokenVectors(vectors_file)
    try:
        built = pickle.loads(built_file.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        built = _build(segmenter, vectors, chinese, english)
        write_atomically(built_file, pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
    for stale in cache_dir.glob("qa-*"):
        if not stale.name.startswith(f"qa-{fingerprint}.") and _older_than(stale, STALE_BUILD_AGE):
            stale.unlink(missing_ok=True)
    return segmenter, vectors, built


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:  # another process removed it first
        return False


class PolicyQA:
    def __init__(self, packs: dict[str, PolicyPack], programs: list[str] | tuple[str, ...] = (),
                 cache_dir: Path | None = None):
        self._entries = _entries(packs)
        self._pack_ids = set(packs)
        self._packs = packs
        self._programs = [p for p in programs if p in packs]
        self.segmenter, self._vectors, built = _open_cached(cache_dir or DEFAULT_CACHE_DIR,
                                                           *_searched_texts(self._entries))
        self._chinese, self._english, self._homophones = built.chinese, built.english, built.homophones
        self._article_vectors = {False: built.chinese_vectors, True: built.english_vectors}
        self._neighbours = {False: built.chinese_neighbours, True: built.english_neighbours}
        self._context = {False: built.chinese_context, True: built.english_context}
        self._unknown_weight = {False: lambda word: GENERAL_IDF_SHARE * self.segmenter.general_idf(word),
                                True: lambda word: UNKNOWN_WORD_WEIGHT}
        self._sentences: dict[tuple[int, bool], list[tuple[str, frozenset[str]]]] = {}
        #: Each document's refs as a question has them once folded (（十一） as (十一)), and the bracketed ones
        #: (cbirc's (十一), 中山's 六(二)5) with every article that has them.
        self._refs: dict[str, dict[str, int]] = {pack_id: {} for pack_id in packs}
        self._bracketed_refs: dict[str, list[int]] = {}
        for i, (pack, article) in enumerate(self._entries):
            ref = unicodedata.normalize("NFKC", article.ref)
            self._refs[pack.id][ref] = i
            if "(" in ref:
                self._bracketed_refs.setdefault(ref, []).append(i)
        #: The words of the articles' titles, by language: what the documents are about.
        self._title_words = {False: {t for _, a in self._entries for t in tokens(self.segmenter, a.title)},
                             True: {t for _, a in self._entries for t in english_tokens(a.title_en or "")}}

    def ask(self, question: str, program: str | None = None, limit: int = 5) -> list[Answer]:
        """The best-matching articles, best first; empty when the documents don't cover the question."""
        return self.reply(question, program, limit).answers

    def reply(self, question: str, program: str | None = None, limit: int = 5) -> Reply:
        """Answers to one message, the closest topics when it is declined, or a greeting."""
        if is_greeting(question):
            return Reply(greeting=True)
        question = asked = normalise_question(question)
        english = is_english(question)
        documents = sorted(named_documents(question) & self._pack_ids)
        off_the_map = names_what_no_document_covers(question, bool(documents))
        named = program is None and len(documents) == 1
        compared = documents if program is None and len(documents) > 1 else []  # 「中山和江北的比例一样吗」
        if named or compared:
            program = documents[0] if named else None
            question = without_document_names(question, self.segmenter)
        cited, question = self._cited_articles(question, program)
        compared = [] if cited else compared
        if english:
            index, groups = self._english, english_query_groups(question)
            min_score, min_coverage = MIN_SCORE_EN, MIN_COVERAGE_EN
        else:
            question = self._homophones.correct(question, self.segmenter)
            index, groups = self._chinese, query_groups(self.segmenter, question)
            min_score, min_coverage = MIN_SCORE, MIN_COVERAGE
        if cited or named or compared:
            groups = [g for g in groups if not (compared and g[0] in _COMPARISON_WORDS)]
            if all(g[0] in _DOCUMENT_KINDS for g in _topical(groups)):  # 「第十七条讲的是什么」, 「中山的标准讲什么」
                return Reply(answers=self._what_was_named(cited, compared or [program], limit, english),
                             english=english)
            groups = [g for g in groups if g[0] not in _DOCUMENT_KINDS]  # 「中山这个标准…」: 标准 is the document named
        query = list(dict.fromkeys(t for g in groups for t in g))
        if not english:
            query += phrases(self.segmenter, question)  # they rank; how much of the question is covered counts words alone
        if not query:
            return Reply(english=english)
        scores = index.scores(query)
        candidates = [i for i, (pack, _) in enumerate(self._entries)
                      if (pack.id in compared if compared else program is None or pack.id == program) or i in cited]
        matched = sorted((i for i in candidates if scores[i] > 0 or i in cited),
                         key=lambda i: (i not in cited, -scores[i]))
        if not matched:
            return Reply(english=english)
        relevance = {i: float(scores[i]) for i in matched}
        promoted = None
        if cited or compared:
            self._raise_what_was_named(relevance, matched, cited, compared)
            promoted = matched[0] if cited else None
        elif program is None:
            promoted = self._home_first(matched, scores, asks_whether_ip_type_is_covered(question))
            if promoted is not None:
                relevance[promoted] = max(relevance.get(promoted, 0.0), relevance[matched[0]])
        ranking = self._ranking(candidates, relevance, asked, english, promoted)
        words = set(query)
        asks_figure = any(cue in question.lower() for cue in _ASKS_FOR_FIGURE)
        found = [self._answer(i, score, words, asks_figure, english) for i, score in ranking[:limit]]
        best = matched[0]
        judged = {"english": english, "best_score": float(scores[best]),
                  "coverage": index.coverage(groups, index.vocabulary[best], self._unknown_weight[english])}
        if named or compared:
            min_score = 0.0  # the user said which document to look in: only how much of the question it covers counts
        if cited:
            min_score = min_coverage = 0.0  # the user said which article: only a topic no document covers declines
        fully_covered = judged["coverage"] >= FULL_COVERAGE and len(_topical(groups)) >= 2
        weak = judged["best_score"] < min_score and not fully_covered
        off_the_map = (off_the_map or self._a_neighbouring_topic_holds_more(groups, index, english, judged["coverage"])
                       or self._asks_a_fact_no_shown_article_states(question, groups, [i for i, _ in ranking[:3]],
                                                                    english))
        if off_the_map or weak or judged["coverage"] < min_coverage:
            too_broad = not off_the_map and judged["coverage"] >= FULL_COVERAGE and all(
                any(t in self._title_words[english] for t in g) for g in _topical(groups))
            return Reply(closest=found[:3], too_broad=too_broad, **judged)
        return Reply(answers=found, **judged)

    def _what_was_named(self, cited: list[int], documents: list[str], limit: int, english: bool) -> list[Answer]:
        """The answer to a question that names articles or documents and asks nothing more: the articles cited
        (「第十七条讲的是什么」), one document's opening articles (「中山的标准讲什么」), or each compared document's
        first article (「江北办法和中山标准有什么区别」)."""
        if cited:
            return [self._answer(i, 1.0, set(), False, english) for i in cited][:limit]
        if len(documents) == 1:
            return self._opening(documents[0], limit, english)
        return [self._opening(pack_id, 1, english)[0] for pack_id in documents][:limit]

    def _raise_what_was_named(self, relevance: dict[int, float], matched: list[int], cited: list[int],
                              compared: list[str]) -> None:
        """Raises to the best's relevance the articles cited, or each compared document's best article: they answer
        first."""
        best_of: dict[str, int] = {}
        for i in matched:  # best first
            best_of.setdefault(self._entries[i][0].id, i)
        firsts = cited or [best_of[pack_id] for pack_id in compared if pack_id in best_of]
        relevance.update(dict.fromkeys(firsts, max(relevance.values()) or 1.0))

    def _cited_articles(self, question: str, program: str | None) -> tuple[list[int], str]:
        """The articles a question cites by number (第十一条, 第11条, (十四), 六(二)5, "article 11"), and the question
        without the citations: 第十七条 itself mentions 第十一条, and must not answer 「第十一条讲什么」. An article is
        looked for in the document the question names or the user's program, else in the home programs; a number no
        such document has is looked for in every document ((十四) is cbirc's and 深圳's, not Jiangbei's)."""
        scopes = [[program]] if program else [self._programs, sorted(self._pack_ids)]
        cited: list[int] = []
        for ref in sorted(self._bracketed_refs, key=len, reverse=True):  # 中山's 六(二)5, before its (二)
            if ref in question:
                having = self._bracketed_refs[ref]
                in_scope = [i for i in having if self._entries[i][0].id in scopes[0]]
                cited += in_scope or (having if len(scopes) > 1 else [])
                question = question.replace(ref, " ")
        numbers, question = article_numbers(question)
        for number, bracketed in numbers:
            spellings = _ref_spellings(number, bracketed)
            for scope in scopes:
                found = [i for pack_id in scope for i in self._first_spelled(pack_id, spellings)]
                if found:
                    cited += [i for i in found if i not in cited]
                    break
        return cited, question

    def _first_spelled(self, pack_id: str, spellings: list[str]) -> list[int]:
        """The article of a document whose ref is the first of these spellings the document uses, if any."""
        refs = self._refs[pack_id]
        return next(([refs[spelling]] for spelling in spellings if spelling in refs), [])

    def _a_neighbouring_topic_holds_more(self, groups: list[tuple[str, ...]], index: _Index, english: bool,
                                         covered: float) -> bool:
        """Whether one of the neighbouring topics a hotline hears (patent fees, loan rates, an office's address ...)
        holds more of the question than the best article does: 「知识产权被侵权了怎么维权」 shares 知识产权 and 侵权
        with articles on pledging, but asks what the enforcement topic answers. A topic that holds a word of the
        question no article uses (交税, 推荐) counts the words that only say the question is about IP pledge loans as
        its own: 「补偿款到账以后银行要不要交税」 asks about tax, not about 补偿款 and 银行. Such a topic also wins a tie:
        「专利质押登记要交多少登记费」 is covered whole by the registration article through 登记 and 费, the parts of
        登记费, while the fees topic holds 登记费 itself. ``covered`` is how much of the question the best article
        holds."""
        unused = [g[0] for g in _topical(groups) if g[0] not in index.idf]
        for topic in self._neighbours[english]:
            holds_an_unused_word = any(word in topic for word in unused)
            if holds_an_unused_word:
                topic = topic | self._context[english]
            holds = index.coverage(groups, topic, self._unknown_weight[english])
            if holds > covered or (holds_an_unused_word and math.isclose(holds, covered)):
                return True
        return False

    def _asks_a_fact_no_shown_article_states(self, question: str, groups: list[tuple[str, ...]], shown: list[int],
                                             english: bool) -> bool:
        """Whether the question asks for a kind of fact the documents seldom state (``facts_asked``: a time span, a
        place, a fee, a loan rate ...) and none of the articles it would be shown states one about what it asks:
        「质押登记一般多久能办下来」 shares its other words with the registration articles. When it asks two kinds
        (在哪里查: a place, and where to look it up), one stated is enough. A sentence states it about what is asked when
        it also holds a word of the question beyond the words that ask the fact and those that only say the
        question is about IP pledge loans (``neighbouring_context``): 第十二条's 逾期15天 is a span, but not how long
        a loan takes to approve. A question of nothing but such words takes any sentence that states one."""
        kinds = _kinds_asked(question)
        for kind, asking in kinds.items():
            about = {t for g in _topical(groups) if g[0] not in self._context[english]
                     and not any(g[0] in a or a in g[0] for a in asking) for t in g} - self._context[english]
            if any(not about or about & words for i in shown for words in self._stating_sentences(kind, i)):
                return False
        return bool(kinds)

    def _stating_sentences(self, kind: str, entry: int) -> list[frozenset[str]]:
        """The words of each sentence of an article (its text and its English summary) that states a kind of fact."""
        states = _FACTS_ASKED[kind][1]
        return [words for english in (False, True) for sentence, words in self._article_sentences(entry, english)
                if states.search(sentence)]

    def _opening(self, pack_id: str, limit: int, english: bool) -> list[Answer]:
        """A question that names a document and asks nothing more (「中山的标准讲什么」, "what is the Zhongshan
        document about") is about the document as a whole: its opening articles, in its order, say what it is, each
        scored as the best answer's BM25 share is (1.0)."""
        opening = [i for i, (pack, _) in enumerate(self._entries) if pack.id == pack_id][:limit]
        return [self._answer(i, 1.0, set(), False, english) for i in opening]

    def _ranking(self, candidates: list[int], relevance: dict[int, float], asked: str, english: bool,
                 promoted: int | None) -> list[tuple[int, float]]:
        """The candidate articles best first, each with its score: its BM25 relevance as a share of the best's
        plus `CLOSENESS_WEIGHT` times the cosine of its token vectors and the question's (English questions meet
        the English titles and summaries). The user's program's article `_home_first` chose stays first."""
        question_vector = self._vectors.embed([asked])[0]
        closeness = self._article_vectors[english][candidates] @ question_vector
        best = max(relevance.values())
        score = {i: relevance.get(i, 0.0) / best + CLOSENESS_WEIGHT * float(c) for i, c in zip(candidates, closeness)}
        if promoted is not None:
            score[promoted] = max(score.values())
        ranked = sorted(candidates, key=lambda i: (i != promoted, -score[i]))
        return [(i, score[i]) for i in ranked]

    def _home_first(self, ranked: list[int], scores, asks_ip_type: bool) -> int | None:
        """The article of the user's program that answers first (its relevance raised to the best's), if any:
        one that scores nearly as well as the best, or, when the question asks whether a kind of IP is covered,
        the article its eligible_ip_types cites. Where documents disagree, the rule that applies to the user
        is the one shown."""
        if not self._programs:
            return None
        home = None
        if asks_ip_type:
            home = next((self._entry_index(p, self._packs[p].program.eligible_ip_types.article)
                         for p in self._programs if self._packs[p].program is not None), None)
        if home is None and self._entries[ranked[0]][0].id not in self._programs:
            home = next((i for i in ranked if self._entries[i][0].id in self._programs), None)
            if home is not None and scores[home] < HOME_FIRST_RATIO * scores[ranked[0]]:
                home = None
        return home

    def _entry_index(self, pack_id: str, ref: str) -> int | None:
        return next((i for i, (p, a) in enumerate(self._entries) if p.id == pack_id and a.ref == ref), None)

    def _answer(self, entry: int, score: float, words: set[str], asks_figure: bool, english: bool) -> Answer:
        pack, article = self._entries[entry]
        english = english and bool(article.summary_en)
        idf = (self._english if english else self._chinese).idf
        sentences_ = self._article_sentences(entry, english)
        title = set(english_tokens(article.title_en or "") if english else tokens(self.segmenter, article.title))
        # 中山's 「5、风险补偿。」 only repeats the title the citation line shows: the sentence after it answers
        informative = [s for s in sentences_ if not s[1] <= title | {t for t in s[1] if _NUMBER.match(t)}]
        direct = direct_sentence(informative or sentences_, words, asks_figure, idf) or article.text
        return Answer(pack.id, article.ref, article.title, article.text, round(score, 4), direct,
                      article.title_en)

    def _article_sentences(self, entry: int, english: bool) -> list[tuple[str, frozenset[str]]]:
        """An article's sentences (its English summary's, for ``english``) with their words, cut once and kept."""
        if (entry, english) not in self._sentences:
            _, article = self._entries[entry]
            self._sentences[entry, english] = (sentences(article.summary_en or "", english_tokens, _EN_SENTENCE)
                                               if english else
                                               sentences(article.text, lambda text: tokens(self.segmenter, text)))
        return self._sentences[entry, english]

