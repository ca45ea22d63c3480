"""core.links: the fixed links every page writes, resolved once, are the links reverse() gives,
under whatever URLconf and script prefix the request has."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, path, reverse, set_script_prefix

from core.links import fixed_url, id_url, url_for_ids


def _nothing() -> None:  # pragma: no cover - never called, only named by the URLconf below
    return None


# A URLconf of a test's own, where "home" is somewhere else.
urlpatterns = [path("elsewhere/", _nothing, name="home")]


@pytest.mark.parametrize("name", ["home", "centre:registrations", "api:tokens"])
def test_a_fixed_url_is_what_reverse_gives(name: str) -> None:
    assert fixed_url(name) == reverse(name)
    assert fixed_url(name) == reverse(name)  # the second time from the cache


def test_a_fixed_url_follows_the_script_prefix() -> None:
    plain = fixed_url("home")
    set_script_prefix("/portfolio/")
    try:
        assert fixed_url("home") == "/portfolio" + plain == reverse("home")
    finally:
        clear_script_prefix()
    assert fixed_url("home") == plain


def test_a_fixed_url_follows_the_urlconf() -> None:
    with override_settings(ROOT_URLCONF=__name__):
        assert fixed_url("home") == "/elsewhere/"
    assert fixed_url("home") == reverse("home") != "/elsewhere/"


def test_links_for_ids_fill_in_each_id() -> None:
    link = url_for_ids("off_the_job:log")
    assert link(7) == reverse("off_the_job:log", args=[7])
    assert link(12345) == reverse("off_the_job:log", args=[12345])


@pytest.mark.parametrize("name", ["portfolios:registration", "evidence:portfolio"])
def test_an_id_url_is_what_reverse_gives_and_names_its_page(name: str) -> None:
    from django.urls import resolve

    for pk in (1, 42, 987654):
        url = id_url(name, pk)
        assert url == reverse(name, args=[pk])
        assert url.view_name == resolve(url).view_name == name


def test_a_fixed_url_names_its_page() -> None:
    from django.urls import resolve

    assert (
        fixed_url("centre:registrations").view_name
        == resolve(fixed_url("centre:registrations")).view_name
    )
