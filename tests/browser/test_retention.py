"""The retention page in the browser: an admin sees what is past retention, is refused with the
rule's source where a file is still needed, removes the rest; axe-clean and fitting 390 px."""

from __future__ import annotations

from playwright.sync_api import expect

from portfolios.models import EvidenceFile
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.certification.claim_cases import make_centre
from tests.certification.test_retention import ASCENTIS, eqa_visit, finished
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD


def test_an_admin_removes_files_past_retention(site: AccessiblePage) -> None:
    ensure_catalogue()
    where = make_centre()
    where.centre.qualifications.add(Qualification.objects.get(number=ASCENTIS))
    finished(where, name="Paula Past", files=2)
    eqa_visit(where, ended_days_ago=60)
    page = site.page
    site.goto("/accounts/login/")
    sign_in(site, where.admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto("/verification/claims/retention/")
    site.assert_accessible()
    expect(page.get_by_test_id("periods")).to_contain_text("Ascentis specification L279")
    expect(page.get_by_test_id("past-count")).to_have_text("1 past retention.")

    # Nothing chosen: the form says so and nothing is removed.
    page.get_by_label("Why the files are removed").fill("Retention review")
    page.get_by_role("button", name="Remove the chosen learners' files").click()
    site.assert_accessible()
    assert not EvidenceFile.objects.filter(removed_at__isnull=False).exists()

    page.get_by_role("checkbox", name="Remove the files of Paula Past").check()
    page.get_by_label("Why the files are removed").fill("Retention review")
    page.get_by_role("button", name="Remove the chosen learners' files").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("2 files removed")
    expect(page.get_by_test_id("past-count")).to_have_text("0 past retention.")
    assert EvidenceFile.objects.filter(removed_at__isnull=False).count() == 2

    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
