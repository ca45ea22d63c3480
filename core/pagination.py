"""Pages of a long list whose links keep the rest of the query string, for pages with more
than one list (the home pages, the claims page): templates/core/_page_links.html shows them."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

PER_PAGE = 25


def paginate(
    queryset: QuerySet, params: QueryDict, key: str = "page", *, per_page: int = PER_PAGE
) -> Page:
    """A page of 25, with links to its neighbours that keep the search and other pages (each
    list of a page has its own `key`)."""
    page = Paginator(queryset, per_page).get_page(params.get(key))
    for attribute, number in (
        ("previous_url", page.number - 1 if page.has_previous() else None),
        ("next_url", page.number + 1 if page.has_next() else None),
    ):
        url = None
        if number is not None:
            query = params.copy()
            query[key] = str(number)
            url = f"?{query.urlencode()}"
        setattr(page, attribute, url)
    return page
