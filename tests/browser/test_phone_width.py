"""The 390 px measure inside every accessibility check (tests/browser/conftest.py): a page that
scrolls sideways on a phone fails and names what sticks out; the window comes back to the size the
test had, or is not touched when the test already runs at 390 px; the page is measured as it
stands (an open <details> counts). The site fixture's teardown then refuses any page visited but
not measured, so every page shape the suite lands on is measured."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route

from tests.browser.conftest import PHONE, PHONE_MEASURES, AccessiblePage, fits, page_shape

WIDE = "x" * 300  # one unbreakable word, far wider than a phone in a <pre>
PAGE = """<!doctype html><html lang="en"><head><title>Width</title></head><body>
<main><h1>Width</h1>{body}</main></body></html>"""


def serve(site: AccessiblePage, path: str, body: str) -> None:
    """Answer `path` on the live server's origin with a small page (no app view needed)."""

    def fulfil(route: Route) -> None:
        route.fulfill(body=PAGE.format(body=body), content_type="text/html")

    site.page.route(site.base_url + path, fulfil)


def test_a_page_wider_than_a_phone_fails_the_check_and_names_what_sticks_out(
    site: AccessiblePage,
) -> None:
    serve(site, "/wide/", f'<pre data-testid="too-wide">{WIDE}</pre>')
    before = site.page.viewport_size
    assert before is not None
    assert before != PHONE
    with pytest.raises(AssertionError, match=r"wide at 390 px.*pre\[data-testid=too-wide\]"):
        site.goto("/wide/")
    # Whether the page fits or not, the window is back as the test left it.
    assert site.page.viewport_size == before
    assert site.page.evaluate("window.innerWidth") == before["width"]
    assert PHONE_MEASURES["/wide/"] > 390


def test_a_page_that_fits_passes_and_the_window_comes_back_to_its_size(
    site: AccessiblePage,
) -> None:
    serve(site, "/narrow/", f"<p>{' '.join([WIDE[:20]] * 40)}</p>")
    site.page.set_viewport_size({"width": 1024, "height": 700})
    site.goto("/narrow/")
    assert site.page.viewport_size == {"width": 1024, "height": 700}
    assert PHONE_MEASURES["/narrow/"] <= 390


def test_at_390_px_the_check_measures_without_resizing(site: AccessiblePage) -> None:
    serve(site, "/narrow/", "<p>Short.</p>")
    site.page.set_viewport_size(PHONE)
    site.goto("/narrow/")
    site.page.evaluate(
        "window.resized = 0; window.addEventListener('resize', () => window.resized++)"
    )
    site.assert_accessible()
    assert site.page.evaluate("window.resized") == 0
    fits(site.page)


def test_the_page_is_measured_as_it_stands_with_its_details_open(site: AccessiblePage) -> None:
    serve(site, "/details/", f"<details><summary>More</summary><pre>{WIDE}</pre></details>")
    site.goto("/details/")  # closed: the wide text takes no room
    site.page.get_by_text("More").click()
    with pytest.raises(AssertionError, match="scrolling sideways"):
        site.assert_accessible()


def test_a_page_shape_is_its_url_pattern() -> None:
    assert page_shape("http://localhost:1234/verification/record/12/?x=1#top") == (
        "verification/record/<int:pk>/"
    )
    assert page_shape("http://localhost:1234/not/a/page/") == "/not/a/page/"
    offline = "file:///tmp/x/portfolio/index.html#evidence-1"
    assert page_shape(offline) == "file:portfolio/index.html"
