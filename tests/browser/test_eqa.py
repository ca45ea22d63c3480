"""EQA access in the browser: the centre admin invites an EQA with access to one qualification
until a date, the EQA joins from the e-mailed link and opens a portfolio, and the admin sees
the visit (axe on every page)."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, Role, User
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, RegistrationFactory, member
from tests.verification.cases import add_learner, make_centre
from verification.models import EqaPageView

ASCENTIS = "600/1686/3"


def sign_out(site: AccessiblePage) -> None:
    site.page.get_by_role("button", name="Sign out").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()


def test_the_admin_grants_an_eqa_one_qualification_and_sees_the_visit(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    made = make_centre()
    ascentis = Qualification.objects.get(number=ASCENTIS)
    made.centre.qualifications.add(ascentis)
    inside = add_learner(made, made.assessors[0], name="Ana Lima")
    outsider = member(made.centre, Role.LEARNER, full_name="Omar Other")
    RegistrationFactory(learner=outsider, centre=made.centre, qualification=ascentis)
    until = datetime.date.today() + datetime.timedelta(days=60)
    page = site.page

    # The admin adds the EQA, limited to the IMI qualification.
    site.goto("/accounts/login/")
    sign_in(site, made.admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="People and roles").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("link", name="Add a person").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Full name").fill("Graham Lowe")
    page.get_by_label("E-mail address").fill("graham@eqa.example")
    page.get_by_label("Role").select_option("eqa")
    page.get_by_label("Access ends on").fill(until.isoformat())
    page.get_by_label(str(made.qualification)).check()
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    # An invitation, not access: nothing is granted until the EQA accepts it.
    expect(page.get_by_role("status")).to_contain_text("An invitation to join")
    assert not Membership.objects.filter(user__email="graham@eqa.example").exists()
    sign_out(site)

    # The EQA follows the e-mailed link, chooses a password and joins, limited as offered.
    link = re.search(r"https?://\S+?/invitations/\S+?/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    site.goto(urlsplit(link.group(0)).path)
    site.assert_accessible()
    # Crispy marks required labels with an asterisk, so the two password boxes go by id.
    page.locator("#id_password1").fill(DEFAULT_PASSWORD)
    page.locator("#id_password2").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name=f"Join {made.centre.name}").click()
    page.wait_for_load_state("load")
    grant = Membership.objects.get(user__email="graham@eqa.example", role=Role.EQA)
    assert grant.expires_on == until
    assert list(grant.qualifications.all()) == [made.qualification]
    sign_out(site)

    # The EQA signs in, is told the visit is logged, and opens the one portfolio in reach.
    eqa = User.objects.get(email="graham@eqa.example")
    sign_in(site, eqa.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    expect(page.get_by_test_id("eqa-logged")).to_contain_text("is logged and shown to the centre")
    expect(page.get_by_role("main")).not_to_contain_text("Omar Other")
    page.get_by_role("link", name="Ana Lima").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Lima")
    portfolio_path = f"/portfolio/registrations/{inside.pk}/"
    assert EqaPageView.objects.filter(user=eqa, path=portfolio_path, status=200).exists()
    sign_out(site)

    # The admin sees the visit on the centre's EQA visits page.
    sign_in(site, made.admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="EQA visits").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    visits = page.get_by_role("table", name="Pages opened by external quality assurers")
    expect(visits).to_contain_text("Graham Lowe")
    expect(visits).to_contain_text(portfolio_path)
