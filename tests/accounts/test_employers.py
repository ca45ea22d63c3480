"""Issue 19's foundation: employer organisations kept by a centre, and their contacts, who join
by invitation through the people area's one path (accounts.services.person_add)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from accounts.models import STAFF_ROLES, Employer, Invitation, Membership, Role, User
from accounts.services import (
    AccessError,
    employer_create,
    employer_update,
    invitation_accept,
    person_add,
    role_grant,
)
from core.models import AuditEvent
from tests.factories import CentreFactory, EmployerFactory, UserFactory, invite, member

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- the model and services


def test_an_employer_contact_is_not_staff() -> None:
    assert Role.EMPLOYER not in STAFF_ROLES
    assert Role("employer").label == "Employer contact"


def test_an_employer_is_added_once_per_centre_whatever_the_capitals() -> None:
    centre, other = CentreFactory(name="Northgate"), CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)

    acme = employer_create(actor=admin, centre=centre, name="  Acme   Retail ", phone="0161 1")

    assert acme.name == "Acme Retail"
    event = AuditEvent.objects.get(action="employer.created")
    assert (event.actor_id, event.centre_id) == (admin.pk, centre.pk)
    with pytest.raises(ValueError, match="Northgate already has an employer called ACME RETAIL"):
        employer_create(actor=admin, centre=centre, name="ACME RETAIL")
    # Another centre keeps its own record of the same company.
    assert employer_create(actor=None, centre=other, name="Acme Retail").centre == other
    # The database holds the line too, for a race the service's check did not see.
    with pytest.raises(IntegrityError):
        Employer.objects.create(centre=centre, name="acme retail")


def test_changing_an_employer_audits_the_fields_changed() -> None:
    employer = EmployerFactory(name="Acme")
    EmployerFactory(centre=employer.centre, name="Bolt")

    employer_update(actor=None, employer=employer, name="Acme", phone="0161 2")

    employer.refresh_from_db()
    assert employer.phone == "0161 2"
    assert AuditEvent.objects.get(action="employer.updated").data == {"fields": ["phone"]}
    with pytest.raises(ValueError, match="already has an employer called bolt"):
        employer_update(actor=None, employer=employer, name="bolt")


def test_an_employer_contact_must_name_one_of_the_centres_employers() -> None:
    centre, other = CentreFactory(), CentreFactory(name="Other")
    person = UserFactory()
    theirs = EmployerFactory(centre=other)

    with pytest.raises(AccessError, match="Choose the employer"):
        role_grant(actor=None, user=person, centre=centre, role=Role.EMPLOYER)
    with pytest.raises(AccessError, match="not one of"):
        role_grant(actor=None, user=person, centre=centre, role=Role.EMPLOYER, employer=theirs)
    with pytest.raises(AccessError, match="Only an employer contact"):
        role_grant(
            actor=None,
            user=person,
            centre=centre,
            role=Role.ASSESSOR,
            employer=EmployerFactory(centre=centre),
        )
    assert not Membership.objects.filter(user=person).exists()


def test_the_database_refuses_a_contact_without_an_employer_and_a_learner_with_one() -> None:
    centre = CentreFactory()
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=UserFactory(), centre=centre, role=Role.EMPLOYER)


def test_granted_again_with_another_employer_the_contact_moves() -> None:
    centre = CentreFactory()
    first, second = EmployerFactory(centre=centre), EmployerFactory(centre=centre)
    person = UserFactory()
    role_grant(actor=None, user=person, centre=centre, role=Role.EMPLOYER, employer=first)

    membership = role_grant(
        actor=None, user=person, centre=centre, role=Role.EMPLOYER, employer=second
    )

    assert membership.employer == second
    assert Membership.objects.filter(user=person).count() == 1


def test_an_invited_contact_accepts_and_speaks_for_the_employer_named() -> None:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    employer = EmployerFactory(centre=centre)

    invitation = person_add(
        actor=admin,
        centre=centre,
        email="Erin@Acme.example",
        full_name="Erin Employer",
        role=Role.EMPLOYER,
        employer=employer,
    )

    assert isinstance(invitation, Invitation)
    assert invitation.employer == employer
    erin = UserFactory(email="erin@acme.example")
    membership = invitation_accept(user=erin, invitation=invitation)
    assert (membership.role, membership.employer) == (Role.EMPLOYER, employer)
    assert (
        AuditEvent.objects.get(action="role.granted", object_id=str(membership.pk)).data["employer"]
        == employer.pk
    )


def test_employers_are_walled_by_centre() -> None:
    centre, other = CentreFactory(), CentreFactory()
    mine, another = EmployerFactory(centre=centre), EmployerFactory(centre=centre)
    elsewhere = EmployerFactory(centre=other)
    admin = member(centre, Role.CENTRE_ADMIN)
    contact = member(centre, Role.EMPLOYER, employer=mine)

    assert set(Employer.objects.visible_to(admin)) == {mine, another}
    assert set(Employer.objects.visible_to(contact)) == {mine}
    assert not contact.has_perm("accounts.change_employer", mine)
    assert not admin.has_perm("accounts.view_employer", elsewhere)
    assert elsewhere not in Employer.objects.manageable_by(admin)


# ---------------------------------------------------------------- the admin's pages


@pytest.fixture
def centre():
    return CentreFactory(name="Northgate")


@pytest.fixture
def admin(centre) -> User:
    return member(centre, Role.CENTRE_ADMIN)


def test_the_admin_adds_lists_and_edits_employers(client: Client, centre, admin: User) -> None:
    client.force_login(admin)

    page = client.get(reverse("centre:employers"))
    assert page.status_code == 200
    assert "No employers yet." in page.content.decode()
    added = client.post(
        reverse("centre:employer_add"),
        {"name": "Acme Retail", "phone": "0161 496 0000", "contact_email": "HR@acme.example"},
    )
    assert added.status_code == 302
    acme = Employer.objects.get(centre=centre)
    assert acme.contact_email == "hr@acme.example"
    listing = client.get(reverse("centre:employers")).content.decode()
    assert "Acme Retail" in listing
    assert "0161 496 0000" in listing

    edited = client.post(
        reverse("centre:employer_edit", args=[acme.pk]),
        {"name": "Acme Retail Group", "address": "1 High Street"},
    )
    assert edited.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.address, acme.phone) == ("Acme Retail Group", "1 High Street", "")


def test_a_second_employer_of_the_same_name_is_refused_keeping_what_was_typed(
    client: Client, centre, admin: User
) -> None:
    EmployerFactory(centre=centre, name="Acme Retail")
    client.force_login(admin)

    page = client.post(
        reverse("centre:employer_add"), {"name": "acme retail", "phone": "0161 496 0001"}
    )

    assert page.status_code == 400
    html = page.content.decode()
    assert "Northgate already has an employer called acme retail." in html
    assert 'value="0161 496 0001"' in html
    assert Employer.objects.filter(centre=centre).count() == 1


def test_another_centres_employer_is_not_found_and_others_may_not_manage(
    client: Client, centre, admin: User
) -> None:
    elsewhere = EmployerFactory()
    client.force_login(admin)
    assert client.get(reverse("centre:employer_edit", args=[elsewhere.pk])).status_code == 404

    for role in (Role.ASSESSOR, Role.LEARNER, Role.EMPLOYER):
        client.force_login(member(centre, role))
        assert client.get(reverse("centre:employers")).status_code == 403
        assert client.get(reverse("centre:employer_add")).status_code == 403


def test_the_employer_list_reads_the_same_queries_for_one_employer_or_five(
    client: Client, centre, admin: User, django_assert_num_queries
) -> None:
    client.force_login(admin)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("centre:employers")).status_code == 200
        return len(queries)

    employer = EmployerFactory(centre=centre)
    member(centre, Role.EMPLOYER, employer=employer)
    one = count()
    for _ in range(4):
        another = EmployerFactory(centre=centre)
        member(centre, Role.EMPLOYER, employer=another)
        member(centre, Role.EMPLOYER, employer=another)
    with django_assert_num_queries(one):
        client.get(reverse("centre:employers"))


def test_the_admin_invites_an_employer_contact_from_the_people_page(
    client: Client, centre, admin: User
) -> None:
    acme = EmployerFactory(centre=centre, name="Acme Retail")
    EmployerFactory(name="Elsewhere Ltd")  # another centre's: never offered
    client.force_login(admin)

    form = client.get(reverse("centre:person_add")).content.decode()
    assert "Acme Retail" in form
    assert "Elsewhere Ltd" not in form
    assert "Employer contact" in form

    missing = client.post(
        reverse("centre:person_add"),
        {"full_name": "Erin Employer", "email": "erin@acme.example", "role": "employer"},
    )
    assert missing.status_code == 400
    assert "Choose the employer this contact works for." in missing.content.decode()
    assert 'value="erin@acme.example"' in missing.content.decode()

    sent = client.post(
        reverse("centre:person_add"),
        {
            "full_name": "Erin Employer",
            "email": "erin@acme.example",
            "role": "employer",
            "employer": acme.pk,
        },
    )
    assert sent.status_code == 302
    invitation = Invitation.objects.get(email="erin@acme.example")
    assert invitation.employer == acme

    # Accepting makes the contact.
    erin = UserFactory(email="erin@acme.example")
    client.force_login(erin)
    client.post(reverse("invitations:accept", args=[invitation.pk]))
    membership = Membership.objects.get(user=erin)
    assert (membership.role, membership.employer) == (Role.EMPLOYER, acme)

    # The person page shows whom they speak for.
    client.force_login(admin)
    person = client.get(reverse("centre:person", args=[erin.pk])).content.decode()
    assert "Contact for Acme Retail" in person


def test_the_invitation_link_names_the_employer(client: Client, centre) -> None:
    acme = EmployerFactory(centre=centre, name="Acme Retail")
    invitation = invite(centre, "erin@acme.example", role=Role.EMPLOYER, employer=acme)

    html = client.get(reverse("invitations:respond", args=[invitation.token])).content.decode()

    assert "Employer contact" in html
    assert "Acme Retail" in html


def test_an_employer_from_another_centre_is_refused_on_the_people_page(
    client: Client, centre, admin: User
) -> None:
    elsewhere = EmployerFactory()
    client.force_login(admin)

    page = client.post(
        reverse("centre:person_add"),
        {
            "full_name": "Erin Employer",
            "email": "erin@acme.example",
            "role": "employer",
            "employer": elsewhere.pk,
        },
    )

    assert page.status_code == 400
    assert not Invitation.objects.exists()


def test_an_employer_contacts_home_has_their_apprentices_or_says_there_are_none(
    client: Client, centre
) -> None:
    acme = EmployerFactory(centre=centre, name="Acme Retail")
    client.force_login(member(centre, Role.EMPLOYER, employer=acme))

    page = client.get(reverse("home"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Retail's apprentices at Northgate" in html
    assert 'data-testid="no-apprentices"' in html
