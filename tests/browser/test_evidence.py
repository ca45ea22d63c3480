"""Issue 5's journey: a learner drops files, maps them, signs, and nobody else can fetch them."""

from __future__ import annotations

import base64
import datetime
import re

from playwright.sync_api import Page, expect

from accounts.models import Role
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_registration import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member

IMI = "601/3456/2"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def drop(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on the upload zone, as a person dragging them from their desktop would."""
    payload = [
        {"name": name, "type": kind, "b64": base64.b64encode(data).decode()}
        for name, kind, data in files
    ]
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], f.name, {type: f.type}));
            }
            return dt;
        }""",
        payload,
    )
    page.dispatch_event("[data-upload-dropzone]", "drop", {"dataTransfer": transfer})


def test_a_learner_uploads_maps_and_submits_and_nobody_else_gets_the_files(
    site: AccessiblePage, settings: object
) -> None:
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number=IMI)
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Priya Shah")
    other = member(centre, Role.LEARNER, full_name="Sam Other")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=datetime.date.today(),
    )
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="Add evidence").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Title").fill("Handling a complaint at the counter")
    page.get_by_label("Date of the evidence").fill(datetime.date.today().isoformat())
    page.get_by_label("Assessment method").select_option("product")
    page.get_by_label("Where it was produced").select_option("real_work_paid")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/portfolio/evidence/\d+/$"), wait_until="load")
    site.assert_accessible()
    evidence_url = page.url

    # Refused first: an executable renamed .pdf, and a file over the (1 MB) limit.
    drop(page, [("report.pdf", "application/pdf", ELF)])
    expect(page.locator("[data-upload-status]")).to_contain_text(
        "not a type of file the portfolio accepts"
    )
    page.goto(evidence_url)
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Add files").set_input_files(
        [{"name": "huge.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * 1_200_000}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]").or_(page.locator(".alert")).first).to_contain_text(
        re.compile("at most|too big|over", re.I)
    )
    page.goto(evidence_url)
    page.wait_for_load_state("load")
    site.assert_accessible()

    # Then a PDF and a photo, dropped together.
    drop(page, [("statement.pdf", "application/pdf", PDF), ("counter.png", "image/png", PNG)])
    status = page.locator("[data-upload-status]")
    expect(status).to_contain_text("All files added", timeout=15_000)
    # The widget reloads the page to show them.
    page.wait_for_function("() => !document.querySelector('[data-upload-status]')?.textContent")
    page.wait_for_load_state("load")
    site.assert_accessible()
    files = page.locator("section[aria-labelledby=files-heading]")
    expect(files).to_contain_text("statement.pdf")
    expect(files).to_contain_text("counter.png")
    file_urls = [
        link.get_attribute("href")
        for link in page.locator("a[href^='/portfolio/files/']").all()
        if re.match(r"^/portfolio/files/\d+/", link.get_attribute("href") or "")
    ]
    assert len({re.match(r"^/portfolio/files/\d+/", u).group(0) for u in file_urls}) == 2

    # Three criteria in two units: CS 7 1.1 and 1.2, CS 8 1.1.
    for summary in page.locator("details summary").all():
        if re.search(r"CS 7|CS 8", summary.inner_text()):
            summary.click()
    page.get_by_label(re.compile(r"^CS 7 1\.1:")).check()
    page.get_by_label(re.compile(r"^CS 7 1\.2:")).check()
    page.get_by_label(re.compile(r"^CS 8 1\.1:")).check()
    page.get_by_role("button", name="Save criteria").click()
    expect(page.get_by_text("Mapped to 3 criteria")).to_be_visible()
    page.wait_for_load_state("load")
    site.assert_accessible()

    page.get_by_label("Your full name").fill("Priya Shah")
    confirm = page.get_by_label(re.compile("I confirm that this evidence is my own work"))
    # The embedded PDF preview shifts the layout while it renders: tick it from the keyboard.
    confirm.focus()
    page.keyboard.press("Space")
    expect(confirm).to_be_checked()
    # The embedded PDF viewer can swallow a pointer click while it starts: submit from the keyboard.
    page.get_by_role("button", name="Sign and submit").focus()
    page.keyboard.press("Enter")
    # Signed: the page comes back with the declaration and its hash.
    expect(page.get_by_test_id("declaration")).to_contain_text("Priya Shah", timeout=15_000)
    page.wait_for_load_state("load")
    site.assert_accessible()

    site.goto(f"/portfolio/evidence/registration/{registration.pk}/?state=submitted")
    # The filter lists the units with such criteria; each opened shows only those (htmx).
    for unit in ("CS 7", "CS 8"):
        page.locator(
            "li[data-testid^=unit-]", has=page.get_by_role("heading", name=re.compile(f"^{unit} "))
        ).locator("summary").click()
    submitted = page.locator("tr[data-testid^=criterion-]", has_text="Evidence submitted")
    expect(submitted).to_have_count(3)
    site.assert_accessible()
    for number, unit in (("1.1", "CS 7"), ("1.2", "CS 7"), ("1.1", "CS 8")):
        section = page.locator(
            "li[data-testid^=unit-]", has=page.get_by_role("heading", name=re.compile(f"^{unit} "))
        )
        row = section.locator(
            "tr[data-testid^=criterion-]",
            has=page.get_by_role("rowheader", name=number, exact=True),
        )
        expect(row).to_contain_text("Evidence submitted")
        expect(row).to_contain_text("Handling a complaint at the counter")
    sign_out(site)

    # Another learner of the same centre cannot open the files.
    sign_in(site, other.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    for url in {re.match(r"^/portfolio/files/\d+/", u).group(0) for u in file_urls}:
        response = page.goto(site.base_url + url)
        assert response is not None
        assert response.status == 404
        site.assert_accessible()
