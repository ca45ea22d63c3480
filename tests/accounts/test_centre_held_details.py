"""What a centre keeps about a person belongs to that centre (issue 14).

Two centres, A and B; Pat learns at both and Sam works at both. A's admin records Pat's ULN,
date of birth, phone and employer, and Sam's credentials and CPD. B's admin, whose centre Pat
and Sam also belong to, never reads or changes any of it; B keeps its own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import (
    Centre,
    CompetenceRecord,
    LearnerProfile,
    Role,
    StaffCredential,
    User,
)
from accounts.services import (
    competence_record_add,
    credential_add,
    learner_profile_update,
    role_grant,
)
from certification import claims, summaries
from core.models import AuditEvent
from portfolios.services import check_eligibility
from qualifications.models import Qualification
from tests.certification.claim_cases import learner_on, make_centre
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.django_db

# Issue 17: this module counts the credentials and records it makes; no default ones
# (tests/conftest.py).
OWN_COMPETENCE = True
ASCENTIS = "600/1686/3"  # minimum age 14
A_ULN = "9990001111"
A_BORN = datetime.date(1988, 2, 29)
A_PHONE = "07700 111222"
A_EMPLOYER = "Aardvark Motors Ltd"
A_CREDENTIAL = "Level 3 Award in Assessing Competence, Alder copy"
A_CPD = "Brake systems update day at Aardvark"


@dataclass
class World:
    a: Centre
    b: Centre
    admin_a: User
    admin_b: User
    pat: User  # a learner at A, then at B
    sam: User  # an assessor at A, then at B


@pytest.fixture
def world() -> World:
    a, b = CentreFactory(name="Alder College"), CentreFactory(name="Birch Training")
    admin_a, admin_b = member(a, Role.CENTRE_ADMIN), member(b, Role.CENTRE_ADMIN)
    pat = member(a, Role.LEARNER, full_name="Pat Both")
    sam = member(a, Role.ASSESSOR, full_name="Sam Both")
    learner_profile_update(
        actor=admin_a,
        user=pat,
        centre=a,
        uln=A_ULN,
        date_of_birth=A_BORN,
        phone=A_PHONE,
        employer=A_EMPLOYER,
    )
    credential_add(
        actor=admin_a,
        user=sam,
        centre=a,
        kind=StaffCredential.Kind.ASSESSOR,
        title=A_CREDENTIAL,
        status=StaffCredential.Status.HELD,
    )
    competence_record_add(
        actor=admin_a,
        user=sam,
        centre=a,
        kind=CompetenceRecord.Kind.CPD,
        date=datetime.date(2025, 4, 3),
        activity=A_CPD,
    )
    # They join B afterwards, the way an invitation will: a role granted at B.
    role_grant(actor=admin_b, user=pat, centre=b, role=Role.LEARNER)
    role_grant(actor=admin_b, user=sam, centre=b, role=Role.ASSESSOR)
    return World(a=a, b=b, admin_a=admin_a, admin_b=admin_b, pat=pat, sam=sam)


def page(client: Client, person: User) -> str:
    response = client.get(reverse("centre:person", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


A_STRINGS = [
    A_ULN,
    A_BORN.isoformat(),
    A_BORN.strftime("%d/%m/%Y"),
    A_PHONE,
    A_EMPLOYER,
    A_CREDENTIAL,
    A_CPD,
]


def test_joining_a_second_centre_starts_an_empty_profile_there(world: World) -> None:
    at_b = LearnerProfile.objects.get(user=world.pat, centre=world.b)

    assert (at_b.uln, at_b.date_of_birth, at_b.phone, at_b.employer) == ("", None, "", "")
    assert LearnerProfile.objects.get(user=world.pat, centre=world.a).uln == A_ULN


def test_another_centres_admin_sees_none_of_what_this_centre_keeps(
    client: Client, world: World
) -> None:
    client.force_login(world.admin_b)

    html = page(client, world.pat) + page(client, world.sam)

    assert "Learner details" in html
    assert "Assessor and verifier qualifications" in html
    for value in A_STRINGS:
        assert value not in html


def test_the_centre_that_keeps_the_details_still_sees_them(client: Client, world: World) -> None:
    client.force_login(world.admin_a)

    html = page(client, world.pat) + page(client, world.sam)

    for value in (A_ULN, A_BORN.isoformat(), A_PHONE, A_EMPLOYER, A_CREDENTIAL, A_CPD):
        assert value in html


def test_saving_the_profile_at_one_centre_changes_only_that_centres_record(
    client: Client, world: World
) -> None:
    client.force_login(world.admin_b)

    response = client.post(
        reverse("centre:profile", args=[world.pat.pk]),
        {"uln": "1231231231", "date_of_birth": "2001-06-30", "employer": "Birch Garage"},
    )

    assert response.status_code == 302
    at_b = LearnerProfile.objects.get(user=world.pat, centre=world.b)
    assert (at_b.uln, at_b.date_of_birth, at_b.employer, at_b.phone) == (
        "1231231231",
        datetime.date(2001, 6, 30),
        "Birch Garage",
        "",
    )
    at_a = LearnerProfile.objects.get(user=world.pat, centre=world.a)
    assert (at_a.uln, at_a.date_of_birth, at_a.employer, at_a.phone) == (
        A_ULN,
        A_BORN,
        A_EMPLOYER,
        A_PHONE,
    )
    event = AuditEvent.objects.filter(action="learner_profile.updated").last()
    assert event is not None
    assert event.centre_id == world.b.pk
    assert event.object_id == str(at_b.pk)


def test_credentials_and_competence_records_are_kept_per_centre(
    client: Client, world: World
) -> None:
    client.force_login(world.admin_b)

    response = client.post(
        reverse("centre:credential_add", args=[world.sam.pk]),
        {
            "credential-kind": "assessor",
            "credential-title": "TAQA at Birch",
            "credential-status": "held",
            "credential-achieved_on": "2024-01-10",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("centre:competence_add", args=[world.sam.pk]),
        {"record-kind": "cpd", "record-date": "2025-05-05", "record-activity": "Birch CPD"},
    )

    assert list(StaffCredential.objects.at(world.b).values_list("title", flat=True)) == [
        "TAQA at Birch"
    ]
    assert list(StaffCredential.objects.at(world.a).values_list("title", flat=True)) == [
        A_CREDENTIAL
    ]
    assert list(CompetenceRecord.objects.at(world.b).values_list("activity", flat=True)) == [
        "Birch CPD"
    ]
    html_b = page(client, world.sam)
    assert "TAQA at Birch" in html_b
    assert "Birch CPD" in html_b
    client.force_login(world.admin_a)
    html_a = page(client, world.sam)
    assert "TAQA at Birch" not in html_a
    assert "Birch CPD" not in html_a
    added = AuditEvent.objects.filter(action__in=["credential.added", "competence.added"])
    assert {(e.action, e.centre_id) for e in added} == {
        ("credential.added", world.a.pk),
        ("competence.added", world.a.pk),
        ("credential.added", world.b.pk),
        ("competence.added", world.b.pk),
    }


def test_eligibility_at_a_centre_rests_on_its_own_date_of_birth(
    catalogue: None, world: World
) -> None:
    ascentis = Qualification.objects.get(number=ASCENTIS)
    world.a.qualifications.add(ascentis)
    world.b.qualifications.add(ascentis)

    def problems_at(centre: Centre) -> list[str]:
        return check_eligibility(
            learner=world.pat,
            centre=centre,
            qualification=ascentis,
            start_date=datetime.date(2025, 9, 1),
        )

    assert problems_at(world.a) == []
    assert problems_at(world.b) == [
        f"{ASCENTIS} has a minimum age of 14: record the learner's date of birth first."
    ]
    learner_profile_update(
        actor=world.admin_b,
        user=world.pat,
        centre=world.b,
        date_of_birth=datetime.date(2013, 1, 1),
    )
    assert problems_at(world.b) == [
        f"The learner is 12 on the start date; {ASCENTIS} has a minimum age of 14."
    ]
    assert problems_at(world.a) == []


def test_an_import_is_checked_against_this_centres_record_only(
    catalogue: None, client: Client, world: World
) -> None:
    world.b.qualifications.add(Qualification.objects.get(number="601/3456/2"))
    row = f"{world.pat.email},Pat Both,1234567890,2001-04-12,601/3456/2,2026-09-01,,,,,"
    header = (
        "email,full_name,uln,date_of_birth,qualification,start_date,planned_end_date,"
        "awarding_body_number,optional_units,assessor_email,iv_email"
    )
    upload = SimpleUploadedFile(
        "learners.csv", f"{header}\n{row}\n".encode(), content_type="text/csv"
    )
    client.force_login(world.admin_b)

    response = client.post("/centre/import/", {"file": upload}, follow=True)

    html = response.content.decode()
    assert "Imported at Birch Training: 1 registration made now." in html
    assert "already recorded" not in html
    for value in A_STRINGS:
        assert value not in html
    at_b = LearnerProfile.objects.get(user=world.pat, centre=world.b)
    assert (at_b.uln, at_b.date_of_birth) == ("1234567890", datetime.date(2001, 4, 12))
    at_a = LearnerProfile.objects.get(user=world.pat, centre=world.a)
    assert (at_a.uln, at_a.date_of_birth) == (A_ULN, A_BORN)


def test_a_claim_from_a_centre_carries_its_own_learner_details_never_anothers(
    catalogue: None,
) -> None:
    """The claim file and its summary print the ULN and date of birth the claiming centre
    holds (here none) even when another centre holds some for the same person."""
    where = make_centre()
    registration = learner_on(where, uln="")
    learner = registration.learner
    elsewhere = CentreFactory()
    admin_elsewhere = member(elsewhere, Role.CENTRE_ADMIN)
    role_grant(actor=admin_elsewhere, user=learner, centre=elsewhere, role=Role.LEARNER)
    learner_profile_update(
        actor=admin_elsewhere,
        user=learner,
        centre=elsewhere,
        uln=A_ULN,
        date_of_birth=A_BORN,
    )
    # The claiming centre holds no profile at all: nothing to fall back on, least of all A's.
    LearnerProfile.objects.filter(user=learner, centre=where.centre).delete()
    lines = claims.add_to_claim(
        actor=where.admin, centre_id=where.centre.pk, items=[(registration.pk, None)]
    )
    batch = lines[0].batch

    # A draft's summary reads today's details: the claiming centre's.
    assert [row["uln"] for row in summaries.gather_summary(batch)["lines"]] == [""]
    claims.export_batch(actor=where.admin, batch=batch)
    text = "".join(claims.export_rows(batch))

    assert "Lima,Ana" in text
    assert A_ULN not in text
    assert A_BORN.strftime("%d/%m/%Y") not in text
    assert A_BORN.isoformat() not in text
    line = batch.lines.get()
    assert (line.uln, line.date_of_birth) == ("", None)


def test_the_claim_file_carries_the_claiming_centres_uln(catalogue: None) -> None:
    where = make_centre()
    registration = learner_on(where, uln="1234567890")
    elsewhere = CentreFactory()
    role_grant(actor=None, user=registration.learner, centre=elsewhere, role=Role.LEARNER)
    learner_profile_update(actor=None, user=registration.learner, centre=elsewhere, uln=A_ULN)
    lines = claims.add_to_claim(
        actor=where.admin, centre_id=where.centre.pk, items=[(registration.pk, None)]
    )
    claims.export_batch(actor=where.admin, batch=lines[0].batch)

    text = "".join(claims.export_rows(lines[0].batch))

    assert "1234567890" in text
    assert A_ULN not in text
