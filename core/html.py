"""Escaping for the table rows and fields that views write by hand (the off-the-job log, its
form, the employer's home), a few hundred values a page.

django.utils.html.escape is html.escape wrapped by keep_lazy (which looks at every argument for
a lazy translation) and returning a SafeString: about ten times the cost of the escape itself
(measured: 3.9 µs against 0.4 µs a call), which on the log came to a millisecond. The output is
the same characters (&, <, >, " and ' as &#x27;); the callers mark the finished markup safe."""

from __future__ import annotations

import functools
import html
import unicodedata

from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length
from django.utils.translation import get_language, pgettext


def escape(value: object) -> str:
    """`value` as text with HTML's special characters escaped, as django.utils.html.escape."""
    return html.escape(str(value))


def linebreaksbr(value: str) -> str:
    """The template filter linebreaksbr with autoescape: escaped, each line break a <br>."""
    text = html.escape(str(value))
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


@functools.lru_cache(maxsize=64)
def _ending(limit: int, language: str | None) -> tuple[int, str]:
    """The room a text cut at `limit` keeps before the ellipsis, counted as Truncator.chars
    counts it, and the ellipsis as translated: both asked of the translations once a limit and
    language, not once a text."""
    ending = pgettext("String to return when truncating text", "%(truncated_text)s…")
    return calculate_truncate_chars_length(limit, ending), ending


def truncatechars(text: str, limit: int) -> str:
    """The template filter truncatechars (Truncator.chars), without its per-character pass.

    A text of ASCII characters has nothing to normalise and no combining characters, so each
    character counts as one: it fits, or it is cut to leave room for the ellipsis. That pass
    over a standard's statements (dozens of texts of two or three hundred characters, cut at
    160) was most of the off-the-job form's time. Any other text goes to Django's own."""
    if text.isascii():
        if len(text) <= limit:
            return text
        if limit <= 0:
            return ""
        room, ending = _ending(limit, get_language())
        return add_truncation_text(text[:room], ending)
    if len(text) <= limit and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(limit)
