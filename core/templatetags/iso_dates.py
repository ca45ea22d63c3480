"""`{{ value|iso_date }}`: a date kept as an ISO string (in a hashed snapshot or a record's
content) made a date again, so the page can write it as the pages do (`|date:"j F Y"`). The
stored string stays ISO: it is what was hashed; only its display changes."""

from __future__ import annotations

import datetime
from typing import Any

from django import template

register = template.Library()


@register.filter
def iso_date(value: Any) -> Any:
    """The date an ISO string names; anything else (empty, already a date, not a date) as is."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return value
