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
from tests.browser.test_invitations import sign_in, sign_out
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


def test_a_zip_held_for_an_invited_learner_and_the_unit_page_after_on_a_phone(
    site: AccessiblePage, settings: Any, tmp_path: Path
) -> None:
    """The admin chooses a learner who is only invited: the ZIP is checked, held and shown as
    waiting; once she accepts it is imported, and the unit page shows the earlier centre's
    decisions beside the criteria."""
    from accounts.models import Membership, Role
    from accounts.services import invitation_accept, invitation_create
    from portfolios.models import Registration
    from portfolios.services import assign_staff
    from tests.portfolios.test_export import criteria

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    ensure_catalogue()
    move = build_move(Client())
    Membership.objects.filter(user=move.world.learner, centre=move.b).delete()
    invitation = invitation_create(
        actor=move.admin_b,
        centre=move.b,
        email=move.world.learner.email,
        full_name="Nadia Brook",
        role=Role.LEARNER,
    )
    good = tmp_path / "portfolio.zip"
    good.write_bytes(move.archive)

    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(site, move.admin_b.email)
    site.goto("/centre/transfer/")
    page.get_by_label("Portfolio ZIP").set_input_files(str(good))
    page.get_by_label("Or a learner invited here who has not accepted yet").select_option(
        str(invitation.pk)
    )
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state("load")
    expect(page.locator(".messages")).to_contain_text("held until Nadia Brook accepts")
    expect(page.get_by_test_id("held-transfers")).to_contain_text(
        "Waiting for Nadia Brook to accept"
    )
    site.assert_accessible()
    fits(page)

    invitation_accept(user=move.world.learner, invitation=invitation)
    registration = Registration.objects.get(centre=move.b)
    assign_staff(actor=move.admin_b, registration=registration, assessors=[move.assessor_b])
    first = criteria(registration, 1)[0]
    sign_out(site)
    sign_in(site, move.assessor_b.email)
    site.goto(f"/assessment/registration/{registration.pk}/unit/{first.unit_id}/")
    expect(page.get_by_test_id(f"prior-{first.pk}")).to_contain_text(
        "Decided at Northgate Training Centre by Ada Assessor on"
    )
    site.assert_accessible()
    fits(page)
