"""Browser tests: Playwright drives Debian's headless Chromium against a live server.

Every page a test lands on is checked with axe-core; a serious or critical violation fails the
test, and so does a page that was visited but never checked. The pages run under the site's real
Content-Security-Policy, and any violation of it (a blocked inline script, style or handler)
fails the test too. axe is injected with page.evaluate, which the CSP does not govern, so the
pages' policy is never bypassed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Frame, Page

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

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.visited) if url not in self.checked]


@pytest.fixture
def site(page: Page, live_server: Any, transactional_db: None) -> Iterator[AccessiblePage]:
    accessible = AccessiblePage(page, live_server.url)
    yield accessible
    accessible.assert_no_csp_violations()
    missing = accessible.unchecked()
    assert not missing, f"pages visited without an accessibility check: {missing}"
