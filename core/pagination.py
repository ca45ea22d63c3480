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
    return _with_links(Paginator(queryset, per_page).get_page(params.get(key)), params, key)


def paginate_counted(
    count: int, params: QueryDict, key: str = "page", *, per_page: int = PER_PAGE
) -> Page:
    """paginate, for a list counted and read by the caller (a query compiled once): the page's
    number and links from `count`; its object_list is the caller's to fill in (empty here)."""
    paginator: Paginator = Paginator([], per_page)
    paginator.count = count  # cached_property: the count given, not len([])
    page = paginator.get_page(params.get(key))
    page.object_list = []
    return _with_links(page, params, key)


def _with_links(page: Page, params: QueryDict, key: str) -> Page:
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
