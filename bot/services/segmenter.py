"""Chinese word segmentation for the Q&A: jieba's cutting over jieba's whole dictionary, held in a trie.

jieba keeps its dictionary as a Python dict of every word and every prefix of a word (half a million
entries): loading it takes a second and some 70 MB. Here the same words, with the same frequencies, are a
`marisa_trie.Trie` (1 MB, opened in a millisecond) beside an array of their frequencies (2.8 MB), both
memory-mapped, so the Q&A starts fast and stays small in the bot, and every sentence is cut exactly as jieba
cuts it with its own dictionary (a test compares both over the policy texts and the evaluation questions).

The trie is built once from jieba's ``dict.txt`` plus the domain words (at `DOMAIN_WORD_FREQ`), and kept in the
cache directory under a name the caller chooses, with each word's general-language IDF from the table jieba ships
for keyword extraction (``jieba/analyse/idf.txt``): how much a word says in any Chinese text.
"""

import array
import functools
import logging
import mmap
import os
import types
from collections.abc import Iterable
from pathlib import Path

import marisa_trie

from bot.files import write_atomically
from bot.imports import held_out


def _without_hmm(*_args, **_kwargs):
    raise RuntimeError("the Q&A cuts with HMM=False: jieba's HMM model (jieba.finalseg) is not loaded")


_HMM_STAND_IN = types.ModuleType("jieba.finalseg", "jieba's HMM model, not loaded: the Q&A cuts with HMM=False")
_HMM_STAND_IN.cut = _HMM_STAND_IN.add_force_split = _without_hmm

# As it is imported, jieba loads its HMM model for guessing words its dictionary lacks (jieba.finalseg: some 17 MB
# of probability tables) and pkg_resources (5 MB and 0.1 s, to open its own dictionary file, which it opens
# directly without it). Every cut here is made with HMM=False: a stand-in that refuses to be used takes the model's
# place (a test checks the Q&A loads neither).
with held_out({"jieba.finalseg": _HMM_STAND_IN, "pkg_resources": None}):
    import jieba  # noqa: E402

jieba.setLogLevel(logging.WARNING)

#: Names the dictionary and the cutting, for the Q&A cache's fingerprint.
JIEBA_VERSION = jieba.__version__
#: Dictionary frequency for the documents' and users' own words, so 中山风补 is cut 中山/风补, not 中/山风/补.
DOMAIN_WORD_FREQ = 100_000
#: Longer than any word of the dictionary: how far ahead a word is looked for.
LONGEST_WORD = 24
#: Texts this short (a word, a policy word) have their search-mode cut remembered, this many of them.
SHORT_TEXT = 8
SHORT_CUTS_REMEMBERED = 16_384
#: A frequency in the ``.freq`` file: an unsigned 64-bit number.
FREQ_TYPE = "Q"
#: A general IDF in the ``.idf`` file, in tenths (jieba's run from 2.4 to 14.0): an unsigned byte, 0 where jieba's
#: table lacks the word.
IDF_TYPE = "B"
IDF_SCALE = 10


def build_dictionary(stem: Path, domain_words: Iterable[str]) -> None:
    """jieba's dictionary and the domain words as ``<stem>.trie`` and ``<stem>.freq`` (the word's frequency at
    its trie key id; jieba's ``add_word`` raises the total by each added word's frequency, and so does this), and
    each word's general IDF as ``<stem>.idf`` (`_general_idf`)."""
    words: dict[str, int] = {}
    total = 0
    with jieba.get_dict_file() as lines:
        for line in lines:
            word, freq = line.decode("utf-8").split(" ")[:2]
            words[word] = int(freq)
            total += int(freq)  # as jieba counts it: a word listed twice (B超) counts twice
    words = {word: freq for word, freq in words.items() if freq}  # jieba never cuts out a word of frequency 0
    for word in dict.fromkeys(domain_words):
        words[word] = DOMAIN_WORD_FREQ
        total += DOMAIN_WORD_FREQ
    trie = marisa_trie.Trie(words)
    freqs = array.array(FREQ_TYPE, [0]) * len(trie)
    for word, freq in words.items():
        freqs[trie[word]] = freq
    freqs.append(total)
    write_atomically(stem.with_suffix(".idf"), _general_idf(trie).tobytes())
    write_atomically(stem.with_suffix(".freq"), freqs.tobytes())
    write_atomically(stem.with_suffix(".trie"), trie.tobytes())


def _general_idf(trie: marisa_trie.Trie) -> array.array:
    """Each trie word's IDF from jieba's keyword-extraction table, in tenths at its key id, then the table's median,
    which jieba gives a word the table lacks. The table is read as ``jieba.analyse.tfidf.IDFLoader`` reads it:
    importing ``jieba.analyse`` would load ``jieba.posseg`` and its tables into the bot for good."""
    idf = array.array(IDF_TYPE, [0]) * len(trie)
    values = []
    with open(os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt"), encoding="utf-8") as table:
        for line in table:
            word, value = line.split(" ")
            values.append(float(value))
            key = trie.get(word)
            if key is not None:
                idf[key] = min(round(float(value) * IDF_SCALE), 255)
    idf.append(round(sorted(values)[len(values) // 2] * IDF_SCALE))
    return idf


def _mapped_numbers(path: Path, type_code: str = FREQ_TYPE) -> memoryview:
    """A ``.freq`` or ``.idf`` file's numbers, memory-mapped like the trie: a cut reads a few of its 350,000 words,
    and only the pages it reads are loaded."""
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)  # ValueError when the file is empty
    if len(mapped) % array.array(type_code).itemsize:
        raise ValueError(f"{path}: not whole")
    return memoryview(mapped).cast(type_code)


class _Frequencies:
    """What jieba reads from its dictionary: ``FREQ.get(word)``."""

    __slots__ = ("_trie", "_freqs")

    def __init__(self, trie: marisa_trie.Trie, freqs: memoryview):
        self._trie = trie
        self._freqs = freqs

    def get(self, word: str, default: int | None = None) -> int | None:
        key = self._trie.get(word)
        return default if key is None else self._freqs[key]


class _TrieTokenizer(jieba.Tokenizer):
    """`jieba.Tokenizer` whose dictionary is the trie: the candidate words starting at each character (jieba's
    DAG) are the trie's prefixes of the text from there; routes and search-mode cuts read the same frequencies."""

    def __init__(self, trie: marisa_trie.Trie, freqs: memoryview):
        super().__init__()
        self._trie = trie
        self.FREQ = _Frequencies(trie, freqs)
        self.total = freqs[-1]
        self.initialized = True

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        return {start: [start + len(word) - 1 for word in self._trie.prefixes(sentence[start:start + LONGEST_WORD])]
                or [start] for start in range(len(sentence))}


class Segmenter:
    """jieba cutting over the dictionary built by `build_dictionary` at ``stem``."""

    def __init__(self, stem: Path):
        if not stem.with_suffix(".trie").exists():
            raise FileNotFoundError(stem.with_suffix(".trie"))
        trie = marisa_trie.Trie()
        trie.mmap(str(stem.with_suffix(".trie")))
        freqs = _mapped_numbers(stem.with_suffix(".freq"))
        self._idf = _mapped_numbers(stem.with_suffix(".idf"), IDF_TYPE)
        if len(freqs) != len(trie) + 1 or len(self._idf) != len(trie) + 1:
            raise ValueError(f"{stem}: the frequencies or the IDFs do not match the trie")
        self._trie = trie
        self._jieba = _TrieTokenizer(trie, freqs)
        self._short_cuts = functools.lru_cache(maxsize=SHORT_CUTS_REMEMBERED)(self._cut_for_search)

    def general_idf(self, word: str) -> float:
        """How much the word says in any Chinese text: its IDF in jieba's keyword-extraction table, or the table's
        median for a word the table lacks, as jieba takes it."""
        key = self._trie.get(word)
        tenths = self._idf[key] if key is not None else 0
        return (tenths or self._idf[-1]) / IDF_SCALE

    def cut(self, text: str) -> list[str]:
        """Precise mode, dictionary words only (no HMM guessing of new words)."""
        return list(self._jieba.cut(text, HMM=False))

    def cut_for_search(self, text: str) -> list[str]:
        """Search mode: each long word and the dictionary words inside it. A word's parts are remembered: a
        question cuts each of its words and each policy word its synonyms stand for again (a pasted paragraph,
        hundreds), and the same few thousand words come back question after question."""
        if len(text) <= SHORT_TEXT:
            return list(self._short_cuts(text))
        return list(self._cut_for_search(text))

    def _cut_for_search(self, text: str) -> tuple[str, ...]:
        return tuple(self._jieba.cut_for_search(text, HMM=False))
