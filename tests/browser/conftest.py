"""Browser tests: Playwright drives Debian's headless Chromium against a live server.

Every page a test lands on is checked with axe-core; a serious or critical violation fails the
test, and so does a page that was visited but never checked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, Page

from tests.services import chromium_path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (creating users) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()


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
        page.on("framenavigated", self._record)
        page.set_default_timeout(15_000)

    def _record(self, frame: Frame) -> None:
        if frame == self.page.main_frame and frame.url != "about:blank":
            self.visited.append(frame.url)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.assert_accessible()

    def assert_accessible(self) -> None:
        self.page.wait_for_load_state("load")
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
    missing = accessible.unchecked()
    assert not missing, f"pages visited without an accessibility check: {missing}"
