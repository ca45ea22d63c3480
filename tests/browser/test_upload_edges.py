"""Issue 18 point 4: the upload widget's rough edges, in the browser.

Sizes read true in the widget ("666 bytes", "26 KB"), and after one file of several is refused
the list of files shows the ones added at once, without a reload, the refusal still on screen.
"""

from __future__ import annotations

import datetime
from typing import Any

from playwright.sync_api import expect

from accounts.models import Role
from portfolios.evidence import evidence_create
from portfolios.models import EvidenceContext, EvidenceMethod
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_evidence import ELF, PDF, drop
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member

IMI = "601/3456/2"
# A real-sized small PDF and JPEG: the widget used to call both "(1 MB)".
PDF_666 = PDF + b"%" * (666 - len(PDF))
JPEG_26K = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + b"\x00" * (26 * 1024 - 14)


def draft_evidence(title: str) -> tuple[Any, Any]:
    """Priya Shah, a learner on IMI at a new centre, and a draft of hers to upload files to."""
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number=IMI)
    centre.qualifications.add(imi)
    learner = member(centre, Role.LEARNER, full_name="Priya Shah")
    registration = register_learner(
        actor=member(centre, Role.CENTRE_ADMIN),
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=datetime.date.today(),
    )
    evidence = evidence_create(
        actor=learner,
        registration=registration,
        title=title,
        evidence_date=datetime.date.today(),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    return learner, evidence


def test_a_partly_refused_upload_lists_the_added_file_without_a_reload(
    site: AccessiblePage,
) -> None:
    learner, evidence = draft_evidence("Handling a complaint at the counter")
    page = site.page
    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/{evidence.pk}/")
    site.assert_accessible()
    files = page.locator("[data-upload-files]")
    expect(files).to_contain_text("No files.")
    # Marks this page load: a reload would drop it.
    page.evaluate("() => { window.__sameLoad = true; }")

    drop(
        page,
        [
            ("statement.pdf", "application/pdf", PDF_666),
            ("counter.jpg", "image/jpeg", JPEG_26K),
            ("report.pdf", "application/pdf", ELF),
        ],
    )

    rows = page.locator("[data-upload-list]")
    expect(rows).to_contain_text("statement.pdf (666 bytes)")
    expect(rows).to_contain_text("counter.jpg (26 KB)")
    expect(rows).to_contain_text("report.pdf (208 bytes)")
    status = page.locator("[data-upload-status]")
    expect(status).to_contain_text("The list of files now shows the files added", timeout=15_000)
    # The refusal stays, naming the file and why.
    expect(status).to_contain_text("not a type of file the portfolio accepts")
    expect(files).not_to_contain_text("No files.")
    expect(files).to_contain_text("statement.pdf")
    expect(files).to_contain_text("666 bytes, application/pdf")
    expect(files).to_contain_text("26 KB, image/jpeg")
    expect(files).not_to_contain_text("report.pdf")
    assert page.evaluate("() => window.__sameLoad === true"), "the page was reloaded"
    assert evidence.files.count() == 2
    site.assert_accessible()


def test_the_browser_finds_the_favicon(site: AccessiblePage) -> None:
    """Every page used to ask for a /favicon.ico that was not there."""
    site.goto("/accounts/login/")
    site.assert_accessible()
    icon = site.page.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/static/favicon.svg"
    for path in (icon, "/favicon.ico"):
        answer = site.page.request.get(f"{site.base_url}{path}")
        assert answer.status == 200, path
        assert answer.headers["content-type"].startswith("image/svg+xml"), path


def test_a_photo_taken_on_a_phone_uploads_at_once(site: AccessiblePage) -> None:
    """At 390 px the page offers the camera (capture) beside choosing files; what it takes goes
    up straight away, with no second step."""
    learner, evidence = draft_evidence("The counter at opening time")
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/{evidence.pk}/")
    site.assert_accessible()
    camera = page.get_by_label("Or take a photo or video")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*,video/*"
    fits(page)

    camera.set_input_files(
        files=[{"name": "counter.jpg", "mimeType": "image/jpeg", "buffer": JPEG_26K}]
    )

    expect(page.locator("[data-upload-files]")).to_contain_text("counter.jpg", timeout=15_000)
    site.assert_accessible()
    assert evidence.files.get().original_name == "counter.jpg"
