"""Portfolio transfer (issue 20) on a phone: a centre admin imports a learner's portfolio ZIP
from her earlier centre; a tampered one is refused with the reason first. The import page and
the portfolio showing the transferred evidence and the earlier centre's decisions pass axe and
fit 390 px."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from django.test import Client
from playwright.sync_api import expect

from tests.assessments.test_transfer import build_move
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_invitations import sign_in
from tests.conftest import ensure_catalogue


def test_a_centre_admin_imports_a_portfolio_from_another_centre_on_a_phone(
    site: AccessiblePage, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    ensure_catalogue()
    move = build_move(Client())
    good = tmp_path / "portfolio.zip"
    good.write_bytes(move.archive)
    # The same archive with one evidence file's bytes changed.
    source = zipfile.ZipFile(io.BytesIO(move.archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as changed:
        for name in source.namelist():
            content = source.read(name)
            changed.writestr(name, b"changed" if name.startswith("evidence/") else content)
    bad = tmp_path / "changed.zip"
    bad.write_bytes(out.getvalue())

    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(site, move.admin_b.email)
    site.goto("/centre/transfer/")
    site.assert_accessible()
    fits(page)

    page.get_by_label("Portfolio ZIP").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("transfer-refusal")).to_contain_text("is not the file that was")
    site.assert_accessible()
    fits(page)

    page.get_by_label("Portfolio ZIP").set_input_files(str(good))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state("load")
    expect(page.locator(".messages")).to_contain_text("Imported Nadia Brook's portfolio")
    section = page.get_by_test_id("transfer-in")
    expect(section).to_contain_text("Transferred from Northgate Training Centre")
    expect(page.get_by_test_id("prior-decisions")).to_contain_text(
        "Decided at Northgate Training Centre by Ada Assessor on"
    )
    expect(page.get_by_test_id("transferred-evidence")).to_contain_text("Photos")
    site.assert_accessible()
    fits(page)

    # A piece of it: marked as theirs, with nothing to change it by.
    page.get_by_test_id("transferred-evidence").get_by_role("link", name="Photos").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("transferred")).to_contain_text(
        "Transferred from Northgate Training Centre"
    )
    site.assert_accessible()
    fits(page)
