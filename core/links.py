"""Links built once per page, not once per row.

A page listing hundreds of rows that each link somewhere paid for a `{% url %}` (a full URL
resolution) per row. `url_for_ids` resolves the URL once, with a placeholder for the last id,
and returns a function that fills in any id with string formatting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

# An id no row has: it marks where the real id goes in the resolved URL.
_PLACEHOLDER = 987_654_321


def url_for_ids(name: str, *args: Any) -> Callable[[int], str]:
    """`reverse(name, args=[*args, pk])` for any pk, resolved once. The URL's last argument must
    be an integer id (an <int:...> converter)."""
    sample = reverse(name, args=[*args, _PLACEHOLDER])
    head, found, tail = sample.rpartition(str(_PLACEHOLDER))
    if not found:  # pragma: no cover - a converter that reformats ids
        raise ValueError(f"{name}: the id does not appear as it is in the URL {sample}")
    return lambda pk: f"{head}{pk}{tail}"
