from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import (
    CompetenceRecord,
    Invitation,
    LearnerProfile,
    Membership,
    StaffCredential,
    User,
)
from core.models import AuditEvent
from tests.factories import CentreFactory, member
from tests.support.centre_world import World, centre_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return centre_world()


@pytest.fixture
def as_admin(client: Client, world: World) -> Client:
    client.force_login(world.admin)
    return client


def person_url(person: User) -> str:
    return reverse("centre:person", args=[person.pk])


# ---------------------------------------------------------------- who may use the pages


@pytest.mark.parametrize("name", ["centre:people", "centre:person_add"])
def test_the_centre_pages_need_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["learner", "assessor", "iv", "eqa"])
@pytest.mark.parametrize("name", ["centre:people", "centre:person_add"])
def test_people_who_are_not_centre_admins_get_403(
    client: Client, world: World, role: str, name: str
) -> None:
    client.force_login(member(world.centre, role))

    assert client.get(reverse(name)).status_code == 403


def test_someone_without_any_role_gets_403(client: Client, user: User) -> None:
    client.force_login(user)

    assert client.get(reverse("centre:people")).status_code == 403


def test_an_admin_working_in_another_role_gets_403(client: Client, world: World) -> None:
    Membership.objects.create(user=world.admin, centre=CentreFactory(), role="learner")
    learner_role = world.admin.memberships.get(role="learner")
    client.force_login(world.admin)
    client.post(reverse("switch_role"), {"membership": learner_role.pk})

    assert client.get(reverse("centre:people")).status_code == 403


# ---------------------------------------------------------------- the people list


def test_the_people_list_shows_everyone_at_the_centre_with_their_roles(
    as_admin: Client, world: World
) -> None:
    elsewhere = member(CentreFactory(), "learner", full_name="Olga Otherplace")

    html = as_admin.get(reverse("centre:people")).content.decode()

    assert "Lena Learner" in html
    assert "Arthur Assessor" in html
    assert "Internal verifier" in html
    assert escape(elsewhere.full_name) not in html
    assert "4 people" in html
    assert f'href="{person_url(world.learner)}"' in html


def test_the_people_list_searches_by_name_and_email(as_admin: Client, world: World) -> None:
    by_name = as_admin.get(reverse("centre:people"), {"q": "lena"}).content.decode()
    by_email = as_admin.get(reverse("centre:people"), {"q": world.iv.email}).content.decode()

    assert "Lena Learner" in by_name
    assert "Arthur Assessor" not in by_name
    assert "Ivy Verifier" in by_email
    assert "Lena Learner" not in by_email


def test_the_people_list_marks_a_role_taken_away(as_admin: Client, world: World) -> None:
    Membership.objects.filter(user=world.assessor).update(is_active=False)

    html = as_admin.get(reverse("centre:people")).content.decode()

    assert "Assessor (ended)" in html


def test_the_people_list_comes_25_a_page(as_admin: Client, world: World) -> None:
    for _ in range(30):
        member(world.centre, "learner")

    first = as_admin.get(reverse("centre:people")).content.decode()
    second = as_admin.get(reverse("centre:people"), {"page": 2}).content.decode()

    assert "Page 1 of 2" in first
    assert len(re.findall(r'href="/centre/people/\d+/"', first)) == 25
    assert "Page 2 of 2" in second


def test_the_people_list_costs_the_same_for_3_or_30_people(
    as_admin: Client, world: World, django_assert_num_queries
) -> None:
    url = reverse("centre:people")
    as_admin.get(url)

    # One of them lists the invitations awaiting an answer; six warn of the staff's lapsing
    # competence (issue 17: the qualifications, staff, credentials and records).
    with django_assert_num_queries(13) as small:
        as_admin.get(url)
    for _ in range(26):
        member(world.centre, "assessor")
    with django_assert_num_queries(len(small.captured_queries)):
        as_admin.get(url)


# ---------------------------------------------------------------- one person


def test_the_person_page_shows_roles_and_learner_details(as_admin: Client, world: World) -> None:
    html = as_admin.get(person_url(world.learner)).content.decode()

    assert "Lena Learner" in html
    assert "Learner details" in html
    assert LearnerProfile.objects.get(user=world.learner).uln in html
    assert "Assessor and verifier qualifications" not in html


def test_the_person_page_of_staff_lists_credentials_and_competence(
    as_admin: Client, world: World
) -> None:
    StaffCredential.objects.create(
        user=world.assessor,
        centre=world.centre,
        kind="assessor",
        title="Level 3 Certificate in Assessing Vocational Achievement",
        status="held",
        levels=["2", "3"],
    )

    html = as_admin.get(person_url(world.assessor)).content.decode()

    assert "Level 3 Certificate in Assessing Vocational Achievement" in html
    assert "2, 3" in html
    assert "Occupational competence and CPD" in html
    assert "Learner details" not in html


def test_another_centres_admin_gets_404_for_a_person(client: Client, world: World) -> None:
    client.force_login(member(CentreFactory(), "admin"))

    assert client.get(person_url(world.learner)).status_code == 404
    response = client.post(reverse("centre:role_grant", args=[world.learner.pk]), {"role": "admin"})
    assert response.status_code == 404
    assert not world.learner.memberships.filter(role="admin").exists()


def test_the_admin_gives_a_role(as_admin: Client, world: World) -> None:
    response = as_admin.post(
        reverse("centre:role_grant", args=[world.learner.pk]), {"role": "assessor"}, follow=True
    )

    assert world.learner.memberships.filter(role="assessor", is_active=True).exists()
    assert "Lena Learner is now assessor." in response.content.decode()
    assert AuditEvent.objects.filter(action="role.granted").exists()


def test_an_eqa_role_needs_an_expiry_date(as_admin: Client, world: World) -> None:
    url = reverse("centre:role_grant", args=[world.iv.pk])

    refused = as_admin.post(url, {"role": "eqa"})
    as_admin.post(url, {"role": "eqa", "expires_on": "2030-01-31"})

    assert refused.status_code == 400
    assert "External quality assurers need an expiry date" in refused.content.decode()
    assert world.iv.memberships.get(role="eqa").expires_on == datetime.date(2030, 1, 31)


def test_the_admin_takes_a_role_away(as_admin: Client, world: World) -> None:
    membership = world.assessor.memberships.get()

    response = as_admin.post(
        reverse("centre:role_revoke", args=[world.assessor.pk, membership.pk]), follow=True
    )

    membership.refresh_from_db()
    assert not membership.is_active
    assert "is no longer assessor." in response.content.decode()


def test_a_role_at_another_centre_cannot_be_taken_away(as_admin: Client, world: World) -> None:
    other = Membership.objects.create(user=world.assessor, centre=CentreFactory(), role="iv")

    response = as_admin.post(reverse("centre:role_revoke", args=[world.assessor.pk, other.pk]))

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_the_admin_edits_the_learner_profile(as_admin: Client, world: World) -> None:
    response = as_admin.post(
        reverse("centre:profile", args=[world.learner.pk]),
        {
            "uln": "1234567890",
            "date_of_birth": "2001-02-03",
            "phone": "01234 567890",
            "address": "1 High Street",
            "employer": "Acme Motors",
            "employer_contact_name": "Eve Employer",
            "employer_contact_email": "eve@acme.example",
            "employer_contact_phone": "",
        },
        follow=True,
    )

    profile = LearnerProfile.objects.get(user=world.learner)
    assert profile.uln == "1234567890"
    assert profile.date_of_birth == datetime.date(2001, 2, 3)
    assert profile.employer_contact_name == "Eve Employer"
    assert "Learner details saved." in response.content.decode()
    event = AuditEvent.objects.get(action="learner_profile.updated")
    assert "employer" in event.data["fields"]


def test_a_uln_is_ten_digits(as_admin: Client, world: World) -> None:
    response = as_admin.post(reverse("centre:profile", args=[world.learner.pk]), {"uln": "12ab"})

    assert response.status_code == 400
    assert "A unique learner number is 10 digits." in response.content.decode()


def test_only_a_learner_here_has_learner_details(as_admin: Client, world: World) -> None:
    response = as_admin.post(
        reverse("centre:profile", args=[world.assessor.pk]), {"uln": "1234567890"}, follow=True
    )

    assert "is not a learner at Northgate Training." in response.content.decode()
    assert not LearnerProfile.objects.filter(user=world.assessor).exists()


def test_the_admin_adds_a_credential_once_even_if_submitted_twice(
    as_admin: Client, world: World
) -> None:
    url = reverse("centre:credential_add", args=[world.assessor.pk])
    data = {
        "credential-kind": "assessor",
        "credential-title": "Level 3 Award in Assessing Competence",
        "credential-status": "working_towards",
        "credential-deadline": "2027-06-30",
        "credential-levels": ["2", "3"],
        # Issue 17: a trainee's start (SFJ's 18 months) and countersigning colleague.
        "credential-started_on": "2026-01-05",
        "credential-countersigner": world.iv.pk,
    }

    first = as_admin.post(url, data, follow=True)
    as_admin.post(url, data)

    credential = StaffCredential.objects.get(user=world.assessor, status="working_towards")
    assert credential.levels == ["2", "3"]
    assert credential.deadline == datetime.date(2027, 6, 30)
    assert "Credential added." in first.content.decode()
    assert AuditEvent.objects.filter(action="credential.added").count() == 1


def test_a_credential_worked_towards_needs_a_deadline(as_admin: Client, world: World) -> None:
    response = as_admin.post(
        reverse("centre:credential_add", args=[world.assessor.pk]),
        {
            "credential-kind": "assessor",
            "credential-title": "TAQA",
            "credential-status": "working_towards",
        },
    )

    assert response.status_code == 400
    assert "Give the date by which it must be achieved." in response.content.decode()
    assert not StaffCredential.objects.filter(title="TAQA").exists()


def test_learners_have_no_credentials(as_admin: Client, world: World) -> None:
    response = as_admin.post(
        reverse("centre:credential_add", args=[world.learner.pk]),
        {"credential-kind": "assessor", "credential-title": "TAQA", "credential-status": "held"},
    )

    assert response.status_code == 403


def test_the_admin_adds_a_cpd_record_once_even_if_submitted_twice(
    as_admin: Client, world: World
) -> None:
    url = reverse("centre:competence_add", args=[world.iv.pk])
    data = {
        "record-kind": "cpd",
        "record-date": "2026-03-01",
        "record-activity": "Standardisation meeting",
        "record-hours": "2.5",
    }

    response = as_admin.post(url, data, follow=True)
    as_admin.post(url, data)

    record = CompetenceRecord.objects.get(user=world.iv, kind="cpd")
    assert str(record.hours) == "2.5"
    assert "Record added." in response.content.decode()
    assert "Standardisation meeting" in response.content.decode()


def test_a_cpd_record_needs_a_date_and_an_activity(as_admin: Client, world: World) -> None:
    response = as_admin.post(
        reverse("centre:competence_add", args=[world.iv.pk]), {"record-kind": "cpd"}
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not CompetenceRecord.objects.filter(kind="cpd").exists()


# ---------------------------------------------------------------- adding a person


def test_adding_a_new_address_invites_them_to_choose_a_password(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("centre:person_add"),
            {"full_name": "Nia Newcomer", "email": "Nia@Example.com", "role": "learner"},
            follow=True,
        )

    # Nothing of the person exists until they accept.
    assert not User.objects.filter(email="nia@example.com").exists()
    assert "An invitation to join Northgate Training as learner" in response.content.decode()
    assert "Nia Newcomer" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nia@example.com"]
    link = re.search(r"https?://[^/]+(/invitations/\S+/)", mail.outbox[0].body)[1]

    client.logout()
    client.post(
        link,
        {
            "full_name": "Nia Newcomer",
            "password1": "a-long-new-pass-42",
            "password2": "a-long-new-pass-42",
        },
    )

    person = User.objects.get(email="nia@example.com")
    assert person.check_password("a-long-new-pass-42")
    assert person.memberships.get().role == "learner"


def test_adding_an_address_with_an_account_elsewhere_only_invites_it(
    as_admin: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    existing = member(CentreFactory(), "assessor", email="known@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # a double submit as well
            as_admin.post(
                reverse("centre:person_add"),
                {"full_name": "Someone Else", "email": "KNOWN@example.com", "role": "iv"},
            )

    assert User.objects.filter(email__iexact="known@example.com").count() == 1
    assert not existing.memberships.filter(centre=world.centre).exists()
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("known@example.com", "iv")
    # The second submit sent the one invitation again, with a new link.
    assert len(mail.outbox) == 2


def test_adding_an_eqa_needs_an_expiry_date(as_admin: Client) -> None:
    response = as_admin.post(
        reverse("centre:person_add"),
        {"full_name": "Eric Eqa", "email": "eric@example.com", "role": "eqa"},
    )

    assert "External quality assurers need an expiry date" in response.content.decode()
    assert not User.objects.filter(email="eric@example.com").exists()


def test_adding_needs_a_valid_address(as_admin: Client) -> None:
    response = as_admin.post(
        reverse("centre:person_add"),
        {"full_name": "X", "email": "not-an-address", "role": "learner"},
    )

    assert "Enter a valid email address." in response.content.decode()
