"""The review's KSB coverage rows, written by a tag (portfolios/templatetags/progress_reviews.py),
read as the template loop they replace wrote them: the same cells and texts, escaped, long
statements cut as truncatechars:160 cuts them."""

from __future__ import annotations

import re

from django.template import Context, Template

LOOP = Template(
    '{% for item in statements %}<tr><th scope="row">{{ item.code }}</th>'
    '<td data-label="Statement">{{ item.text|truncatechars:160 }}</td>'
    '<td data-label="Coverage">{{ item.label }}</td></tr>{% endfor %}'
)
TAG = Template("{% load progress_reviews %}{% ksb_snapshot_rows statements %}")

STATEMENTS = [
    {"code": "K1", "text": 'Know the <organisation>\'s "customers" & markets', "label": "Met"},
    {"code": "S2", "text": "Long " + "word " * 60, "label": "Gap: not yet evidenced"},
    {"code": "B3", "text": "Cafe\u0301 culture", "label": "Covered"},  # not NFC
    {"code": "K4", "text": "", "label": ""},
    {"code": "K5"},  # a snapshot written before a field existed
]


def _cells(html: str) -> list[str]:
    return re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html)


def test_the_tag_writes_what_the_loop_wrote() -> None:
    context = Context({"statements": STATEMENTS})
    loop, tag = LOOP.render(context), TAG.render(context)

    assert tag == loop
    assert "&lt;organisation&gt;&#x27;s &quot;customers&quot; &amp; markets" in tag
    assert len(_cells(tag)) == 3 * len(STATEMENTS)


def test_no_statements_no_rows() -> None:
    assert TAG.render(Context({"statements": []})) == ""
