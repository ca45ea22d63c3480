"""Browser tests: Playwright drives Debian's headless Chromium against a live server.

Every page a test lands on is checked with axe-core; a serious or critical violation fails the
test, and so does a page that was visited but never checked. The pages run under the site's real
Content-Security-Policy, and any violation of it (a blocked inline script, style or handler)
fails the test too. axe is injected with page.evaluate, which the CSP does not govern, so the
pages' policy is never bypassed. The same check measures every page at a phone's width (390 px):
a page that scrolls sideways there fails, naming the elements that stick out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import Resolver404, resolve
from playwright.sync_api import ConsoleMessage, Frame, Page, ViewportSize

from tests.services import chromium_path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (creating users) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()
# Runs in every document before its own scripts (added through the DevTools protocol, so the
# CSP does not apply to it): reports each violation to the console, where the test hears it.
# Chromium logs its own "Refused to ..." line as well; either one is enough.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
    (event.blockedURI || "inline") + " at " + event.documentURI);
});
"""

# A phone held upright (an iPhone 12 to 15's CSS pixels): every page must fit its width.
PHONE: ViewportSize = {"width": 390, "height": 844}
# Two animation frames: the first lets the new width's styles apply, the second its layout.
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# What pushes the page wide: the elements whose right edge passes the window's (one pixel of
# rounding allowed) while their parent's does not, and the innermost elements whose own content
# spills past it (a <pre> or a cell whose box fits but whose long word does not); failing both,
# the first elements past the edge.
WIDE_ELEMENTS = """() => {
  const edge = window.innerWidth + 1;
  const right = e => Math.max(e.getBoundingClientRect().right,
    e.getBoundingClientRect().left + e.scrollWidth);
  const past = e => e.getBoundingClientRect().right > edge;
  const spills = e => right(e) > edge && getComputedStyle(e).overflowX === 'visible';
  const all = [...document.body.querySelectorAll('*')];
  const roots = all.filter(e => past(e) && !past(e.parentElement));
  const spilling = all.filter(e => !past(e) && spills(e)
    && ![...e.children].some(c => past(c) || spills(c)));
  const found = roots.concat(spilling);
  return (found.length ? found : all.filter(past)).slice(0, 5).map(e => e.tagName.toLowerCase()
    + (typeof e.className === 'string' && e.className.trim()
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
    + (e.dataset.testid ? '[data-testid=' + e.dataset.testid + ']' : '')
    + ' right=' + Math.round(right(e)));
}"""
# Page shapes (URL patterns) measured at 390 px in this run, with the widest measure of each:
# printed at the end of the run so a report can say how many shapes were measured.
PHONE_MEASURES: dict[str, int] = {}


def page_shape(url: str) -> str:
    """The URL pattern a page was served from ("verification/record/<int:pk>/"), or its path;
    a file opened from disk (the portfolio ZIP's offline index) by its last two names."""
    if url.startswith("file:"):
        return "file:" + "/".join(url.partition("#")[0].rstrip("/").split("/")[-2:])
    path = url.split("://", 1)[-1].partition("/")[2].partition("?")[0].partition("#")[0]
    try:
        return resolve("/" + path).route or "/"
    except Resolver404:
        return "/" + path


def fits(page: Page) -> None:
    """The page, as it stands at its current size, scrolls no sideways; the message names the
    first elements that stick out past the window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if width > inner:
        wide = page.evaluate(WIDE_ELEMENTS)
        raise AssertionError(
            f"{page.url} is {width} px wide at {inner} px, scrolling sideways; "
            f"elements past the edge: {wide}"
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if PHONE_MEASURES:
        terminalreporter.write_line(
            f"{len(PHONE_MEASURES)} page shapes measured at {PHONE['width']} px: "
            + ", ".join(f"{shape} {width}" for shape, width in sorted(PHONE_MEASURES.items()))
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        # The machine has no outside network: stop Chromium phoning home at start-up.
        "args": [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class AccessiblePage:
    """A Playwright page that runs axe on every page it lands on, when asked to."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.visited: list[str] = []
        self.checked: set[str] = set()
        self.measured: set[str] = set()
        self.csp_violations: list[str] = []
        page.on("framenavigated", self._record)
        page.on("console", self._console)
        page.add_init_script(REPORT_CSP_VIOLATIONS)
        page.set_default_timeout(15_000)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if text.startswith("CSP violation:") or "Content Security Policy" in text:
            self.csp_violations.append(text)

    def _record(self, frame: Frame) -> None:
        if frame == self.page.main_frame and frame.url != "about:blank":
            self.visited.append(frame.url)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.assert_accessible()

    def assert_no_csp_violations(self) -> None:
        assert not self.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(
            self.csp_violations
        )

    def assert_accessible(self) -> None:
        self.page.wait_for_load_state("load")
        self.assert_no_csp_violations()
        results = _axe.run(self.page)
        blocking = [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [node["target"] for node in violation["nodes"]],
            }
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]
        self.checked.add(self.page.url)
        assert not blocking, (
            f"axe found serious or critical violations on {self.page.url}:\n"
            + json.dumps(blocking, indent=2)
        )
        self.assert_fits_phone()

    def assert_fits_phone(self) -> None:
        """Measure the page as it stands (open menus, details and dialogs included) at 390 px,
        then put the window back exactly as it was, so the test's next steps see the layout
        they expect (a Bootstrap menu folds away below 992 px, for one)."""
        page = self.page
        before = page.viewport_size
        scroll = page.evaluate("[window.scrollX, window.scrollY]")
        if before != PHONE:
            page.set_viewport_size(PHONE)
            page.evaluate(NEXT_FRAME)
        try:
            shape = page_shape(page.url)
            width = page.evaluate("document.documentElement.scrollWidth")
            PHONE_MEASURES[shape] = max(width, PHONE_MEASURES.get(shape, 0))
            self.measured.add(page.url)
            fits(page)
        finally:
            if before is not None and before != PHONE:
                page.set_viewport_size(before)
                page.evaluate(NEXT_FRAME)
                page.evaluate("([x, y]) => window.scrollTo(x, y)", scroll)

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.visited) if url not in self.checked]

    def unmeasured(self) -> list[str]:
        return [url for url in dict.fromkeys(self.visited) if url not in self.measured]


@pytest.fixture
def site(page: Page, live_server: Any, transactional_db: None) -> Iterator[AccessiblePage]:
    accessible = AccessiblePage(page, live_server.url)
    yield accessible
    accessible.assert_no_csp_violations()
    missing = accessible.unchecked()
    assert not missing, f"pages visited without an accessibility check: {missing}"
    unmeasured = accessible.unmeasured()
    assert not unmeasured, f"pages visited without a measure at 390 px: {unmeasured}"
