"""What `seed_demo` builds, read from one run of it shared by the whole module.

Seeding the demo is the slow part of these tests, and they only read what it built (or change
it inside their own transaction, which is rolled back), so the module seeds once, in a
transaction kept open until its last test (tests/support/module_rows.py). The tests that need a
database without the demo, or the second centre, are in test_seed_demo.py.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Membership, User
from assessments.models import AssessmentPlan, PlanActivity
from assessments.models.achievement import AchievementRecord
from core.models import AuditEvent
from demo.centres import (
    CENTRE_NAME,
    CENTRE_NUMBER,
    FINISHED,
    LEARNERS,
    learner_email,
)
from portfolios.models import (
    Declaration,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    EvidenceStatus,
    Registration,
    WitnessRequest,
)
from portfolios.services import unit_choice_result
from tests.support.demo import row_counts, seed, storages_in, stored_files
from tests.support.module_rows import made_for_the_module
from verification.models.standardisation import StandardisationMeeting


@dataclass(frozen=True)
class Demo:
    logins: list[dict[str, str]]  # as `seed_demo --json` printed them
    media: Path  # where its files are


@pytest.fixture(scope="module")
def demo(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, tmp_path_factory
) -> Iterator[Demo]:
    media = tmp_path_factory.mktemp("demo-media")

    def seed_it() -> list[dict[str, str]]:
        with override_settings(DEBUG=True):  # the command refuses to run without it
            return json.loads(seed("--json"))

    with (
        override_settings(STORAGES=storages_in(media)),
        made_for_the_module(django_db_blocker, seed_it) as logins,
    ):
        yield Demo(logins, media)


@pytest.fixture
def seeded(demo: Demo, db: None, settings) -> list[dict[str, str]]:
    # As when each test seeded its own demo: DEBUG on, as the command needs it.
    settings.DEBUG = True
    return demo.logins


def test_it_builds_a_centre_with_every_role(seeded: list[dict[str, str]]) -> None:
    centre = Centre.objects.get(number=CENTRE_NUMBER)
    assert centre.name == CENTRE_NAME
    approved = set(centre.qualifications.values_list("number", flat=True))
    assert "601/1109/4" not in approved  # SFJ is closed
    assert approved == {
        "600/1686/3",
        "600/1684/X",
        "601/3456/2",
        "601/3973/0",
        "603/5449/5",
        "603/5450/1",
    }
    roles = list(Membership.objects.filter(centre=centre).values_list("role", flat=True))
    assert roles.count("admin") == 1
    assert roles.count("assessor") == 3  # and the trainee assessor (demo/competence.py)
    assert roles.count("iv") == 2  # the internal verifier and the assessor who also verifies
    assert roles.count("eqa") == 1
    assert roles.count("learner") == 17  # 12 at work, 5 finished or left early
    eqa = Membership.objects.get(centre=centre, role="eqa")
    assert eqa.expires_on == timezone.localdate() + datetime.timedelta(days=90)
    two_roles = [
        user for user in User.objects.all() if user.memberships.filter(centre=centre).count() == 2
    ]
    assert [user.email for user in two_roles] == ["marcus.reid@demo.example"]
    assert User.objects.get(email="admin@demo.example").is_superuser


def test_every_learner_is_registered_with_a_valid_choice_and_staff(
    seeded: list[dict[str, str]],
) -> None:
    registrations = Registration.objects.filter(centre__number=CENTRE_NUMBER)

    assert registrations.count() == 17
    assert registrations.values("learner").distinct().count() == 17
    assert registrations.values("qualification").distinct().count() == 6
    for registration in registrations:
        profile = registration.learner.learner_profiles.get(centre=registration.centre)
        assert profile.date_of_birth
        assert len(profile.uln) == 10
        assert profile.employer
        keys = set(registration.unit_choices.values_list("unit__key", flat=True))
        result = unit_choice_result(registration.qualification, keys)
        if registration.qualification.rules_given:
            assert result.ok, (registration, result.problems)
        assert registration.assessors.count() == 1
        assert registration.internal_verifier is not None
        assert registration.internal_verifier not in registration.assessors.all()
    # Registered through the services: each has its audit event.
    assert AuditEvent.objects.filter(action="registration.created").count() == 17


def test_running_it_twice_changes_nothing(demo: Demo, seeded: list[dict[str, str]]) -> None:
    before = row_counts()
    users = dict(User.objects.values_list("email", "password"))
    stored = stored_files(demo.media)

    again = json.loads(seed("--json"))

    assert again == seeded
    assert row_counts() == before
    after = dict(User.objects.values_list("email", "password"))
    # Only setup_demo's superuser has its password reset (it always does); no one else changes.
    del users["admin@demo.example"], after["admin@demo.example"]
    assert after == users
    assert stored_files(demo.media) == stored


def test_the_printed_logins_are_one_a_line(seeded: list[dict[str, str]]) -> None:
    logins = seeded

    printed = seed()

    assert "Demo sign-in details" in printed
    for login in logins:
        assert f"{login['role']}" in printed
        assert f"{login['email']}  /  {login['password']}" in printed
    assert len(logins) == 1 + 6 + 12 + 5
    assert {login["role"] for login in logins} >= {
        "Site administrator",
        "Centre admin",
        "Assessor",
        "Internal verifier",
        "Assessor and internal verifier",
        "External quality assurer",
        "Employer contact",
        "Learner",
    }


def test_the_printed_api_token_reads_the_demo_centres_registrations(
    client: Client, seeded: list[dict[str, str]]
) -> None:
    from api.models import ApiToken
    from demo.api import demo_api_token
    from demo.centres import NORTHGATE

    token = demo_api_token(NORTHGATE)
    printed = seed()
    assert f"API token of {CENTRE_NAME} (reads as its centre admin): {token}" in printed
    assert (
        f'curl -H "Authorization: Bearer {token}" http://127.0.0.1:8000/api/v1/registrations'
        in (printed)
    )
    # Printed inside Northgate's block, before the second centre's would begin.
    assert printed.index(token) > printed.index(f"centre number {CENTRE_NUMBER}")
    assert ApiToken.objects.filter(centre__number=CENTRE_NUMBER).count() == 1  # not made twice
    answer = client.get("/api/v1/registrations", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    centre = Centre.objects.get(number=CENTRE_NUMBER)
    assert answer.json()["count"] == Registration.objects.filter(centre=centre).count()
    assert {item["centre"]["number"] for item in answer.json()["items"]} == {CENTRE_NUMBER}


def test_the_printed_api_token_adds_a_learner_as_the_readme_shows(
    client: Client, seeded: list[dict[str, str]]
) -> None:
    # README "### API": the first registration's qualification, a new learner, invited.
    from demo.api import demo_api_token
    from demo.centres import NORTHGATE

    headers = {"Authorization": f"Bearer {demo_api_token(NORTHGATE)}"}
    first = client.get("/api/v1/registrations?limit=1", headers=headers).json()["items"][0]
    body = {
        "new_full_name": "Ada Lovelace",
        "new_email": "ada@example.org",
        "qualification": first["qualification"]["id"],
        "start_date": timezone.localdate().isoformat(),
    }
    answer = client.post(
        "/api/v1/registrations",
        body,
        content_type="application/json",
        headers={**headers, "Idempotency-Key": "add-ada-lovelace-0001"},
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["outcome"] == "invited"


def test_the_demo_centre_signs_in_through_the_local_openid_provider(
    client: Client, seeded: list[dict[str, str]]
) -> None:
    from accounts.models import IdentityProvider
    from demo.sso import DEMO_CLIENT_ID, DEMO_ISSUER

    printed = seed()
    assert "make oidc-provider" in printed
    assert "helen.carter@demo.example  (signs in as Northgate's centre admin)" in printed
    provider = IdentityProvider.objects.get()  # Northgate's, made once
    assert (provider.centre.number, provider.issuer) == (CENTRE_NUMBER, DEMO_ISSUER)
    assert (provider.client_id, provider.enabled) == (DEMO_CLIENT_ID, True)
    # The provider's demo client is registered with the same id and secret.
    server = (Path(django_settings.BASE_DIR) / "tools" / "oidc-provider" / "server.js").read_text()
    assert f"client_id: '{provider.client_id}'" in server
    assert f"client_secret: '{provider.client_secret}'" in server
    page = client.get("/accounts/login/").content.decode()
    assert f"Sign in with {CENTRE_NAME} account" in page


def test_the_json_is_only_the_list(seeded: list[dict[str, str]]) -> None:
    assert all(set(login) == {"role", "email", "password"} for login in seeded)


def test_every_printed_login_signs_in_and_sees_their_work(
    client: Client, seeded: list[dict[str, str]]
) -> None:
    centre = Centre.objects.get(number=CENTRE_NUMBER)
    for login in seeded:
        # Through the sign-in form (django-axes refuses client.login without a request).
        response = client.post(
            reverse("login"),
            {"username": login["email"], "password": login["password"]},
            follow=True,
        )
        assert response.redirect_chain == [("/", 302)], login
        html = response.content.decode()
        user = User.objects.get(email=login["email"])
        role = login["role"]
        if role == "Site administrator":
            assert 'href="/admin/"' in html
        elif role == "Learner":
            registration = Registration.objects.get(learner=user)
            assert registration.qualification.number in html
            assert "Your registrations at Northgate Training Centre" in html
        elif role == "Centre admin":
            assert "Latest registrations" in html
            newest = Registration.objects.filter(centre=centre).latest("created_at", "pk")
            assert newest.learner.full_name.replace("'", "&#x27;") in html
        elif role == "External quality assurer":
            assert "Read-only access" in html
            assert html.count("<tr>") >= 13
        elif role == "Employer contact":
            # Issue 19: their employer's three apprentices (demo/apprenticeships.py), no one else.
            assert "Harbour Hotels Group's apprentices" in html
            assert "Apprentices: 3" in html
            apprentices = Registration.objects.filter(apprenticeship__employer__contacts__user=user)
            assert apprentices.count() == 3
            for registration in apprentices:
                assert registration.learner.full_name.replace("'", "&#x27;") in html
        else:
            # Assessors see their caseload; the assessor who is also IV starts as IV.
            if role == "Internal verifier" or role.startswith("Assessor and"):
                learners = Registration.objects.filter(internal_verifier=user)
            else:
                learners = Registration.objects.filter(assessors=user)
            assert learners.exists()
            for registration in learners:
                assert registration.learner.full_name.replace("'", "&#x27;") in html
        client.post(reverse("logout"))


def test_the_portfolios_hold_evidence_in_every_state(seeded: list[dict[str, str]]) -> None:
    evidence = Evidence.objects.filter(registration__centre__number=CENTRE_NUMBER)

    states = set(evidence.values_list("status", flat=True))
    assert states >= {EvidenceStatus.DRAFT, EvidenceStatus.SUBMITTED, EvidenceStatus.RETURNED}
    # Every learner at work has a draft and a submitted, declared piece of work.
    for registration in Registration.objects.filter(
        centre__number=CENTRE_NUMBER, learner__email__in=[learner_email(n) for n, _, _ in LEARNERS]
    ):
        mine = evidence.filter(registration=registration)
        assert mine.filter(status=EvidenceStatus.DRAFT).exists(), registration
        assert mine.filter(status=EvidenceStatus.SUBMITTED, declaration__isnull=False).exists()
    # Everything the learner submitted carries their declaration; the witness's does not.
    for item in evidence.exclude(status=EvidenceStatus.DRAFT):
        if hasattr(item, "witness_request") or hasattr(item, "assessor_record"):
            assert not Declaration.objects.filter(evidence=item).exists()
        else:
            assert item.declaration.signed_by == item.registration.learner
            assert item.declaration.typed_name == item.registration.learner.full_name


def test_assessors_observations_are_signed_and_some_acknowledged(
    seeded: list[dict[str, str]],
) -> None:
    from assessments.models import AssessorRecord

    records = AssessorRecord.objects.filter(
        evidence__registration__centre__number=CENTRE_NUMBER, kind="observation"
    )
    assert records.count() == 3
    for record in records.select_related("evidence__registration"):
        assert record.evidence.status == EvidenceStatus.SUBMITTED
        assert record.evidence.registration.assessors.filter(pk=record.assessor_id).exists()
        assert record.evidence.mappings.exists()
    assert records.filter(acknowledged_at__isnull=False).count() == 2
    assert records.filter(learner_disagrees=True).count() == 1


def test_returned_evidence_was_resubmitted_as_version_two(seeded: list[dict[str, str]]) -> None:
    returned = Evidence.objects.filter(status=EvidenceStatus.RETURNED)

    assert returned.count() == 4  # every third learner
    for first in returned:
        assert first.version == 1
        second = first.next_version
        assert second.version == 2
        assert second.status == EvidenceStatus.SUBMITTED
        assert second.declaration.content_hash != first.declaration.content_hash
        assert set(second.criteria.all()) == set(first.criteria.all())
        assert [f.sha256 for f in second.files.all()] == [f.sha256 for f in first.files.all()]
        assert AuditEvent.objects.for_object(first).filter(action="evidence.returned").exists()


def test_one_witness_has_signed_and_one_is_still_asked(seeded: list[dict[str, str]]) -> None:
    # The witnesses asked by e-mailed link (the employer contact's request is another test's).
    by_link = WitnessRequest.objects.filter(witness_user__isnull=True)
    signed = by_link.get(used_at__isnull=False)
    waiting = by_link.get(used_at__isnull=True)

    assert signed.evidence.status == EvidenceStatus.SUBMITTED
    assert signed.evidence.method == "witness"
    assert signed.signed_name == "Mark Doyle"
    assert set(signed.evidence.criteria.all()) == set(signed.criteria.all())
    assert waiting.evidence is None
    assert waiting.is_expert
    assert waiting.expires_at > timezone.now()
    assert signed.registration == waiting.registration
    assert signed.registration.learner.email == "olivia.bennett@learner.demo.example"


def test_the_files_are_real_pdfs_and_images_stored_under_random_names(
    seeded: list[dict[str, str]],
) -> None:
    import hashlib

    from django.core.files.storage import default_storage

    from portfolios.evidence import sniff

    files = EvidenceFile.objects.all()
    assert set(files.values_list("content_type", flat=True)) == {
        "application/pdf",
        "image/png",
        "text/plain",
    }
    for record in files:
        with default_storage.open(record.file.name, "rb") as fh:
            content = fh.read()
            assert sniff(fh) == record.content_type
        assert hashlib.sha256(content).hexdigest() == record.sha256
        assert len(content) == record.size
        assert record.original_name not in record.file.name
    pdf = files.filter(content_type="application/pdf").first()
    with default_storage.open(pdf.file.name, "rb") as fh:
        content = fh.read()
    assert content.startswith(b"%PDF-1.4")
    assert content.endswith(b"\n%%EOF\n")


def test_evidence_is_mapped_to_criteria_of_the_learners_own_units(
    seeded: list[dict[str, str]],
) -> None:
    from core.audit import verify_chain

    mappings = EvidenceCriterion.objects.select_related("evidence__registration", "criterion")
    assert mappings.exists()
    for mapping in mappings:
        registration = mapping.evidence.registration
        assert registration.unit_choices.filter(unit_id=mapping.criterion.unit_id).exists()
    assert not Evidence.objects.filter(mappings__isnull=True).exclude(status="draft").exists()
    assert verify_chain() == []


def test_one_learner_has_an_agreed_plan_with_done_overdue_and_upcoming_activities(
    client: Client, seeded: list[dict[str, str]]
) -> None:
    plan = AssessmentPlan.objects.get()
    registration = plan.registration
    today = timezone.localdate()

    assert registration.learner.email == "jamal.okafor@learner.demo.example"
    assert plan.is_agreed
    assert list(AssessmentPlan.objects.in_force()) == [plan]
    activities = list(plan.activities.order_by("position"))
    assert len(activities) == 3
    done, overdue, upcoming = activities
    assert done.completed_at is not None
    assert list(PlanActivity.objects.overdue(today)) == [overdue]
    assert upcoming.completed_at is None
    assert upcoming.target_date > today
    for activity in activities:
        assert activity.criteria.exists()
        for criterion in activity.criteria.all():
            assert registration.unit_choices.filter(unit_id=criterion.unit_id).exists()
    assert AuditEvent.objects.filter(action="plan.learner_signed").count() == 1

    # Both home pages show it: the learner's next and overdue activities, the assessor's count.
    client.force_login(registration.learner)
    html = client.get("/").content.decode()
    assert overdue.description in html
    assert upcoming.description in html
    assessor = registration.assessors.get()
    client.force_login(assessor)
    assert "1 overdue" in client.get("/").content.decode()


def test_it_records_a_finalised_standardisation_meeting(seeded: list[dict[str, str]]) -> None:
    meeting = StandardisationMeeting.objects.get(centre__number=CENTRE_NUMBER)
    assert meeting.status == "finalised"
    assert meeting.qualification.number == "601/3456/2"
    assert sorted(meeting.attendees.values_list("email", flat=True)) == [
        "aisha.khan@demo.example",
        "dorothy.evans@demo.example",
        "marcus.reid@demo.example",
    ]
    assert list(meeting.outcomes.values_list("position", flat=True)) == [1, 2]
    assert AuditEvent.objects.filter(action="verification.standardisation_finalised").count() == 1


def test_the_iv_samples_the_finished_learners_from_a_plan_and_signs_them_off(
    seeded: list[dict[str, str]],
) -> None:
    from assessments.models import Decision, UnitSignOff
    from portfolios.models import RegistrationStatus
    from verification.models import AssessorRiskRating, SamplingPlan, SamplingStrategy
    from verification.models.sample import Sample, SampleOutcome, VerifierSignOff

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    strategies = SamplingStrategy.objects.filter(centre=centre)
    assert sorted(strategies.values_list("qualification__number", flat=True)) == [
        "600/1684/X",
        "600/1686/3",
        "603/5449/5",
    ]
    assert SamplingPlan.objects.filter(strategy__centre=centre).count() == 3
    rating = AssessorRiskRating.objects.get(centre=centre)
    assert (rating.assessor.email, rating.rating) == ("marcus.reid@demo.example", "experienced")

    by_name = {
        r.learner.full_name: r
        for r in Registration.objects.filter(
            learner__email__in=[learner_email(f.name) for f in FINISHED]
        )
    }
    assert set(by_name) == {f.name for f in FINISHED}
    for finished in FINISHED:
        registration = by_name[finished.name]
        sample = Sample.objects.get(registration=registration)
        # Every sample came from a plan, was agreed and ends in the IV's summative sign-off.
        assert sample.planned_sample is not None
        assert sample.stage == "summative"
        assert sample.state == "agreed"
        assert sample.verifier == registration.internal_verifier
        assert not registration.assessors.filter(pk=sample.verifier_id).exists()
        sign_off = VerifierSignOff.objects.get(registration=registration)
        if finished.story == "left_early":
            assert registration.status == RegistrationStatus.WITHDRAWN
            assert sample.unit is not None
            assert sign_off.unit == sample.unit
            assert UnitSignOff.objects.active().filter(registration=registration).count() == 1
        else:
            claimed = finished.story == "claimed"
            assert registration.status == (
                RegistrationStatus.CLAIMED if claimed else RegistrationStatus.COMPLETE
            )
            assert sample.unit is None
            assert sign_off.unit is None

    # One referral, resolved: the unit was unlocked, the decision corrected and the unit signed
    # off again before the IV agreed.
    noah = by_name["Noah Williams"]
    outcomes = list(SampleOutcome.objects.filter(sample__registration=noah))
    assert [o.outcome for o in outcomes] == ["referred", "agreed"]
    referred = outcomes[0].decisions.get()
    correction = Decision.objects.get(supersedes=referred)
    assert correction.reason
    unit = referred.criterion.unit
    sign_offs = UnitSignOff.objects.filter(registration=noah, unit=unit).order_by("pk")
    assert [s.unlocked_at is None for s in sign_offs] == [False, True]
    assert SampleOutcome.objects.filter(outcome="referred").count() == 1


def test_the_eqa_login_has_time_limited_read_access(seeded: list[dict[str, str]]) -> None:
    eqa = Membership.objects.get(user__email="graham.lowe@demo.example")
    assert eqa.role == "eqa"
    assert eqa.expires_on > timezone.localdate()


def test_the_centre_records_a_simulation_agreement_and_its_interim_ncfe_rule(
    seeded: list[dict[str, str]],
) -> None:
    """SFJ section 4.7: simulation only with the awarding body's prior agreement; NCFE 601/3973/0
    gives no rule of combination, so the centre states one (its basis and source shown)."""
    from portfolios.models import CentreCombinationRule, SimulationAgreement

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    asking = centre.qualifications.exclude(simulation_rule="")
    # The only qualification asking for one (SFJ 601/1109/4) is closed in the catalogue (its
    # certification end has passed): a centre offers it no more, so records no agreement for it.
    agreements = SimulationAgreement.objects.filter(centre=centre)
    assert agreements.count() == asking.count()
    for agreement in agreements:
        assert agreement.units.count() == 2
        assert not agreement.units.filter(real_work_only=True).exists()
    rule = CentreCombinationRule.objects.get(centre=centre)
    assert rule.qualification.number == "601/3973/0"
    assert rule.basis == "interim"
    assert "Interim" in rule.source


def test_the_demo_claim_file_lists_exactly_the_eligible_learners_and_units(
    seeded: list[dict[str, str]],
) -> None:
    import csv
    import io

    from certification.claims import add_to_claim, export_batch, export_rows
    from certification.eligibility import claim_overview
    from certification.models import BatchState, ClaimBatch
    from portfolios.models import RegistrationStatus

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    admin = User.objects.get(email="helen.carter@demo.example")

    # Already claimed: Grace, in a batch submitted to Ascentis.
    claimed = ClaimBatch.objects.get(centre=centre)
    assert claimed.state == BatchState.SUBMITTED
    line = claimed.lines.get()
    assert line.registration.learner.full_name == "Grace Mitchell"
    assert line.registration.status == RegistrationStatus.CLAIMED

    overview = claim_overview(centre_id=centre.pk)
    assert [c.registration.learner.full_name for c in overview.full_eligible] == ["Noah Williams"]
    assert [(c.registration.learner.full_name, c.unit.key) for c in overview.unit_eligible] == [
        ("Mia Robinson", "M/601/6059")
    ]
    waiting = {c.registration.learner.full_name: " ".join(c.reasons) for c in overview.full_waiting}
    assert set(waiting) == {"Isla Robertson", "Ethan Moore"}
    assert "10 weeks" in waiting["Isla Robertson"]
    assert "Open hold: appeal open" in waiting["Ethan Moore"]

    lines = add_to_claim(
        actor=admin,
        centre_id=centre.pk,
        items=[(c.registration.pk, None) for c in overview.full_eligible]
        + [(c.registration.pk, c.unit.pk) for c in overview.unit_eligible],
    )
    batch = export_batch(actor=admin, batch=lines[0].batch)
    assert {line.batch_id for line in lines} == {batch.pk}
    rows = list(csv.DictReader(io.StringIO("".join(export_rows(batch)))))
    assert len(rows) == 2
    by_name = {(row["Forenames"], row["Surname"]): row for row in rows}
    assert set(by_name) == {("Noah", "Williams"), ("Mia", "Robinson")}
    noah, mia = by_name[("Noah", "Williams")], by_name[("Mia", "Robinson")]
    assert noah["Qualification number"] == "600/1684/X"
    assert mia["Unit references"] == "M/601/6059"
    for row in rows:
        assert row["Centre number"] == CENTRE_NUMBER
        assert row["Result"] == "Pass"
        assert len(row["ULN"]) == 10


def test_grace_has_a_built_achievement_record_that_verifies(
    seeded: list[dict[str, str]], client
) -> None:
    import io

    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    record = AchievementRecord.objects.get(kind="full")
    grace = record.registration.learner
    assert grace.full_name == "Grace Mitchell"
    assert (record.kind, record.status, record.state) == ("full", "ready", "current")
    with default_storage.open(record.file.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Learner achievement record" in text
    assert "Grace Mitchell" in text
    assert record.verification_code in text

    page = client.get(record.verify_path)
    assert page.status_code == 200
    assert "Grace Mitchell" in page.content.decode()
    # The learner finds it from her portfolio, on the records page.
    client.force_login(grace)
    listing = client.get(reverse("assessments:achievements", args=[record.registration_id]))
    assert record.verification_code in listing.content.decode()


def test_grace_downloads_her_badge_and_it_verifies_in_a_library_that_is_not_ours(
    seeded: list[dict[str, str]], client
) -> None:
    """Issue 20's "done when": a finished learner's badge verifies in openbadgeslib, which
    finds the key from the issuer's did:web and reads the centre's signed revocation list."""
    import base64
    from urllib.parse import urlsplit

    from openbadgeslib.ob3 import OB3Verifier

    record = AchievementRecord.objects.get(kind="full")
    client.force_login(record.registration.learner)
    token = client.get(reverse("assessments:badge_download", args=[record.pk])).content.decode()

    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        return client.get(parts.path, HTTP_HOST=parts.netloc).content

    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    verifier = OB3Verifier.for_issuer_did(payload["iss"], download=fetch)
    credential = verifier.verify(token, check_status=True, download=fetch)
    assert credential.achievement.name == record.registration.qualification.title
    assert credential.issuer.name == record.centre.name


def test_the_submitted_batch_has_a_built_summary_the_admin_downloads(
    seeded: list[dict[str, str]], client
) -> None:
    from certification.models import ClaimBatch

    summary = AchievementRecord.objects.get(kind="claim_summary")
    batch = ClaimBatch.objects.get(reference="ASC-70421-0001")
    assert (summary.status, summary.state) == ("ready", "current")
    assert summary.subject == f"Claim batch {batch.pk}, {batch.awarding_body.name}"
    assert [line["learner"] for line in summary.content["lines"]] == ["Grace Mitchell"]
    download = reverse("certification:claim_summary_download", args=[batch.pk, summary.pk])
    client.force_login(User.objects.get(email="helen.carter@demo.example"))
    page = client.get(reverse("certification:claim_batch", args=[batch.pk]))
    assert download in page.content.decode()
    assert client.get(download).status_code == 200
    # Anyone may verify it; the public page names no learner.
    client.logout()
    verify = client.get(summary.verify_path).content.decode()
    assert summary.subject in verify
    assert "Grace Mitchell" not in verify


def test_the_demo_has_a_pearson_brief_issued_extended_and_handed_in(
    seeded: list[dict[str, str]], client: Client
) -> None:
    # Pearson BTEC specification, section 8: "An assignment is issued to learners as an
    # assignment brief with a defined start date, a completion date and clear requirements";
    # "Learners may be given authorised extensions for legitimate reasons".
    from assessments.models import AssignmentBrief, BriefExtension, BriefHandIn, BriefStatus

    given = AssignmentBrief.objects.get(centre__number=CENTRE_NUMBER, status=BriefStatus.ISSUED)
    assert AssignmentBrief.objects.filter(
        centre__number=CENTRE_NUMBER, status=BriefStatus.DRAFT
    ).exists()
    extension = BriefExtension.objects.get(brief=given)
    handed = BriefHandIn.objects.get(brief=given)
    assert handed.registration_id == extension.registration_id
    assert not handed.late
    # The EQA reads it, with the learner's extended date, and acts on nothing.
    eqa = Membership.objects.get(centre__number=CENTRE_NUMBER, role="eqa").user
    client.force_login(eqa)
    page = client.get(reverse("assessments:brief", args=[given.pk])).content.decode()
    assert extension.reason in page
    assert "Authorise an extension" not in page


def test_every_met_decision_rests_on_mapped_evidence_and_rpl_has_its_record(
    seeded: list[dict[str, str]],
) -> None:
    """Pearson BTEC specification, section 8: "The assessor needs to make a judgement against
    each criterion that evidence is present"; section 9, "Recognition of Prior Learning";
    section 8, "Authenticity of learner work" (the assessor's declaration), in the words of the
    qualification's awarding body where it has its own (Ascentis Appendix 2, L1398)."""
    from django.db.models import Exists, OuterRef

    from assessments.basis import authenticity_statement
    from assessments.models import AssessorRecord, Decision, UnitSignOff

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    met = Decision.objects.current().filter(registration__centre=centre, outcome="met")
    unfounded = met.annotate(
        founded=Exists(
            EvidenceCriterion.objects.filter(
                criterion=OuterRef("criterion"), evidence__decisions=OuterRef("pk")
            )
        )
    ).filter(founded=False)
    assert met.exists()
    assert not unfounded.exists()
    rpl = AssessorRecord.objects.get(evidence__registration__centre=centre, kind="rpl")
    assert rpl.account
    assert rpl.evidence.files.get().content_type == "application/pdf"
    by_rpl = met.filter(method="rpl")
    assert by_rpl.count() == 2
    assert all(list(d.evidence.all()) == [rpl.evidence] for d in by_rpl)
    signed = (
        UnitSignOff.objects.active()
        .filter(registration__centre=centre)
        .select_related("registration__qualification__awarding_body")
    )
    assert signed.exists()
    assert all(
        s.declaration == authenticity_statement(s.registration.qualification) for s in signed
    )


def test_the_demo_shows_each_kind_of_case_and_the_eqa_reads_them_all(
    seeded: list[dict[str, str]], client
) -> None:
    from certification.models import Case, ClaimHold

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    found = {
        case.kind: case
        for case in Case.objects.filter(registration__centre=centre).select_related(
            "registration__learner"
        )
    }
    assert set(found) == {"appeal", "reasonable_adjustment", "special_consideration", "malpractice"}
    appeal = found["appeal"]
    assert (appeal.status, appeal.stage) == ("open", "centre")
    assert appeal.due_on is not None
    assert [step.action for step in appeal.steps.all()] == ["raised", "decided", "escalated"]
    hold = ClaimHold.objects.get(case=appeal, released_at__isnull=True)
    assert f"case {appeal.pk}" in hold.describe()
    adjustment = found["reasonable_adjustment"]
    assert adjustment.outcome == "approved"
    assert adjustment.documents.count() == 1
    assert found["special_consideration"].status == "with_awarding_body"
    assert found["special_consideration"].ab_reference
    assert (found["malpractice"].status, found["malpractice"].outcome) == ("decided", "not_proven")

    client.force_login(User.objects.get(email="graham.lowe@demo.example"))
    listing = client.get(reverse("cases:cases")).content.decode()
    for case in found.values():
        assert case.title in listing
        page = client.get(reverse("cases:case", args=[case.pk]))
        assert page.status_code == 200
        assert "You read this case" in page.content.decode()


def test_the_staff_are_competent_with_a_trainee_countersigned_and_one_lapsing_soon(
    seeded: list[dict[str, str]],
) -> None:
    """Issue 17: the demo's assessors and IVs meet the requirements for the qualifications they
    work on; the trainee is countersigned by the qualified assessor; the verifier's occupational
    experience lapses within the warning window, so the warnings show."""
    from accounts.competence import competence_for, competence_table, warnings_for
    from accounts.models import StaffCredential
    from demo.centres import NORTHGATE

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    for registration in Registration.objects.filter(centre=centre).select_related("qualification"):
        for assessor in registration.assessors.all():
            assert competence_for(assessor, centre, registration.qualification, "assessor").ok
        if registration.internal_verifier:
            verifier = registration.internal_verifier
            assert competence_for(verifier, centre, registration.qualification, "iv").ok
    trainee = StaffCredential.objects.get(centre=centre, status="working_towards")
    assert trainee.countersigner.email == NORTHGATE.assessor.email
    qualification = Registration.objects.filter(centre=centre).first().qualification
    competence = competence_for(trainee.user, centre, qualification, "assessor")
    assert competence.ok
    assert competence.trainee
    warnings = warnings_for(competence_table(centre, [qualification]))
    assert any(NORTHGATE.verifier.full_name in warning for warning in warnings)


def test_the_admin_sees_the_learner_who_left_as_past_retention(
    seeded: list[dict[str, str]], client
) -> None:
    # Ascentis L279: 4 weeks after external verification (the EQA's visit 6 weeks ago).
    client.force_login(User.objects.get(email="helen.carter@demo.example"))
    page = client.get(reverse("certification:retention")).content.decode()
    assert 'data-testid="past-count">1 past retention.' in page
    assert "Mia Robinson" in page
    assert "Ascentis specification L279" in page
    assert "not stated — the centre must enter its period" in page


def test_the_admin_home_shows_ascentis_registrations_due_with_the_rule(
    seeded: list[dict[str, str]], client
) -> None:
    from html import unescape

    client.force_login(User.objects.get(email="helen.carter@demo.example"))
    page = unescape(client.get("/").content.decode())
    assert "Registration with the awarding body:" in page
    assert "Ascentis specification L249" in page
    assert Registration.objects.filter(awarding_body_registered_on__isnull=False).exists()


def test_a_registration_page_says_whether_its_body_allows_credit_transfer(
    seeded: list[dict[str, str]], client
) -> None:
    from html import unescape

    # Only SFJ's document allows it (section 2.8), and SFJ's qualification is closed: the demo's
    # Ascentis learners' pages give Ascentis's own words instead.
    registration = Registration.objects.filter(
        qualification__awarding_body__code="ASCENTIS", status="active"
    ).first()
    client.force_login(User.objects.get(email="helen.carter@demo.example"))
    page = unescape(
        client.get(reverse("portfolios:registration", args=[registration.pk])).content.decode()
    )
    assert "Ascentis does not let a centre transfer credit: Ascentis specification L193" in page


def test_the_demo_has_a_pearson_return_waiting_for_the_iv(
    seeded: list[dict[str, str]], client: Client
) -> None:
    # Pearson BTEC specification, section 8 "Issuing assessment decisions and feedback": the
    # information given to the learner "must be validated by an Internal Verifier before it is
    # given to the learner". The return waits in the IV's queue; the learner sees it submitted.
    from assessments.models import HeldReturn
    from demo.held_returns import TITLE

    held = (
        HeldReturn.objects.waiting()
        .select_related("evidence__registration")
        .get(evidence__title=TITLE, evidence__registration__centre__number=CENTRE_NUMBER)
    )
    assert held.evidence.status == EvidenceStatus.SUBMITTED
    client.force_login(held.evidence.registration.internal_verifier)
    queue = client.get(reverse("assessments:validation_queue")).content.decode()
    assert f'data-testid="return-{held.pk}"' in queue
    # Every other Pearson return in the demo was agreed before the learner resubmitted.
    assert not HeldReturn.objects.waiting().exclude(pk=held.pk).exists()


def test_the_demo_gives_each_picture_something_to_show(
    seeded: list[dict[str, str]], client: Client
) -> None:
    """Issue 18's pictures: criteria met over several weeks (demo/pictures.py), learners on
    track and behind, samples across both assessors, and a centre with registrations in more
    than one state."""
    from django.db.models import Count

    from assessments.models import Decision
    from demo.pictures import LOG_TITLE

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    logs = Evidence.objects.filter(registration__centre=centre, title=LOG_TITLE)
    assert logs.count() == 2
    for log in logs.select_related("registration__learner"):
        registration = log.registration
        days = (
            Decision.objects.current()
            .filter(registration=registration, outcome="met")
            .values("assessed_on")
            .annotate(n=Count("pk"))
        )
        assert days.count() >= 4
        client.force_login(registration.learner)
        page = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
        assert 'data-testid="timeline-table"' in page
        assert "Criteria met over time, by " in page

    assessor = User.objects.get(email="aisha.khan@demo.example")
    client.force_login(assessor)
    home = client.get("/").content.decode()
    glance = home.split('data-testid="glance-table"')[1].split("</table>")[0]
    assert "Behind" in glance
    assert "On track" in glance
    # Each group of the caseload picture has a learner (demo/overdue.py: one past their end).
    from home.caseload import caseload
    from home.caseload import glance as counted

    membership = Membership.objects.get(user=assessor, centre=centre, role="assessor")
    counts = counted(caseload(assessor, membership), timezone.localdate())
    assert counts["overdue"] >= 1
    assert counts["behind"] >= 1
    assert counts["on_track"] >= 1
    overdue = Registration.objects.get(
        centre=centre, assessors=assessor, planned_end_date__lt=timezone.localdate()
    )
    assert overdue.status == "active"
    assert overdue.learner.email in {login["email"] for login in seeded}

    from verification.models import SamplingPlan

    plans = SamplingPlan.objects.filter(strategy__centre=centre)
    assessors = {s.assessor_id for plan in plans for s in plan.samples.active()}
    assert len(assessors) >= 2

    client.force_login(User.objects.get(email="helen.carter@demo.example"))
    admin = client.get("/").content.decode()
    assert 'data-testid="overview-registrations"' in admin


def test_a_demo_apprentice_has_off_the_job_hours_in_every_state(
    seeded: list[dict[str, str]], client: Client
) -> None:
    """Issue 19, point 3 (demo/off_the_job.py): a learner on a qualification with a standard
    has weeks of hours, approved, waiting and one queried with its reason, on a page they and
    their assessor open."""
    from demo.employer_contact import BEHIND, ON_PLAN
    from demo.gateway import GATEWAY_LEARNER
    from portfolios.models import OffTheJobActivity

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    # The apprentice at the gateway (demo/gateway.py) has a year's hours, all approved; the one
    # behind and the one on plan (demo/employer_contact.py) only approved ones.
    entries = OffTheJobActivity.objects.filter(registration__centre=centre).exclude(
        registration__learner__full_name__in=[GATEWAY_LEARNER, BEHIND, ON_PLAN]
    )
    assert set(entries.values_list("status", flat=True)) == {"approved", "submitted", "queried"}
    assert entries.values("registration").distinct().count() == 1
    queried = entries.get(status="queried")
    registration = queried.registration
    entries = entries.filter(registration=registration)
    assert set(entries.values_list("status", flat=True)) == {"approved", "submitted", "queried"}
    assert queried.query_reason
    assert registration.qualification.standards.exists()
    assert registration.learner.email in {login["email"] for login in seeded}
    url = reverse("off_the_job:log", args=[registration.pk])
    client.force_login(registration.learner)
    page = client.get(url).content.decode()
    assert queried.query_reason[:40] in page
    client.force_login(registration.assessors.get())
    assert 'btn-success">Approve' in client.get(url).content.decode()


def test_the_demo_admin_sees_the_three_apprentices_with_their_hours(
    seeded: list[dict[str, str]], client: Client
) -> None:
    """Issue 19, point 6: the centre admin's cohort page lists the demo's three apprentices of
    Harbour Hotels Group (demo/apprenticeships.py), each with the approved off-the-job hours
    of their log and the planned hours of their programme record."""
    from django.db.models import Sum

    from portfolios.models import Apprenticeship, OffTheJobActivity

    [admin] = [login for login in seeded if login["role"] == "Centre admin"]
    client.force_login(User.objects.get(email=admin["email"]))

    response = client.get(reverse("cohort:page"))

    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert [row.apprentice for row in rows] == ["Chloe Walsh", "Daniel Hughes", "Hannah Price"]
    assert {row.employer for row in rows} == {"Harbour Hotels Group"}
    html = response.content.decode()
    for row in rows:
        record = Apprenticeship.objects.get(registration_id=row.registration_id)
        approved = (
            OffTheJobActivity.objects.filter(
                registration_id=row.registration_id, status="approved"
            ).aggregate(total=Sum("hours"))["total"]
            or 0
        )
        assert row.approved == approved
        assert row.planned_total == record.planned_otj_hours
        assert row.apprentice in html
    # The second has 40 hours of prior learning recognised: 278 less 40.
    assert [row.planned_total for row in rows] == [278, 238, 278]
    # The three states of issue 19's demo, each found by its filter: Hannah behind on hours,
    # Daniel's review overdue, Chloe ready for the gateway (her declaration waiting).
    for query, name in (
        ("behind=on", "Hannah Price"),
        ("review_overdue=on", "Daniel Hughes"),
        ("gateway_ready=on", "Chloe Walsh"),
    ):
        kept = client.get(reverse("cohort:page") + "?" + query).context["page_obj"]
        assert [row.apprentice for row in kept] == [name], query


def test_hannah_is_behind_on_hours_and_sarah_quinn_is_asked_for_testimony(
    seeded: list[dict[str, str]], client: Client
) -> None:
    """Issue 19, point 7 (demo/employer_contact.py): one apprentice behind on off-the-job hours,
    flagged on her log and on the employer contact's home; and testimony asked of the contact
    through her account, waiting on her home page."""
    from portfolios.off_the_job import hours_for

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    hannah = Registration.objects.get(
        centre=centre, learner__full_name="Hannah Price", apprenticeship__isnull=False
    )
    hours = hours_for([hannah])[hannah.pk]
    assert hours.approved > 0
    assert hours.behind
    contact = User.objects.get(email="sarah.quinn@harbourhotels.demo.example")
    client.force_login(hannah.learner)
    log = client.get(reverse("off_the_job:log", args=[hannah.pk])).content.decode()
    assert "Behind plan" in log

    client.force_login(contact)
    home = client.get("/").content.decode()
    table = home.split('data-testid="apprentices"', 1)[1].split("</table>", 1)[0]
    rows = {row.split("</th>", 1)[0]: row for row in table.split("<tr>")[2:]}
    [hannahs] = [row for name, row in rows.items() if "Hannah Price" in name]
    assert 'data-testid="behind"' in hannahs
    asked = WitnessRequest.objects.get(witness_user=contact, used_at__isnull=True)
    assert asked.registration.apprenticeship.employer.contacts.filter(user=contact).exists()
    assert 'data-testid="testimony-requested"' in home
    assert reverse("witness:testify", args=[asked.pk]) in home
    assert client.get(reverse("witness:testify", args=[asked.pk])).status_code == 200


def test_the_demo_apprentices_have_reviews_signed_and_one_overdue(
    seeded: list[dict[str, str]], client: Client
) -> None:
    """Issue 19, point 4 (demo/reviews.py): Chloe Walsh and Hannah Price have locked reviews
    within the interval; Daniel Hughes has none signed by all three, and is overdue."""
    from portfolios.models import ProgressReview, ReviewStatus
    from portfolios.reviews import reviews_due

    centre = Centre.objects.get(number=CENTRE_NUMBER)
    by_name = {
        registration.learner.full_name: registration
        for registration in Registration.objects.filter(
            centre=centre, apprenticeship__isnull=False
        ).select_related("learner")
    }
    assert {"Chloe Walsh", "Daniel Hughes", "Hannah Price"} <= set(by_name)
    due = reviews_due(by_name.values())
    for name in ("Chloe Walsh", "Hannah Price"):
        locked = ProgressReview.objects.filter(
            registration=by_name[name], status=ReviewStatus.LOCKED
        )
        assert locked.exists(), name
        assert not due[by_name[name].pk].overdue, name
        assert all(review.signatures.count() == 3 for review in locked)
    daniel = by_name["Daniel Hughes"]
    assert due[daniel.pk].overdue
    assert due[daniel.pk].last_signed is None
    [waiting] = ProgressReview.objects.filter(registration=daniel)
    assert waiting.status == ReviewStatus.SIGNING
    # The employer contact sees the flag on the list and signs for the employer.
    client.force_login(User.objects.get(email="sarah.quinn@harbourhotels.demo.example"))
    listed = client.get(reverse("reviews:list", args=[daniel.pk])).content.decode()
    assert 'data-testid="review-overdue"' in listed
    page = client.get(reverse("reviews:detail", args=[waiting.pk])).content.decode()
    assert 'data-testid="sign-employer"' in page
    assert "wellbeing or safeguarding concerns" not in page


def test_chloe_walsh_is_at_the_gateway_with_the_declaration_to_sign(
    seeded: list[dict[str, str]], client: Client
) -> None:
    """Issue 19, point 5 (demo/gateway.py): her checklist is all met through the services, and
    nobody has signed, so the apprentice, her employer's contact and the provider each find
    their button on the gateway page."""
    from assessments.gateway import readiness_for
    from portfolios.models import EndPointResult, GatewaySignature

    registration = Registration.objects.get(
        centre__number=CENTRE_NUMBER, learner__full_name="Chloe Walsh"
    )
    readiness = readiness_for([registration])[registration.pk]
    assert readiness.ready, [item.why for item in readiness.unmet]
    # Evidenced by her judged criteria, the rest with their gap named by her assessor.
    assert sum(1 for c in readiness.coverage if c.is_covered) > len(readiness.gaps) > 0
    assert not GatewaySignature.objects.filter(registration=registration).exists()
    assert not EndPointResult.objects.filter(registration=registration).exists()
    url = reverse("gateway:page", args=[registration.pk])
    contact = User.objects.get(email="sarah.quinn@harbourhotels.demo.example")
    admin = User.objects.get(email="helen.carter@demo.example")
    for user, party in (
        (registration.learner, "apprentice"),
        (contact, "employer"),
        (admin, "provider"),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert f'name="party" value="{party}"' in page, party
