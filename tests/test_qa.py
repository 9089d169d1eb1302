import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.qa_eval import evaluate, load_pairs
from bot.services.qa import PolicyQA, query_tokens


@pytest.fixture(scope="module")
def qa(packs):
    return PolicyQA(packs, ["cq-jiangbei-2024"])


def test_the_claim_threshold_question_finds_article_17_first(qa):
    [first, *_] = qa.ask("贷款逾期多少天银行可以申请补偿")
    assert (first.policy, first.article) == ("cq-jiangbei-2024", "第十七条")


def test_colloquial_words_find_the_policy_words(qa):
    assert "逾期" in query_tokens("企业拖欠贷款")
    assert "补偿" in query_tokens("最多赔多少")
    [first, *_] = qa.ask("企业拖欠贷款两个月了，银行能申请赔付吗")
    assert first.article == "第十七条"


def test_an_off_topic_question_finds_nothing(qa):
    assert qa.ask("今天天气怎么样") == []
    assert qa.ask("？？？") == []


def test_program_filter_keeps_one_pack(qa):
    answers = qa.ask("不良率容忍度", program="sz-2023-guidance")
    assert answers and {a.policy for a in answers} == {"sz-2023-guidance"}


def test_at_most_five_answers_best_first(qa):
    answers = qa.ask("知识产权质押融资风险补偿")
    assert len(answers) == 5
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)


def test_retrieval_gets_at_least_90_percent_of_the_eval_set_in_the_top_3(qa):
    result = evaluate(qa, load_pairs())
    assert result["pairs"] >= 40
    assert result["top3"] >= 0.9, result["misses"]


def test_ask_cli_contract():
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "贷款逾期多少天银行可以申请补偿", "--json"],
                         capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
    answers = json.loads(out.stdout)["answers"]
    assert 1 <= len(answers) <= 5
    assert set(answers[0]) == {"policy", "article", "title", "text", "score"}
    assert (answers[0]["policy"], answers[0]["article"]) == ("cq-jiangbei-2024", "第十七条")
    assert isinstance(answers[0]["score"], float)


def test_questions_are_read_in_the_policies_script_and_units():
    from bot.services.qa import normalise_question
    assert normalise_question("補償款什麼時候到賬") == "补偿款什么时候到账"
    assert normalise_question("贷款６００Ｗ") == "贷款600万"
    assert normalise_question("贷款1.5w，window") == "贷款1.5万,window"


@pytest.mark.parametrize(("question", "policy", "article"), [
    ("中山的熔断机制", "zs-db4420-t15-draft", None),
    ("深圳的白名单怎么推送", "sz-2023-guidance", "（十三）"),
    ("34号文对不良率的容忍度", "cbirc-2019-34", "（十一）"),
    ("補償資金用完了怎麼辦", "cq-jiangbei-2024", "第十九条"),
    ("池子里一共有多少钱", "cq-jiangbei-2024", "第三条"),
    ("担保公司要承担多少", "cq-jiangbei-2024", "第十四条"),
])
def test_a_named_document_traditional_script_and_bank_jargon_find_the_article(qa, question, policy, article):
    top = qa.ask(question)[:3]
    assert top and top[0].policy == policy
    assert article is None or article in [a.article for a in top]
