"""seed_scale, run small: the shapes the benchmarks rely on, and bulk rows as the services
would have left them."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Centre, LearnerProfile, Membership, Role
from assessments.models import Decision, Outcome, UnitSignOff
from assessments.services import _signed_content
from certification.eligibility import claim_overview
from core.audit import verify_chain
from demo.scale import CENTRE_NUMBER, SFJ
from portfolios.evidence import content_hash, submission_content
from portfolios.models import (
    Evidence,
    EvidenceStatus,
    GatewaySignature,
    ProgressReview,
    Registration,
    RegistrationStatus,
    ReviewStatus,
)
from portfolios.reviews import content_hash as reviews_content_hash
from portfolios.reviews import signed_content
from qualifications.models import AssessmentCriterion
from verification.models import PlannedSample
from verification.models.sample import Sample, SampleState, VerifierSignOff
from verification.samples import hash_of, sampled_decisions, snapshot_of

pytestmark = pytest.mark.usefixtures("catalogue", "media")

SMALL = (
    "--caseload",
    "6",
    "--samples",
    "9",
    "--claimable",
    "7",
    "--sfj-units",
    "1",
    "--more-apprentices",
    "9",
)
PLATFORM = (
    "--platform",
    "--platform-centres",
    "2",
    "--platform-learners",
    "10",
    "--platform-decisions",
    "400",
)


@pytest.fixture
def media(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def seed_scale(manifest: Path, *extra: str) -> str:
    out = StringIO()
    call_command(
        "seed_scale",
        *SMALL,
        *extra,
        "--no-largest-imi",
        "--allow-without-debug",
        "--manifest",
        str(manifest),
        stdout=out,
    )
    return out.getvalue()


def test_seed_scale_builds_the_centre_the_benchmarks_measure(tmp_path: Path) -> None:
    # One seeding for every check: seeding is the slow part.
    seed_scale(tmp_path / "scale.json", *PLATFORM)
    seeded = json.loads((tmp_path / "scale.json").read_text())
    it_builds_the_named_people_and_counts(seeded)
    the_sfj_learner_has_every_unit_judged_met_on_evidence(seeded)
    the_bulk_registrations_are_as_the_services_leave_them(seeded)
    the_platform_has_its_centres_learners_and_decisions(seeded)
    the_apprentices_have_locked_reviews_and_some_passed_the_gateway(seeded)
    # Bulk rows included, every registration's progress row agrees with its log.
    call_command("recount_progress", stdout=StringIO())
    assert verify_chain() == []
    seeding_again_changes_nothing_and_writes_the_manifest(seeded, tmp_path)


def it_builds_the_named_people_and_counts(seeded: dict) -> None:
    centre = Centre.objects.get(number=CENTRE_NUMBER)
    assert seeded["centre"] == centre.pk
    assert seeded["caseload"] == 6
    assert Registration.objects.filter(assessors=seeded["assessor"]).count() == 6
    assert seeded["plan_samples"] == 9
    assert PlannedSample.objects.active().filter(plan=seeded["plan"]).count() == 9
    assert seeded["claimable"] == 7
    assert seeded["judging_criteria"] == 25
    assert Evidence.objects.get(pk=seeded["judging_evidence"]).status == EvidenceStatus.SUBMITTED
    sample = Sample.objects.get(pk=seeded["sample"])
    assert sample.state == SampleState.AGREED
    assert sample.snapshot["decisions"]
    assert Membership.objects.filter(user=seeded["admin"], role=Role.CENTRE_ADMIN).exists()


def the_apprentices_have_locked_reviews_and_some_passed_the_gateway(seeded: dict) -> None:
    apprentices = Registration.objects.filter(
        centre_id=seeded["centre"], apprenticeship__isnull=False
    )
    assert seeded["apprentices"] == apprentices.count() == 9
    reviews = ProgressReview.objects.filter(registration__in=apprentices)
    # Three each (the longest log's apprentice six), all locked by three signatures whose
    # hash is the review's; the PDFs wait in the queue.
    assert reviews.count() == 8 * 3 + 6
    assert set(reviews.values_list("status", flat=True)) == {ReviewStatus.LOCKED}
    review = reviews.get(pk=seeded["review"])
    assert review.registration_id == seeded["review_registration"] == seeded["otj_registration"]
    assert review.content_hash == reviews_content_hash(signed_content(review))
    assert set(review.signatures.values_list("content_hash", flat=True)) == {review.content_hash}
    assert review.signatures.count() == 3
    # The eighth passed the gateway (three signatures) and has a result.
    gateway = Registration.objects.get(pk=seeded["gateway_registration"])
    assert gateway.gateway_signatures.current().count() == 3
    assert gateway.epa_results.current().count() == 1
    assert GatewaySignature.objects.filter(registration__in=apprentices).count() == 3


def the_sfj_learner_has_every_unit_judged_met_on_evidence(seeded: dict) -> None:
    registration = Registration.objects.get(pk=seeded["registration"])
    assert registration.qualification.number == SFJ
    assert registration.status == RegistrationStatus.ACTIVE
    criteria = AssessmentCriterion.objects.filter(
        unit__in=registration.unit_choices.values("unit_id")
    )
    current = Decision.objects.current().filter(registration=registration)
    assert current.count() == criteria.count() == seeded["registration_criteria_decided"]
    assert set(current.values_list("outcome", flat=True)) == {Outcome.MET}
    assert not current.filter(evidence__isnull=True).exists()


def the_bulk_registrations_are_as_the_services_leave_them(seeded: dict) -> None:
    overview = claim_overview(centre_id=seeded["centre"])
    assert len(overview.full_eligible) == 7
    registration = Registration.objects.get(pk=overview.full_eligible[0].registration.pk)
    profile = LearnerProfile.objects.get(user=registration.learner, centre=registration.centre)
    assert len(profile.uln) == 10
    assert profile.date_of_birth
    for evidence in registration.evidence.all():
        assert evidence.status == EvidenceStatus.ASSESSED
        assert evidence.declaration.content_hash == content_hash(submission_content(evidence))
    for sign_off in UnitSignOff.objects.filter(registration=registration):
        content = _signed_content(registration, sign_off.unit)
        assert sign_off.content_hash == content_hash(content)
    iv = VerifierSignOff.objects.get(registration=registration)
    snapshot = snapshot_of(registration, None, sampled_decisions(registration, None))
    assert iv.sample.snapshot == snapshot
    assert iv.content_hash == iv.sample.snapshot_hash == hash_of(snapshot)


def the_platform_has_its_centres_learners_and_decisions(seeded: dict) -> None:
    assert seeded["platform_centres"] == 2
    platform = Registration.objects.filter(centre__number__gt=CENTRE_NUMBER)
    assert platform.count() == 10
    assert Decision.objects.filter(registration__in=platform).count() >= 400
    # A spread of progress: some learners finished (and claimable), some not started.
    assert platform.filter(status=RegistrationStatus.COMPLETE).exists()
    assert platform.filter(decisions__isnull=True).exists()


def seeding_again_changes_nothing_and_writes_the_manifest(seeded: dict, tmp_path: Path) -> None:
    decisions = Decision.objects.count()
    again = tmp_path / "again.json"
    out = seed_scale(again)
    assert "already seeded" in out
    assert Decision.objects.count() == decisions
    assert json.loads(again.read_text())["registration"] == seeded["registration"]
