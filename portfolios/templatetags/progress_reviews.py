"""`{% ksb_snapshot_rows ksbs.statements %}`: the rows of a progress review's KSB coverage table,
as recorded with the review (templates/portfolios/reviews/_content.html).

Written here, not by a template loop: a standard's few dozen statements, each with three
lookups and a truncatechars filter, were over half the review page's rendering time (profiled
on the scale centre's review of 34 statements). Every text is escaped."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.html import escape, truncatechars

register = template.Library()


@register.simple_tag
def ksb_snapshot_rows(statements: list[dict[str, Any]]) -> SafeString:
    return mark_safe(  # noqa: S308 (every text escaped)
        "".join(
            f'<tr><th scope="row">{escape(item.get("code", ""))}</th>'
            f'<td data-label="Statement">{escape(truncatechars(str(item.get("text", "")), 160))}'
            f'</td><td data-label="Coverage">{escape(item.get("label", ""))}</td></tr>'
            for item in statements
        )
    )
