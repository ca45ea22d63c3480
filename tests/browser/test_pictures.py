"""The four pictures of progress in the browser, each seen by its role on a 390 px phone:
axe-clean (no serious or critical violation, the CSP never broken by the SVG) and no sideways
scroll."""

from __future__ import annotations

import datetime
from io import StringIO

from django.core.management import call_command
from playwright.sync_api import Locator, expect

from assessments.models import Decision
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD
from tests.support import clock
from tests.verification.cases import add_learner, criteria, make_centre, strategy_for
from verification.services import draw_plan

WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > 391)
  .map(el => el.tagName + '.' + el.className + '#' + (el.dataset.testid || ''))
  .slice(0, 8)"""


def fits(site: AccessiblePage) -> None:
    wide = site.page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, site.page.evaluate(WIDEST)


def section_fits(locator: Locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390


def visit_as(site: AccessiblePage, email: str, path: str) -> None:
    site.page.context.clear_cookies()
    site.goto("/accounts/login/")
    sign_in(site, email, DEFAULT_PASSWORD)
    site.goto(path)


def test_each_role_sees_its_picture_and_table_on_a_phone(site: AccessiblePage) -> None:
    today = clock.today()
    ensure_catalogue()
    made = make_centre(iv="Ivy Verifier")
    ana = add_learner(made, made.assessors[0], name="Ana <Lima>", employer="Kwik Fit")
    add_learner(made, made.assessors[1], name="Ben Cole", employer="Halfords", complete=True)
    add_learner(made, made.assessors[0], name="Cara Diaz", method="questioning")
    # Ana's criteria met over several weeks.
    for weeks, criterion in enumerate(criteria()[1:5], start=1):
        Decision.objects.create(
            registration=ana,
            criterion=criterion,
            outcome="met",
            method="observation",
            assessed_on=today - datetime.timedelta(weeks=weeks * 2),
            assessor=made.assessors[0],
        )
    call_command("recount_progress", "--fix", stdout=StringIO(), stderr=StringIO())
    plan = draw_plan(
        actor=made.iv,
        strategy=strategy_for(made),
        period_start=today,
        period_end=today + datetime.timedelta(days=30),
    )
    site.page.set_viewport_size({"width": 390, "height": 844})
    page = site.page

    visit_as(site, ana.learner.email, f"/portfolio/evidence/registration/{ana.pk}/")
    pictures = page.get_by_test_id("progress-pictures")
    expect(pictures.get_by_role("img")).to_have_count(2)
    expect(page.get_by_test_id("timeline-table")).to_contain_text("5")
    fits(site)

    visit_as(site, made.assessors[0].email, "/")
    expect(page.get_by_test_id("glance-picture").get_by_role("img")).to_have_count(1)
    expect(page.get_by_test_id("glance-table")).to_contain_text("On track")
    # The caseload's own table below is ten columns wide (stacked on phones by another change,
    # .table-stack): the picture and its table fit.
    section_fits(page.get_by_test_id("caseload-glance"))

    visit_as(site, made.iv.email, f"/verification/plan/{plan.strategy_id}/")
    expect(page.get_by_test_id("heat-units").get_by_role("img")).to_have_count(1)
    expect(page.get_by_test_id("heat-methods-table")).to_contain_text("Questioning")
    expect(page.get_by_test_id("heat-units-table")).to_contain_text("Whole portfolio")
    # The plan's list of samples is eight columns wide (another change stacks it on phones);
    # the heat maps fit, their tables scrolling inside their own box.
    for testid in ("heat-units", "heat-methods"):
        section_fits(page.get_by_test_id(testid))
        section_fits(page.get_by_test_id(f"{testid}-table").locator(".."))

    visit_as(site, made.admin.email, "/")
    overview = page.get_by_test_id("centre-overview")
    expect(overview.get_by_role("img")).to_have_count(3)
    expect(page.get_by_test_id("overview-registrations")).to_contain_text("Complete")
    fits(site)
