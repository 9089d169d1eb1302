import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.policies import PolicyLoadError, load_pack, load_packs
from bot.rules.policy import Cited

ROOT = Path(__file__).resolve().parent.parent
DESIGN_IDS = {"cq-jiangbei-2024", "zs-db4420-t15-draft", "sz-2023-guidance", "cbirc-2019-34", "nfra-2024-pilot"}


def test_all_five_seed_documents_have_a_pack_with_the_design_ids(packs):
    assert set(packs) == DESIGN_IDS


def test_only_jiangbei_is_a_program(packs):
    assert [p.id for p in packs.values() if p.program] == ["cq-jiangbei-2024"]


@pytest.mark.parametrize(("pack_id", "refs"), [
    ("cq-jiangbei-2024", ["第一条", "第十一条", "第十七条", "第二十六条"]),
    ("sz-2023-guidance", ["（一）", "（十三）", "（二十）", "（二十一）"]),
    ("cbirc-2019-34", ["（五）", "（十一）", "（十四）", "（十九）"]),
    ("nfra-2024-pilot", ["3", "7", "12", "14"]),
    ("zs-db4420-t15-draft", ["一", "六（二）6", "十"]),
])
def test_articles_are_referenced_as_printed(packs, pack_id, refs):
    for ref in refs:
        assert packs[pack_id].article(ref).text


def test_jiangbei_has_all_26_articles_in_order(jiangbei):
    assert len(jiangbei.articles) == 26
    assert jiangbei.articles[10].ref == "第十一条"
    assert "单笔500万以下" in jiangbei.article("第十一条").text


def _cited(node, path=""):
    if isinstance(node, Cited):
        yield path, node
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _cited(getattr(node, name), f"{path}.{name}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _cited(item, f"{path}[{i}]")


def _spellings(value) -> list[str]:
    """How a number may be printed in a Chinese policy text."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return []
    value = Decimal(value)
    if value < 1:
        return [f"{(value * 100).normalize():f}%"]
    spellings = [f"{value.normalize():f}"]
    if value >= 10_000:
        spellings.append(f"{(value / 10_000).normalize():f}万")
    return spellings


def test_every_jiangbei_number_is_printed_in_the_article_it_cites(jiangbei):
    checked = 0
    for path, cited in _cited(jiangbei.program):
        spellings = _spellings(cited.value)
        if not spellings:
            continue
        text = re.sub(r"\s", "", jiangbei.article(cited.article).text)
        assert any(s in text for s in spellings), f"{path}={cited.value} not in {cited.article}"
        checked += 1
    assert checked == 8


def test_claim_trigger_and_insurer_share_are_printed_in_their_articles(jiangbei):
    program = jiangbei.program
    trigger = program.claim_trigger
    assert f"{trigger.overdue_days}天以上" in jiangbei.article(trigger.article).text
    insurer = next(s for s in program.compensation.shares if s.party == "insurer")
    assert f"不低于{(insurer.min_ratio * 100).normalize():f}%" in jiangbei.article(insurer.article).text


def test_jiangbei_tiers_and_ratios_are_printed_in_article_11(jiangbei):
    text = jiangbei.article("第十一条").text
    payer = jiangbei.program.compensation.payers[0]
    assert payer.article == "第十一条"
    for tier in payer.tiers:
        assert f"{(tier.ratio * 100).normalize():f}%" in text
    assert f"{(payer.tiers[0].principal_below / 10_000).normalize():f}万" in text


def _copy_packs(tmp_path):
    target = tmp_path / "packs"
    shutil.copytree(load_packs.__defaults__[0], target)
    return target


def test_a_pack_missing_a_field_names_the_file_and_the_field(tmp_path):
    directory = _copy_packs(tmp_path)
    path = directory / "cq-jiangbei-2024.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    size: {value: 10000000, article: 第三条}\n", ""), encoding="utf-8")
    with pytest.raises(PolicyLoadError) as info:
        load_packs(directory)
    assert "cq-jiangbei-2024.yaml" in str(info.value)
    assert "program.fund.size" in str(info.value)


def test_a_citation_of_an_article_the_pack_lacks_is_refused(tmp_path):
    directory = _copy_packs(tmp_path)
    path = directory / "cq-jiangbei-2024.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "claim_trigger: {kind: overdue_days, overdue_days: 60, article: 第十七条}",
        "claim_trigger: {kind: overdue_days, overdue_days: 60, article: 第九十九条}"), encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="第九十九条"):
        load_packs(directory)


def test_tiers_with_a_gap_are_refused(tmp_path):
    directory = _copy_packs(tmp_path)
    path = directory / "cq-jiangbei-2024.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '{principal_from: 5000000, ratio: "0.20"}', '{principal_from: 5000001, ratio: "0.20"}'), encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="tier 1 starts at 5000001"):
        load_packs(directory)


def test_a_pack_whose_id_differs_from_its_file_name_is_refused(tmp_path):
    directory = _copy_packs(tmp_path)
    (directory / "cq-jiangbei-2024.yaml").rename(directory / "other-name.yaml")
    with pytest.raises(PolicyLoadError, match="must match the file name"):
        load_packs(directory)


def test_broken_yaml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="broken.yaml: not valid YAML"):
        load_pack(path)


def test_an_empty_policy_directory_is_an_error(tmp_path):
    with pytest.raises(PolicyLoadError, match="no policy packs"):
        load_packs(tmp_path)


@pytest.mark.parametrize("name", ["zs-test-54-26-16-4", "gz-test-2023", "wh-test-2024", "weihai-test-layers"])
def test_other_districts_shapes_load_from_yaml_alone(fixture_program, name):
    assert fixture_program(name).program is not None


# The packs kept validated between runs (issue 14: a calculator starts without PyYAML or building a validator)

def test_packs_read_back_from_the_cache_equal_the_packs_read_from_their_yaml(tmp_path):
    cache = tmp_path / "packs.pickle"
    written = load_packs(cache=cache)
    assert cache.is_file()
    assert load_packs(cache=cache) == written == load_packs()


def test_a_start_that_finds_the_packs_cached_neither_loads_yaml_nor_builds_a_validator(tmp_path):
    cache = tmp_path / "packs.pickle"
    load_packs(cache=cache)
    script = ("import sys; from pathlib import Path; from bot.policies import load_packs; "
              "from bot.rules.policy import PolicyPack; "
              f"packs = load_packs(cache=Path({str(cache)!r})); "
              "print('yaml' in sys.modules, PolicyPack.__pydantic_complete__, "
              "packs['cq-jiangbei-2024'].program.claim_trigger.overdue_days)")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert shown.stdout.split() == ["False", "False", "60"]


def test_a_pack_changed_since_the_cache_was_written_is_read_from_its_yaml(tmp_path):
    directory, cache = _copy_packs(tmp_path), tmp_path / "packs.pickle"
    load_packs(directory, cache)
    path = directory / "cq-jiangbei-2024.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "claim_trigger: {kind: overdue_days, overdue_days: 60, article: 第十七条}",
        "claim_trigger: {kind: overdue_days, overdue_days: 90, article: 第十七条}"), encoding="utf-8")
    assert load_packs(directory, cache)["cq-jiangbei-2024"].program.claim_trigger.overdue_days == 90


def test_a_pack_broken_since_the_cache_was_written_is_refused(tmp_path):
    directory, cache = _copy_packs(tmp_path), tmp_path / "packs.pickle"
    load_packs(directory, cache)
    (directory / "cq-jiangbei-2024.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="not valid YAML"):
        load_packs(directory, cache)


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_cache_cut_short_or_damaged_is_written_again(tmp_path, damage):
    cache = tmp_path / "packs.pickle"
    cache.write_bytes(damage)
    assert set(load_packs(cache=cache)) == DESIGN_IDS
    assert cache.read_bytes() != damage


def test_a_cache_that_cannot_be_written_is_left_out(tmp_path):
    (tmp_path / "not-a-directory").write_text("")
    cache = tmp_path / "not-a-directory" / "packs.pickle"
    assert set(load_packs(cache=cache)) == DESIGN_IDS
    assert list(tmp_path.iterdir()) == [tmp_path / "not-a-directory"]
