"""core.html writes exactly what Django's escape and linebreaksbr write, for any text: the rows
written by hand must read as the template wrote them, and never less escaped."""

from __future__ import annotations

from django.template.defaultfilters import linebreaksbr as django_linebreaksbr
from django.utils.html import escape as django_escape
from django.utils.text import Truncator
from hypothesis import given, settings
from hypothesis import strategies as st

from core.html import escape, linebreaksbr, truncatechars

# Text with plenty of the characters that matter: markup, quotes, ampersands, line breaks.
TEXT = st.text(alphabet=st.sampled_from("<>&\"' \r\nab1é\u2028"), max_size=40) | st.text()


# No deadline: a timed test fails on a loaded machine, and what is tested here is the output.
@settings(deadline=None)
@given(TEXT)
def test_escape_is_django_escape(text: str) -> None:
    assert escape(text) == django_escape(text)


@settings(deadline=None)
@given(TEXT)
def test_linebreaksbr_is_the_filter_with_autoescape(text: str) -> None:
    assert linebreaksbr(text) == django_linebreaksbr(text, autoescape=True)


def test_values_that_are_not_text_are_written_as_their_text() -> None:
    assert escape(12) == django_escape(12) == "12"
    assert escape('<script>alert("x")</script>') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    )


# ASCII (the fast path) and any text (Django's own), around the limit and far past it.
LONG_TEXT = (
    st.text(alphabet=st.characters(max_codepoint=127), max_size=300)
    | st.text(alphabet=st.sampled_from("ab \u0301e\u00e9\u2026."))
    | st.text()
)


@settings(deadline=None)
@given(LONG_TEXT, st.integers(min_value=-2, max_value=320))
def test_truncatechars_is_the_filter(text: str, limit: int) -> None:
    assert truncatechars(text, limit) == Truncator(text).chars(limit)


def test_truncatechars_cuts_a_long_statement_to_the_limit_with_an_ellipsis() -> None:
    text = "Understands the organisation's service offer. " * 5
    assert truncatechars(text, 160) == text[:159] + "\u2026"
    assert len(truncatechars(text, 160)) == 160
    assert truncatechars("short", 160) == "short"
