"""Staff competence in the browser (with axe, and at 390 px): the centre admin sees a lapsing
competence warned on the people and person pages and reads the report; the EQA reads it too
(issue 17)."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.competence import add_months
from accounts.models import CompetenceRecord, Role
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_registration import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member

SFJ = "601/1109/4"


def test_the_admin_and_the_eqa_read_how_each_assessor_and_iv_meets_the_requirements(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    centre = CentreFactory()
    centre.qualifications.add(Qualification.objects.get(number=SFJ))
    admin = member(centre, Role.CENTRE_ADMIN)
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name="Ivy Verifier")
    member(centre, Role.ASSESSOR, full_name="Sam Assessor")
    eqa = member(centre, Role.EQA)
    today = datetime.date.today()
    CompetenceRecord.objects.filter(user=iv).update(
        date=add_months(today, -36) + datetime.timedelta(days=20)
    )
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="People and roles").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("competence-warnings")).to_contain_text("Ivy Verifier")
    site.assert_accessible()
    site.assert_fits_phone()
    page.get_by_role("link", name="Staff competence").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Staff competence")
    expect(page.get_by_text("SFJ handbook section 4.3 item 4", exact=False).first).to_be_visible()
    site.assert_accessible()
    site.assert_fits_phone()
    sign_out(site)

    site.goto("/accounts/login/")
    sign_in(site, eqa.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Staff competence").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("rowheader", name="Sam Assessor")).to_be_visible()
    site.assert_accessible()
    site.assert_fits_phone()
