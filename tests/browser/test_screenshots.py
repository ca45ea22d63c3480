"""Issue 18 (point 6): the README's screenshots, made by the browser suite so they stay current.

The demo centre is seeded as `make run` seeds it (seed_demo, the catalogue loaded), and each
demo role signs in for its home page and its main job, every page axe-checked. The pictures go
to docs/screenshots/ only with UPDATE_SCREENSHOTS=1 (`make screenshots`); otherwise to pytest's
tmp_path, so `make test` proves every screenshot can still be made without touching the tree.

Pages are reached by URL, not by the header's links, and the names below are what README.md
embeds: keep them stable when the pages change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from demo.centres import DEMO_PASSWORD, NORTHGATE
from portfolios.models import Evidence, EvidenceStatus, Registration
from tests.browser.conftest import AccessiblePage
from tests.conftest import ensure_catalogue
from tests.support.demo import seed, storages_in
from verification.models import Sample, SampleState

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# A long page is cut here (in viewports): the top of a page is what a screenshot is for, and
# a whole caseload would make a file of megabytes.
MOST_VIEWPORTS = 2


@dataclass(frozen=True)
class Shot:
    name: str  # docs/screenshots/<name>.png, as README.md embeds it
    email: str
    path: Callable[[], str]  # read after seeding: the demo's ids differ from run to run
    viewport: dict[str, int]


def learner_portfolio() -> str:
    registration = Registration.objects.filter(learner__email=NORTHGATE.learner_emails()[0])
    return f"/portfolio/evidence/registration/{registration.order_by('pk').first().pk}/"


def assessor_judging() -> str:
    """Submitted evidence waiting in the assessor's caseload: the judging page."""
    evidence = (
        Evidence.objects.filter(
            status=EvidenceStatus.SUBMITTED,
            registration__assessors__email=NORTHGATE.assessor.email,
        )
        .order_by("pk")
        .first()
    )
    assert evidence is not None, "the demo has no submitted evidence for the assessor"
    return f"/assessment/evidence/{evidence.pk}/"


def iv_sample() -> str:
    """A sample the IV is reviewing (or, failing one, any they recorded)."""
    samples = Sample.objects.filter(verifier__email=NORTHGATE.verifier.email).order_by("pk")
    sample = samples.filter(state=SampleState.OPEN).first() or samples.first()
    assert sample is not None, "the demo has no sample recorded by the internal verifier"
    return f"/verification/record/{sample.pk}/"


def eqa_portfolio() -> str:
    """A portfolio the IV sampled: what an EQA opens from their read-only home."""
    registration = (
        Registration.objects.filter(samples__isnull=False, centre__number=NORTHGATE.number)
        .order_by("pk")
        .first()
    )
    assert registration is not None
    return f"/portfolio/registrations/{registration.pk}/"


def home() -> str:
    return "/"


def employer_apprentice() -> str:
    # The employer's first apprentice: what a contact opens to see how they are doing.
    registration = Registration.objects.filter(
        apprenticeship__employer__name=NORTHGATE.employer,
        apprenticeship__employer__centre__name=NORTHGATE.name,
    )
    return f"/portfolio/evidence/registration/{registration.order_by('pk').first().pk}/"


LEARNER = NORTHGATE.learner_emails()[0]
SHOTS: list[Shot] = [
    Shot("learner-home", LEARNER, home, DESKTOP),
    Shot("learner-portfolio", LEARNER, learner_portfolio, DESKTOP),
    Shot("learner-portfolio-phone", LEARNER, learner_portfolio, PHONE),
    Shot("assessor-home", NORTHGATE.assessor.email, home, DESKTOP),
    Shot("assessor-judging", NORTHGATE.assessor.email, assessor_judging, DESKTOP),
    Shot("assessor-judging-phone", NORTHGATE.assessor.email, assessor_judging, PHONE),
    Shot("iv-home", NORTHGATE.verifier.email, home, DESKTOP),
    Shot("iv-sample", NORTHGATE.verifier.email, iv_sample, DESKTOP),
    Shot("admin-home", NORTHGATE.centre_admin.email, home, DESKTOP),
    Shot(
        "admin-registrations",
        NORTHGATE.centre_admin.email,
        lambda: "/centre/registrations/",
        DESKTOP,
    ),
    Shot("eqa-home", NORTHGATE.eqa.email, home, DESKTOP),
    Shot("eqa-portfolio", NORTHGATE.eqa.email, eqa_portfolio, DESKTOP),
    Shot("employer-home", NORTHGATE.employer_contact.email, home, DESKTOP),
    Shot("employer-apprentice", NORTHGATE.employer_contact.email, employer_apprentice, DESKTOP),
]


def test_the_readme_embeds_every_screenshot_and_each_is_committed() -> None:
    readme = (ROOT / "README.md").read_text()
    embedded = set(re.findall(r"!\[[^\]]+\]\(docs/screenshots/([\w-]+)\.png\)", readme))

    assert embedded == {shot.name for shot in SHOTS}
    missing = [shot.name for shot in SHOTS if not (FOLDER / f"{shot.name}.png").is_file()]
    assert not missing, f"not in docs/screenshots/ (run `make screenshots`): {missing}"


def sign_in(site: AccessiblePage, email: str) -> None:
    site.page.context.clear_cookies()
    site.goto("/accounts/login/")
    site.page.get_by_label("E-mail address").fill(email)
    site.page.get_by_label("Password").fill(DEMO_PASSWORD)
    site.page.get_by_role("button", name="Sign in").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    assert "/accounts/login/" not in site.page.url, f"{email} could not sign in"


def test_every_roles_home_and_main_job_can_be_screenshotted(
    site: AccessiblePage, settings: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings.STORAGES = storages_in(tmp_path / "media")  # type: ignore[attr-defined]
    ensure_catalogue()
    seed("--allow-without-debug")
    folder = FOLDER if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    page = site.page
    signed_in = ""
    for shot in SHOTS:
        if shot.email != signed_in:
            page.set_viewport_size(DESKTOP)
            sign_in(site, shot.email)
            signed_in = shot.email
        page.set_viewport_size(shot.viewport)
        response = page.goto(site.base_url + shot.path())
        assert response is not None
        assert response.status == 200, f"{shot.name}: {page.url}"
        site.assert_accessible()
        height = min(
            page.evaluate("document.documentElement.scrollHeight"),
            shot.viewport["height"] * MOST_VIEWPORTS,
        )
        path = folder / f"{shot.name}.png"
        page.screenshot(
            path=path,
            full_page=True,
            clip={"x": 0, "y": 0, "width": shot.viewport["width"], "height": height},
            animations="disabled",
            caret="hide",
        )
        # 256 colours are plenty for a page of text and a third of the bytes (the README's
        # images stay well under 300 KB each).
        Image.open(path).convert("RGB").quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        ).save(path, optimize=True)
        assert 5_000 < path.stat().st_size < 300_000, f"{shot.name}: {path.stat().st_size} bytes"
