"""The gateway page's gap rows, written by the view (assessments.views.gateway.gap_rows_html), read
as the template loop they replace wrote them: the same markup (whitespace between tags aside),
every text escaped, the forms only for who may name gaps."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from assessments.views.gateway import GapRow, gap_rows_html
from portfolios.models import GatewayGap

# The loop as templates/assessments/gateway/page.html wrote it before the view wrote the rows.
LOOP = Template((Path(__file__).parent / "gateway_gap_loop.html").read_text())


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _rows() -> list[GapRow]:
    written = timezone.make_aware(datetime.datetime(2026, 3, 9, 23, 30))  # 9 March, London
    note = GatewayGap(
        gap='Not seen <handling> "complaints" & escalation',
        plan="Covered by the professional discussion's questions",
        written_at=written,
    )
    return [
        GapRow(
            statement_id=11,
            code="K1",
            text="Know the <organisation>'s customers",
            label="Not yet evidenced",
            note=None,
            action="/assessment/gateway/registration/5/gaps/11/",
        ),
        GapRow(
            statement_id=12,
            code="S&2",
            text="",
            label="Partly evidenced",
            note=note,
            action="/assessment/gateway/registration/5/gaps/12/?x=1&y=2",
        ),
    ]


@pytest.mark.parametrize("can_name_gap", [True, False], ids=["may name gaps", "reads only"])
def test_the_rows_are_what_the_loop_wrote(can_name_gap: bool) -> None:
    rows = _rows()
    loop = LOOP.render(
        Context({"gap_rows": rows, "can_name_gap": can_name_gap, "csrf_token": "tok<en>"})
    )
    written = gap_rows_html(rows, can_name_gap=can_name_gap, csrf="tok<en>")

    assert _normal(written) == _normal(loop)
    assert "&lt;handling&gt; &quot;complaints&quot; &amp; escalation" in written
    assert "Named 9 March 2026." in written
    assert ("<form" in written) is can_name_gap


def test_no_rows_nothing_written() -> None:
    assert gap_rows_html([], can_name_gap=True, csrf="x") == ""
