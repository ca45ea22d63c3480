"""Invitations: adding someone who is not yet at the centre, and their answer."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Invitation, InvitationStatus, Membership, User
from core.models import AuditEvent
from qualifications.models import Qualification
from tests.factories import DEFAULT_PASSWORD, CentreFactory, UserFactory, invite, member

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-new-pass-42"


@dataclass
class World:
    home: Centre  # where the existing person already works
    other: Centre  # the centre whose admin invites them
    person: User
    home_admin: User
    other_admin: User


@pytest.fixture
def world() -> World:
    home, other = CentreFactory(name="Home Centre"), CentreFactory(name="Other Centre")
    person = member(home, "assessor", full_name="Paula Private", email="paula@example.com")
    return World(
        home=home,
        other=other,
        person=person,
        home_admin=member(home, "admin"),
        other_admin=member(other, "admin", full_name="Olive Admin"),
    )


def _add(client: Client, email: str, full_name: str, role: str = "assessor", **extra: str):
    return client.post(
        reverse("centre:person_add"),
        {"full_name": full_name, "email": email, "role": role, **extra},
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body)[1]


def _actions(invitation: Invitation) -> list[str]:
    return list(AuditEvent.objects.for_object(invitation).values_list("action", flat=True))


# ---------------------------------------------------------------- adding a person


def test_adding_someone_from_another_centre_invites_them_and_attaches_nothing(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.other_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = _add(client, "PAULA@example.com", "P. Typed")

    assert response.status_code == 302
    assert response["Location"] == reverse("centre:people")
    assert not world.person.memberships.filter(centre=world.other).exists()
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.full_name, invitation.role) == (
        "paula@example.com",
        "P. Typed",
        "assessor",
    )
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.invited_by == world.other_admin
    assert len(mail.outbox) == 1
    assert "already have an account" in mail.outbox[0].body
    assert _actions(invitation) == ["invitation.sent"]


def test_the_reply_is_the_same_whether_or_not_the_address_has_an_account(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    replies = []
    for email in ("paula@example.com", "nobody@example.com"):
        client = Client()  # a fresh session each time, so no message carries over
        client.force_login(world.other_admin)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = _add(client, email, "Typed Name")
        replies.append(
            (
                response.status_code,
                response["Location"],
                [text.replace(email, "ADDRESS") for text in _messages(response)],
                len(mail.outbox),
            )
        )

    assert replies[0] == replies[1]
    assert replies[0][3] == 1
    assert not User.objects.filter(email="nobody@example.com").exists()
    assert "Paula Private" not in client.get(reverse("centre:people")).content.decode()


def test_the_two_emails_differ_only_for_their_reader(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invite(world.other, "paula@example.com", actor=world.other_admin)
        invite(world.other, "new@example.com", actor=world.other_admin)

    existing, new = mail.outbox
    assert existing.subject == new.subject == "Invitation to join Other Centre on the e-portfolio"
    assert "Sign in and accept" in existing.body
    assert "Choose a password to join" in new.body
    assert "Olive Admin has invited you" in new.body


@pytest.mark.parametrize("active", [True, False])
def test_someone_already_at_the_centre_gets_the_role_at_once(
    client: Client, world: World, active: bool, django_capture_on_commit_callbacks
) -> None:
    Membership.objects.filter(user=world.person).update(is_active=active)
    client.force_login(world.home_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = _add(client, "paula@example.com", "Paula", role="iv")

    assert response["Location"] == reverse("centre:person", args=[world.person.pk])
    assert world.person.memberships.get(centre=world.home, role="iv").is_active
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_adding_the_same_person_again_resends_the_one_invitation(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.other_admin)
    with django_capture_on_commit_callbacks(execute=True):
        _add(client, "paula@example.com", "First Typing")
        _add(client, "paula@example.com", "Second Typing")

    invitation = Invitation.objects.get()
    assert invitation.full_name == "Second Typing"
    assert _actions(invitation) == ["invitation.sent", "invitation.resent"]
    first, second = (_link(message) for message in mail.outbox)
    client.force_login(world.person)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_an_eqa_invitation_needs_an_expiry_date_like_a_grant(client: Client, world: World) -> None:
    client.force_login(world.other_admin)

    response = _add(client, "eqa@example.com", "Eve Eqa", role="eqa")

    assert "External quality assurers need an expiry date" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_eqa_invitation_carries_the_access_end_and_qualifications(
    world: World, catalogue: None
) -> None:
    imi = Qualification.objects.get(number="601/3456/2")
    world.other.qualifications.add(imi)
    until = datetime.date.today() + datetime.timedelta(days=60)
    invitation = invite(
        world.other, "paula@example.com", role="eqa", expires_on=until, qualifications=[imi]
    )

    from accounts.services import invitation_accept

    membership = invitation_accept(user=world.person, invitation=invitation)

    assert membership.expires_on == until
    assert list(membership.qualifications.all()) == [imi]


# ---------------------------------------------------------------- another centre's admin


PAGES = ["person", "role_grant", "profile", "credential_add", "competence_add"]


def _visit(client: Client, page: str, person: User) -> int:
    url = reverse(f"centre:{page}", args=[person.pk])
    return (client.get(url) if page == "person" else client.post(url, {})).status_code


def _answer(world: World, invitation: Invitation, state: str) -> None:
    from accounts.services import invitation_accept, invitation_decline, invitation_withdraw

    if state == "accepted":
        invitation_accept(user=world.person, invitation=invitation)
    elif state == "declined":
        invitation_decline(user=world.person, invitation=invitation)
    elif state == "withdrawn":
        invitation_withdraw(actor=world.other_admin, invitation=invitation)
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )


@pytest.mark.parametrize(
    "state", ["none", "pending", "accepted", "declined", "expired", "withdrawn"]
)
def test_another_centres_admin_reaches_the_person_only_once_they_accept(
    client: Client, world: World, state: str
) -> None:
    if state != "none":
        invitation = invite(world.other, "paula@example.com", role="assessor", full_name="Typed")
        _answer(world, invitation, state)
    client.force_login(world.other_admin)
    home_role = world.person.memberships.get(centre=world.home)

    statuses = {page: _visit(client, page, world.person) for page in PAGES}
    revoke = client.post(reverse("centre:role_revoke", args=[world.person.pk, home_role.pk]))
    people = client.get(reverse("centre:people")).content.decode()

    assert revoke.status_code == 404  # a role at the home centre is never theirs to change
    if state == "accepted":
        # Reached: the empty forms are refused (400) or redirected, never hidden.
        assert 404 not in statuses.values(), statuses
        assert "Paula Private" in people
        assert world.person.memberships.filter(centre=world.other, is_active=True).count() == 1
    else:
        assert statuses == dict.fromkeys(PAGES, 404)
        assert "Paula Private" not in people
        assert not world.person.memberships.filter(centre=world.other).exists()
    assert home_role.__class__.objects.get(pk=home_role.pk).is_active


def test_the_people_page_lists_invitations_by_what_the_admin_typed(
    client: Client, world: World
) -> None:
    pending = invite(world.other, "paula@example.com", full_name="Typed Paula")
    declined = invite(world.other, "dan@example.com", full_name="Typed Dan")
    expired = invite(world.other, "ed@example.com", full_name="Typed Ed")
    old = invite(world.other, "old@example.com", full_name="Typed Old")
    _answer(world, expired, "expired")
    from accounts.services import invitation_decline, invitation_withdraw

    invitation_decline(user=UserFactory(email="dan@example.com"), invitation=declined)
    invitation_withdraw(actor=None, invitation=old)
    Invitation.objects.filter(pk=old.pk).update(
        responded_at=timezone.now() - datetime.timedelta(days=31)
    )
    client.force_login(world.other_admin)

    html = client.get(reverse("centre:people")).content.decode()

    assert "Typed Paula" in html
    assert "Paula Private" not in html
    assert "Typed Dan" in html
    assert "Declined" in html
    assert "Typed Ed" in html
    assert "Expired" in html
    assert "Typed Old" not in html
    assert reverse("centre:invitation_resend", args=[pending.pk]) in html
    assert reverse("centre:invitation_withdraw", args=[pending.pk]) in html
    assert reverse("centre:invitation_withdraw", args=[declined.pk]) not in html


def test_the_admin_resends_and_the_old_link_stops_working(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    invitation = invite(world.other, "paula@example.com")
    old_token = invitation.token
    _answer(world, invitation, "expired")
    client.force_login(world.other_admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("centre:invitation_resend", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert invitation.is_open
    assert len(mail.outbox) == 1
    client.force_login(world.person)
    assert client.get(reverse("invitations:respond", args=[old_token])).status_code == 404
    assert client.get(_link(mail.outbox[0])).status_code == 200
    assert _actions(invitation) == ["invitation.sent", "invitation.resent"]


def test_the_admin_withdraws_and_the_link_then_says_so(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    client.force_login(world.other_admin)

    client.post(reverse("centre:invitation_withdraw", args=[invitation.pk]))

    client.force_login(world.person)
    page = client.get(reverse("invitations:respond", args=[invitation.token]))
    assert "The centre has withdrawn this invitation." in page.content.decode()
    client.post(reverse("invitations:accept", args=[invitation.pk]))
    assert not world.person.memberships.filter(centre=world.other).exists()
    assert _actions(invitation) == ["invitation.sent", "invitation.withdrawn"]


def test_another_centres_admin_cannot_resend_or_withdraw(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    client.force_login(world.home_admin)

    for name in ("centre:invitation_resend", "centre:invitation_withdraw"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# ---------------------------------------------------------------- the invitee's answer


def test_the_link_shows_the_centre_the_role_who_invited_and_the_deadline(
    client: Client, world: World
) -> None:
    invitation = invite(world.other, "new@example.com", role="iv", actor=world.other_admin)

    html = client.get(reverse("invitations:respond", args=[invitation.token])).content.decode()

    assert "Other Centre" in html
    assert "Internal verifier" in html
    assert "Olive Admin" in html
    assert f"{invitation.expires_at:%Y}" in html
    assert 'value="Invited Person"' in html  # the name as the admin typed it


def test_a_new_address_chooses_a_password_joins_and_is_signed_in(
    client: Client, world: World
) -> None:
    invitation = invite(world.other, "new@example.com", role="learner")
    url = reverse("invitations:respond", args=[invitation.token])

    weak = client.post(url, {"full_name": "Nia New", "password1": "123", "password2": "123"})
    assert weak.status_code == 400
    assert not User.objects.filter(email="new@example.com").exists()

    done = client.post(
        url,
        {
            "full_name": "Nia New",
            "password1": "a-long-new-pass-42",
            "password2": "a-long-new-pass-42",
        },
    )

    assert done["Location"] == reverse("home")
    person = User.objects.get(email="new@example.com")
    assert person.full_name == "Nia New"
    assert person.check_password("a-long-new-pass-42")
    assert person.memberships.get().centre == world.other
    assert client.session["_auth_user_id"] == str(person.pk)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", person)
    assert _actions(invitation) == ["invitation.sent", "invitation.accepted"]
    assert AuditEvent.objects.filter(action="role.granted", centre_id=world.other.pk).exists()
    # The link has done its work: the account now signs in, and then hears so.
    assert Client().get(url)["Location"].startswith(reverse("login"))
    assert "already been accepted" in client.get(url).content.decode()


def test_an_existing_account_is_sent_to_sign_in_first(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    url = reverse("invitations:respond", args=[invitation.token])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_signed_in_as_someone_else_nothing_changes(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    client.force_login(world.home_admin)

    page = client.get(reverse("invitations:respond", args=[invitation.token]))
    accept = client.post(reverse("invitations:accept", args=[invitation.pk]))

    assert page.status_code == 403
    assert "This invitation was sent to paula@example.com" in page.content.decode()
    assert accept.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(centre=world.other, user=world.home_admin).exists()


def test_someone_signed_in_cannot_take_a_new_address_invitation(
    client: Client, world: World
) -> None:
    invitation = invite(world.other, "new@example.com")
    client.force_login(world.person)

    response = client.post(
        reverse("invitations:respond", args=[invitation.token]),
        {"full_name": "X", "password1": "a-long-new-pass-42", "password2": "a-long-new-pass-42"},
    )

    assert response.status_code == 403
    assert not User.objects.filter(email="new@example.com").exists()


def test_accepting_twice_makes_one_membership(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    client.force_login(world.person)

    first = client.post(reverse("invitations:accept", args=[invitation.pk]))
    second = client.post(reverse("invitations:accept", args=[invitation.pk]))

    assert first["Location"] == second["Location"] == reverse("home")
    assert world.person.memberships.filter(centre=world.other).count() == 1
    assert "already been accepted" in _messages(second)[-1]
    assert _actions(invitation) == ["invitation.sent", "invitation.accepted"]


def test_accepting_switches_to_the_new_role(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    client.force_login(world.person)

    client.post(reverse("invitations:accept", args=[invitation.pk]))

    html = client.get(reverse("home")).content.decode()
    assert "Learner at Other Centre" in html


def test_declining_leaves_no_membership_and_cannot_be_undone(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    client.force_login(world.person)

    client.post(reverse("invitations:decline", args=[invitation.pk]))
    client.post(reverse("invitations:accept", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not world.person.memberships.filter(centre=world.other).exists()
    assert _actions(invitation) == ["invitation.sent", "invitation.declined"]


def test_an_expired_invitation_changes_nothing(client: Client, world: World) -> None:
    invitation = invite(world.other, "paula@example.com")
    _answer(world, invitation, "expired")
    client.force_login(world.person)

    page = client.get(reverse("invitations:respond", args=[invitation.token]))
    client.post(reverse("invitations:accept", args=[invitation.pk]))
    client.post(reverse("invitations:decline", args=[invitation.pk]))

    assert "This invitation has expired" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not world.person.memberships.filter(centre=world.other).exists()


def test_an_unknown_link_says_it_no_longer_works(client: Client) -> None:
    response = client.get(reverse("invitations:respond", args=["not-a-token"]))

    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


def test_only_the_hash_of_the_token_is_stored(world: World) -> None:
    invitation = invite(world.other, "paula@example.com")

    stored = Invitation.objects.filter(pk=invitation.pk).values()[0]
    assert invitation.token not in str(stored)


def test_the_home_page_lists_open_invitations_with_accept_and_decline(
    client: Client, world: World
) -> None:
    open_one = invite(world.other, "paula@example.com")
    expired = invite(CentreFactory(name="Late Centre"), "paula@example.com")
    _answer(world, expired, "expired")
    invite(CentreFactory(name="Someone Else's"), "other@example.com")
    client.force_login(world.person)

    html = client.get(reverse("home")).content.decode()

    assert reverse("invitations:accept", args=[open_one.pk]) in html
    assert reverse("invitations:decline", args=[open_one.pk]) in html
    assert "Late Centre" not in html
    assert "Someone Else" not in html


def test_the_home_pages_invitations_are_those_addressed_to_the_person_and_open(
    world: World,
) -> None:
    """home.roles.open_invitations (a query compiled once) gives what the ORM's
    addressed_to(user).open() gives, with the centre and inviter loaded: the open ones only,
    soonest to expire first, whatever the case of the address."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from home.roles import open_invitations

    later = invite(world.other, "paula@example.com")
    sooner = invite(CentreFactory(name="Sooner"), "PAULA@example.com")
    Invitation.objects.filter(pk=sooner.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    _answer(world, invite(CentreFactory(name="Late Centre"), "paula@example.com"), "expired")
    invite(CentreFactory(name="Someone Else's"), "other@example.com")
    expected = [
        (i.pk, i.centre.name, i.invited_by_id)
        for i in Invitation.objects.addressed_to(world.person).open().order_by("expires_at")
    ]

    with CaptureQueriesContext(connection) as queries:
        found = open_invitations(world.person)
        assert [(i.pk, i.centre.name, i.invited_by and i.invited_by.pk) for i in found] == expected
    assert [i.pk for i in found] == [sooner.pk, later.pk]
    assert len(queries) == 1


def test_a_person_with_no_role_yet_sees_their_invitation_at_home(client: Client) -> None:
    person = UserFactory(email="loner@example.com")
    invitation = invite(CentreFactory(name="First Centre"), "loner@example.com")
    client.force_login(person)

    html = client.get(reverse("home")).content.decode()

    assert "First Centre" in html
    assert reverse("invitations:accept", args=[invitation.pk]) in html


def test_an_invitation_is_pending_once_per_centre_address_and_role(world: World) -> None:
    from django.db import IntegrityError, transaction

    invitation = invite(world.other, "paula@example.com")
    duplicate = Invitation.objects.get(pk=invitation.pk)
    duplicate.pk = None
    duplicate.token_hash = "0" * 64

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_an_answered_invitation_does_not_block_a_new_one(world: World) -> None:
    from accounts.services import invitation_decline

    invitation_decline(user=world.person, invitation=invite(world.other, "paula@example.com"))

    again = invite(world.other, "paula@example.com")

    assert Invitation.objects.count() == 2
    assert again.is_open


# ---------------------------------------------------------------- create_centre


def test_create_centre_makes_the_centre_and_prints_the_admins_link(
    client: Client, catalogue: None, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://portfolio.example.org/"
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_centre",
            "--name=Southfield College",
            "--number=80123",
            "--admin-email=Head@Southfield.example",
            "--admin-name=Pat Head",
            "--qualification=601/3456/2",
            stdout=out,
        )

    centre = Centre.objects.get(number="80123")
    assert centre.name == "Southfield College"
    assert list(centre.qualifications.values_list("number", flat=True)) == ["601/3456/2"]
    invitation = Invitation.objects.get(centre=centre)
    assert (invitation.email, invitation.role, invitation.full_name) == (
        "head@southfield.example",
        "admin",
        "Pat Head",
    )
    link = re.search(r"https://portfolio\.example\.org(/invitations/\S+/)", out.getvalue())[1]
    assert len(mail.outbox) == 1
    done = client.post(
        link,
        {
            "full_name": "Pat Head",
            "password1": "a-long-new-pass-42",
            "password2": "a-long-new-pass-42",
        },
    )
    assert done["Location"] == reverse("home")
    assert User.objects.get(email="head@southfield.example").memberships.get().role == "admin"
    assert AuditEvent.objects.filter(action="centre.created", centre_id=centre.pk).exists()


def test_create_centre_is_idempotent_on_the_number(catalogue: None) -> None:
    for _ in range(2):
        call_command(
            "create_centre",
            "--name=Southfield College",
            "--number=80123",
            "--admin-email=head@southfield.example",
            "--all-qualifications",
            stdout=StringIO(),
        )

    centre = Centre.objects.get(number="80123")
    assert centre.qualifications.count() == Qualification.objects.count()
    assert Invitation.objects.filter(centre=centre, status="pending").count() == 1


def test_create_centre_without_site_url_prints_a_local_link(catalogue: None, settings) -> None:
    settings.SITE_URL = ""
    out = StringIO()

    call_command(
        "create_centre", "--name=A", "--number=1", "--admin-email=a@example.com", stdout=out
    )

    assert "http://127.0.0.1:8000/invitations/" in out.getvalue()


def test_create_centre_says_when_the_admin_is_already_there(catalogue: None) -> None:
    centre = CentreFactory(number="80123")
    admin = member(centre, "admin", email="head@southfield.example")
    out = StringIO()

    call_command(
        "create_centre", "--name=X", "--number=80123", "--admin-email=" + admin.email, stdout=out
    )

    assert "already a centre admin there" in out.getvalue()
    assert not Invitation.objects.exists()


def test_create_centre_refuses_an_unknown_qualification(catalogue: None) -> None:
    with pytest.raises(CommandError, match="Not in the catalogue: 999/9999/9"):
        call_command(
            "create_centre",
            "--name=X",
            "--number=1",
            "--admin-email=a@example.com",
            "--qualification=999/9999/9",
        )
    assert not Centre.objects.exists()


def test_the_signed_in_password_still_works_after_accepting(client: Client, world: World) -> None:
    # Accepting adds a role; it never touches the account's password or name.
    invitation = invite(world.other, "paula@example.com", full_name="Someone Typed")
    client.force_login(world.person)
    client.post(reverse("invitations:accept", args=[invitation.pk]))

    world.person.refresh_from_db()
    assert world.person.check_password(DEFAULT_PASSWORD)
    assert world.person.full_name == "Paula Private"
