from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram_limits import MAX_TEXT as MESSAGE_LIMIT
from bot.texts import pages

TEXTS = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.just("长" * 5000),
                 max_size=40).map("\n".join)


@settings(deadline=None)  # texts of 40 x 5,000 characters take their time on a busy machine
@given(TEXTS, st.integers(1, MESSAGE_LIMIT))
def test_pages_fit_the_limit_and_lose_no_visible_character(text, limit):
    cut = pages(text, limit)
    assert cut and all(len(page) <= limit for page in cut)
    visible = lambda s: "".join(s.split())  # noqa: E731
    assert visible("".join(cut)) == visible(text)
    if text.strip():
        assert all(page.strip() for page in cut)


def test_a_short_text_is_one_page_and_a_long_list_breaks_at_line_ends():
    assert pages("一行") == ["一行"]
    lines = [f"第{i}行" + "字" * 50 for i in range(200)]
    cut = pages("\n".join(lines))
    assert len(cut) > 1 and all(len(p) <= MESSAGE_LIMIT for p in cut)
    assert "\n".join(cut).split("\n") == lines
