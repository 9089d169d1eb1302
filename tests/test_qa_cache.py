"""The Q&A's segmentation dictionary and index: exactly jieba's cuts, built once into the cache directory and
read back by the next start, rebuilt when what they were built from changes or the files are damaged."""

import os
import subprocess
import sys
from pathlib import Path

import jieba
import pytest

from bench.qa_eval import load_questions
from bot.services import qa as qa_module
from bot.services.qa import PolicyQA, cache_is_built
from bot.services.segmenter import DOMAIN_WORD_FREQ
from tests.bot_harness import BotHarness

USER = 4242


@pytest.fixture(scope="module")
def jiebas_own():
    """jieba with its own dictionary and the domain words added, as the Q&A used it before the trie."""
    tokenizer = jieba.Tokenizer()
    for word in qa_module._DICTIONARY_WORDS:
        tokenizer.add_word(word, freq=DOMAIN_WORD_FREQ)
    return tokenizer


def test_the_trie_cuts_every_text_exactly_as_jieba_with_its_own_dictionary(packs, jiebas_own, tmp_path):
    segmenter = PolicyQA(packs, cache_dir=tmp_path).segmenter
    texts = [a.text for p in packs.values() for a in p.articles]
    texts += [q["q"] for q in load_questions("dev") + load_questions("test")]
    # the short texts a question's words and their policy words are cut as, twice: the second cut is remembered
    texts += [*qa_module._SYNONYMS, *sorted({w for words in qa_module._SYNONYMS.values() for w in words})] * 2
    for text in texts:
        assert segmenter.cut(text) == list(jiebas_own.cut(text, HMM=False)), text
        assert segmenter.cut_for_search(text) == list(jiebas_own.cut_for_search(text, HMM=False)), text


def test_a_remembered_cut_is_not_changed_by_what_a_caller_does_with_it(packs, tmp_path):
    segmenter = PolicyQA(packs, cache_dir=tmp_path).segmenter
    parts = segmenter.cut_for_search("补偿比例")
    parts.append("逾期")
    assert segmenter.cut_for_search("补偿比例") == parts[:-1]


def _cache_files(directory):
    return {path.name: path.stat().st_mtime_ns for path in directory.glob("qa-*")}


def test_the_index_is_built_once_and_read_back_by_the_next_start(packs, tmp_path):
    first = PolicyQA(packs, ["cq-jiangbei-2024"], cache_dir=tmp_path)
    built = _cache_files(tmp_path)
    assert {name.rsplit(".", 1)[-1] for name in built} == {"trie", "freq", "idf", "index", "npy"}
    second = PolicyQA(packs, ["cq-jiangbei-2024"], cache_dir=tmp_path)
    assert _cache_files(tmp_path) == built
    question = "贷款逾期多少天银行可以申请补偿"
    assert second.ask(question) == first.ask(question)


def test_a_changed_article_rebuilds_the_index_and_removes_the_old_one(packs, tmp_path):
    PolicyQA(packs, cache_dir=tmp_path)
    old = set(_cache_files(tmp_path))
    _age(tmp_path, qa_module.STALE_BUILD_AGE + 1)
    qa = PolicyQA(_with_a_new_rule(packs), cache_dir=tmp_path)
    assert set(_cache_files(tmp_path)).isdisjoint(old)
    [first, *_] = qa.ask("蓝鲸保护计划")
    assert (first.policy, first.article) == ("cq-jiangbei-2024", packs["cq-jiangbei-2024"].articles[0].ref)


def test_another_versions_build_written_moments_ago_is_left_for_it(packs, tmp_path):
    """A bot and a CLI of different versions starting together share the cache directory: each must not remove the
    files the other has just written and is about to open."""
    PolicyQA(packs, cache_dir=tmp_path)
    old = set(_cache_files(tmp_path))
    PolicyQA(_with_a_new_rule(packs), cache_dir=tmp_path)
    assert old <= set(_cache_files(tmp_path))


def _with_a_new_rule(packs):
    """The packs with 江北's first article saying one thing more: another fingerprint, another build."""
    pack = packs["cq-jiangbei-2024"]
    article = pack.articles[0].model_copy(update={"text": pack.articles[0].text + "本条另规定：蓝鲸保护计划。"})
    return {**packs, pack.id: pack.model_copy(update={"articles": [article, *pack.articles[1:]]})}


def _age(cache_dir: Path, seconds: float) -> None:
    for path in cache_dir.glob("qa-*"):
        then = path.stat().st_mtime - seconds
        os.utime(path, (then, then))


def test_damaged_cache_files_are_rebuilt(packs, tmp_path):
    PolicyQA(packs, cache_dir=tmp_path)
    for path in tmp_path.glob("qa-*"):
        path.write_bytes(b"\x00half a file")
    [first, *_] = PolicyQA(packs, cache_dir=tmp_path).ask("贷款逾期多少天银行可以申请补偿")
    assert first.article == "第十七条"


async def test_a_first_start_answers_while_another_process_builds_the_qa_index(tmp_path, monkeypatch):
    def built_here(*_args):
        raise AssertionError("the bot built the Q&A index itself: it could not read the one the other process built")

    monkeypatch.setattr(qa_module, "_build", built_here)
    harness = await BotHarness(tmp_path / "data", IPBOT_QA_CACHE_DIR=tmp_path / "empty-cache").start(wait_for_qa=False)
    try:
        services = harness.app.services
        assert services.qa is None and services.qa_loading is not None
        [greeting] = await harness.send(USER, "/start")
        assert "/bind" in greeting["text"]
        assert not services.qa_loading.done()  # /start did not wait for the index
        [answer] = await harness.send(USER, "贷款逾期多少天银行可以申请补偿")
        assert "第十七条" in answer["text"]
        assert cache_is_built(services.packs, tmp_path / "empty-cache")
    finally:
        await harness.stop()


def test_the_qa_loads_neither_jiebas_hmm_model_nor_pkg_resources(packs, tmp_path):
    """Every cut is made with HMM=False, and jieba opens its dictionary without pkg_resources: neither is loaded,
    whether the process builds the cache or opens it (pkg_resources stays importable for anything else)."""
    script = ("import sys; from bot.config import Settings; from bot.policies import load_packs; "
              "from bot.services.qa import PolicyQA; from pathlib import Path; "
              f"PolicyQA(load_packs(Settings().policy_dir), cache_dir=Path({str(tmp_path)!r})).ask('逾期多少天可以申请补偿'); "
              "print(sorted(m for m in sys.modules if m.startswith(('jieba.finalseg', 'pkg_resources')))); "
              "import pkg_resources")
    for _start in ("builds the cache", "opens it"):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent.parent)
        assert out.stdout.strip().splitlines()[-1] == "[]"
