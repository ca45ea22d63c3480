"""A centre's token never reaches another centre's objects: every registration of centre A (its
detail, progress, decisions, and the writes on it) answers 404 to centre B's token, as an
unknown id does, and A's people, samples and claims are in none of B's lists. A learner's own
token reads themselves alone, not a classmate."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Role
from api.scopes import Scope
from certification.models import ClaimBatch, ClaimLine
from portfolios.models import Evidence, OffTheJobActivity, Registration
from qualifications.models import AssessmentCriterion
from tests.api.conftest import call, decide, make_token, register, send
from tests.factories import CentreFactory, mapped_evidence, member
from tests.support import clock
from verification.models.sample import Sample

pytestmark = pytest.mark.django_db

ALL = list(Scope.values)
READS = ("", "/progress", "/decisions")


def _centre(name: str) -> dict[str, Any]:
    centre = CentreFactory(name=name)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    verifier = member(centre, Role.INTERNAL_VERIFIER)
    registrations = [register(centre, admin) for _ in range(3)]
    for registration in registrations:
        registration.internal_verifier = verifier
        registration.save(update_fields=["internal_verifier"])
        criterion = AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit")
        ).first()
        mapped_evidence(registration, [criterion])
        decide(registration, assessor, criterion, "met")
        Sample.objects.create(
            registration=registration,
            stage="interim",
            verifier=verifier,
            snapshot={},
            snapshot_hash="0" * 64,
        )
        batch, _ = ClaimBatch.objects.get_or_create(
            centre=centre,
            awarding_body=registration.qualification.awarding_body,
            defaults={"created_by": admin},
        )
        ClaimLine.objects.create(
            batch=batch, registration=registration, achievement_date=clock.today(), added_by=admin
        )
    return {"centre": centre, "admin": admin, "registrations": registrations}


def _upload(secret: str, registration_id: int) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return Client().post(
        f"/api/v1/registrations/{registration_id}/evidence",
        {
            "title": "Probe",
            "evidence_date": clock.today().isoformat(),
            "method": "product",
            "context": "real_work_paid",
            "files": [SimpleUploadedFile("a.txt", b"probe")],
        },
        headers={"Authorization": f"Bearer {secret}"},
    )


def _hours(secret: str, registration_id: int) -> Any:
    body = {
        "date": clock.today().isoformat(),
        "hours": "1",
        "kind": "teaching",
        "description": "Probe",
    }
    return send("post", f"/registrations/{registration_id}/off-the-job", secret, body)


def test_a_centre_token_gets_404_for_every_object_of_another_centre() -> None:
    a, b = _centre("Centre A"), _centre("Centre B")
    _, b_secret = make_token(b["admin"], centre=b["centre"], scopes=ALL)
    a_ids = list(Registration.objects.filter(centre=a["centre"]).values_list("pk", flat=True))
    assert len(a_ids) == 3
    unknown = max(Registration.objects.values_list("pk", flat=True)) + 1000
    for pk in [*a_ids, unknown]:
        for tail in READS:
            answer = call(f"/registrations/{pk}{tail}", b_secret)
            assert answer.status_code == 404, (pk, tail)
            assert "Centre A" not in answer.content.decode()
        assert _upload(b_secret, pk).status_code == 404
        assert _hours(b_secret, pk).status_code == 404
        for listing in ("/samples", "/claims"):
            assert call(listing, b_secret, registration=pk).json()["count"] == 0
    assert not Evidence.objects.filter(title="Probe").exists()
    assert not OffTheJobActivity.objects.exists()
    # Nor in any list: registrations, people, samples, claims.
    listed = {item["id"] for item in call("/registrations", b_secret, limit=100).json()["items"]}
    assert listed == {r.pk for r in b["registrations"]}
    people = {item["id"] for item in call("/people", b_secret, limit=100).json()["items"]}
    assert not people & ({r.learner_id for r in a["registrations"]} | {a["admin"].pk})
    samples = call("/samples", b_secret, limit=100).json()["items"]
    assert {s["registration_id"] for s in samples} == {r.pk for r in b["registrations"]}
    claims = call("/claims", b_secret, limit=100).json()["items"]
    assert {c["registration_id"] for c in claims} == {r.pk for r in b["registrations"]}
    # And its writes register nobody at A: another centre's id is not found.
    asked = {
        "learner": a["registrations"][0].learner_id,
        "qualification": a["registrations"][0].qualification_id,
        "start_date": clock.today().isoformat(),
        "centre": a["centre"].pk,
    }
    assert send("post", "/registrations", b_secret, asked).status_code == 404
    del asked["centre"]
    # A's learner is no learner of B's: the register form does not find them.
    refused = send("post", "/registrations", b_secret, asked)
    assert refused.status_code == 422
    assert Registration.objects.filter(centre=b["centre"]).count() == 3


def test_a_learners_own_token_reads_only_themselves() -> None:
    a = _centre("Centre A")
    mine, classmate = a["registrations"][0], a["registrations"][1]
    _, secret = make_token(mine.learner, scopes=ALL)
    people = call("/people", secret, limit=100).json()["items"]
    assert [person["id"] for person in people] == [mine.learner_id]
    listed = call("/registrations", secret, limit=100).json()["items"]
    assert [item["id"] for item in listed] == [mine.pk]
    for tail in READS:
        assert call(f"/registrations/{mine.pk}{tail}", secret).status_code == 200
        assert call(f"/registrations/{classmate.pk}{tail}", secret).status_code == 404
    assert _upload(secret, classmate.pk).status_code == 404
    assert _hours(secret, classmate.pk).status_code == 404
    # Samples and claims are the centre's staff's to read, not the learner's.
    assert call("/samples", secret).json()["count"] == 0
    assert call("/claims", secret).json()["count"] == 0
