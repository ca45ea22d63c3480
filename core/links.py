"""Links built once per page, not once per row; and the fixed links of every page, once.

A page listing hundreds of rows that each link somewhere paid for a `{% url %}` (a full URL
resolution) per row. `url_for_ids` resolves the URL once, with a placeholder for the last id,
and returns a function that fills in any id with string formatting.

`fixed_url` is for the links without arguments that every page writes (the header's places,
the breadcrumbs' Home): a dozen reverse() calls a page, each walking the URL patterns, were
about half a millisecond of every page's time. Their URL depends only on the URLconf and the
script prefix, which are the cache's key, so a test's own URLconf or a sub-path deployment
gets its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

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


def fixed_url(name: str) -> NamedURL:
    """reverse(name) for a URL that takes no arguments, resolved once per URLconf and prefix."""
    return _fixed_url(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _fixed_url(name: str, urlconf: Any, prefix: str) -> NamedURL:
    return NamedURL(reverse(name, urlconf=urlconf), name)


class NamedURL(str):
    """A URL that knows the name of the page it leads to (id_url's): whoever checks where a link
    goes (the breadcrumbs, whether the person may go there) need not resolve it again."""

    view_name: str

    def __new__(cls, url: str, view_name: str) -> NamedURL:
        made = super().__new__(cls, url)
        made.view_name = view_name
        return made


def id_url(name: str, pk: int) -> NamedURL:
    """reverse(name, args=[pk]) for a URL whose one argument is an integer id: resolved once per
    URLconf and prefix, then the id filled in (as url_for_ids does for a page's rows)."""
    head, tail = _id_url_parts(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return NamedURL(f"{head}{int(pk)}{tail}", name)


def id_url_template(name: str) -> str:
    """id_url's URL as a str.format template with "{}" where the id goes, for rows that each
    format it with their own id."""
    head, tail = _id_url_parts(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return (
        head.replace("{", "{{").replace("}", "}}")
        + "{}"
        + tail.replace("{", "{{").replace("}", "}}")
    )


@functools.lru_cache(maxsize=256)
def _id_url_parts(name: str, urlconf: Any, prefix: str) -> tuple[str, str]:
    sample = reverse(name, args=[_PLACEHOLDER], urlconf=urlconf)
    head, found, tail = sample.rpartition(str(_PLACEHOLDER))
    if not found:  # pragma: no cover - a converter that reformats ids
        raise ValueError(f"{name}: the id does not appear as it is in the URL {sample}")
    return head, tail
