"""Steps more than one browser journey takes, written once (axe runs after each page)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import AccessiblePage
from tests.factories import DEFAULT_PASSWORD

DECLARATION = re.compile(
    "the evidence submitted for this unit is the learner's own|judged for validity, authenticity"
)


def correct_decision(
    site: AccessiblePage, *, evidence_pk: int, criterion_id: int, feedback: str, reason: str
) -> None:
    """The assessor, on the assessing page, corrects a decision to met (the one judging form,
    saved in place)."""
    page = site.page
    site.goto(f"/assessment/evidence/{evidence_pk}/")
    criterion = page.get_by_test_id(f"criterion-{criterion_id}")
    criterion.get_by_label("Met", exact=True).check()
    criterion.get_by_role("textbox", name=re.compile("^Feedback on")).fill(feedback)
    criterion.get_by_label("Why the earlier decision is corrected").fill(reason)
    page.get_by_role("button", name="Record the judgements").click()
    expect(page.get_by_test_id("judging-result")).to_contain_text("1 criterion judged")
    expect(page.get_by_test_id(f"current-{criterion_id}")).to_have_text("Met")
    site.assert_accessible()


def sign_off_unit(site: AccessiblePage, *, registration_pk: int, unit_pk: int) -> None:
    """The assessor signs a unit off with the authenticity declaration and their password."""
    page = site.page
    site.goto(f"/assessment/registration/{registration_pk}/unit/{unit_pk}/")
    # Pearson's words, or the body's own (Ascentis L1398): assessments.basis.sources_for.
    page.get_by_label(DECLARATION).check()
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign off the unit").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("is signed off")


def agree_and_sign_off(site: AccessiblePage, *, sample_pk: int, verifier_name: str) -> None:
    """The IV agrees the sample as it stands (every decision left at "Agree" in the one review
    form, saved in place) and signs it off for claim."""
    page = site.page
    site.goto(f"/verification/record/{sample_pk}/")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_test_id("review-result")).to_contain_text("the review is closed")
    expect(page.get_by_test_id("state")).to_contain_text("Agreed")
    site.assert_accessible()
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign off for claim").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("signed-off")).to_contain_text(verifier_name)
