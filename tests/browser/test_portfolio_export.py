"""The portfolio ZIP, unzipped, opens from disk as a small website (issue 18 point 5).

No server: the learner's copy must read on its own, accessibly and on a phone.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from assessments.validation import validate_decision
from portfolios.evidence import evidence_create, file_add, map_criteria, submit
from tests.assessments.test_release import decide, pearson_case
from tests.browser.conftest import AccessiblePage, fits
from tests.conftest import ensure_catalogue
from tests.support import clock


def test_the_unzipped_portfolio_opens_from_disk(
    site: AccessiblePage, settings: Any, tmp_path: Path
) -> None:
    today = clock.today()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    ensure_catalogue()
    case = pearson_case()
    learner = case["learner"]
    criterion = case["criterion"]
    evidence = evidence_create(
        actor=learner,
        registration=case["registration"],
        title="Customer survey",
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="The survey I ran at the counter.",
    )
    file_add(
        actor=learner,
        evidence=evidence,
        upload=SimpleUploadedFile("survey notes #1.txt", b"Ten customers asked.\n"),
    )
    map_criteria(actor=learner, evidence=evidence, criteria=[criterion])
    submit(actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True)
    decision = decide(case, criterion, evidence, feedback="A thorough survey.")
    validate_decision(validator=case["iv"], decision=decision, outcome="agreed")

    client = Client()
    client.force_login(learner)
    response: Any = client.get(reverse("witness:export", args=[case["registration"].pk]))
    assert response.status_code == 200
    unzipped = tmp_path / "portfolio"
    zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).extractall(unzipped)

    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto((unzipped / "index.html").as_uri())
    site.assert_accessible()

    unit = case["unit"]
    expect(
        page.get_by_role("heading", name=f"Unit {unit.reference or unit.key}: {unit.title}")
    ).to_be_visible()
    row = page.locator(f"#criterion-{criterion.pk}")
    expect(row).to_contain_text(criterion.number)
    expect(row).to_contain_text("Decision: Met")
    expect(row).to_contain_text(f"{today.day} {today.strftime('%B %Y')}")
    expect(row).to_contain_text("A thorough survey.")
    # The criterion links to its evidence, whose file is linked by its path in the ZIP.
    row.get_by_role("link", name="Customer survey").click()
    expect(page.locator(f"#evidence-{evidence.pk}")).to_be_in_viewport()
    link = page.get_by_role("link", name="survey notes #1.txt")
    href = link.get_attribute("href")
    assert href
    on_disk = unzipped / unquote(href)
    assert on_disk.is_file()
    assert on_disk.read_bytes() == b"Ten customers asked.\n"
    manifest = page.get_by_role("link", name="manifest.json").get_attribute("href")
    assert manifest
    assert (unzipped / manifest).is_file()
    fits(page)
    site.assert_accessible()
