"""Issue 18 (point 4): the register page adds a new learner and registers them in one form.

The adding is the people page's (accounts.services.person_add): an address known here gets the
role at once and is registered now; any other is invited, whether or not it has an account
elsewhere, and the invitation carries the registration, made when they accept.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Centre, Invitation, InvitationStatus, Membership, User
from accounts.services import invitation_accept, invitation_sign_up
from core.models import AuditEvent
from portfolios.models import Registration
from portfolios.services import RegistrationError, register_new_learner
from qualifications.models import Qualification
from tests.factories import CentreFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
ASCENTIS = "600/1686/3"  # minimum age 14
BARRED_A, BARRED_B = "A/601/6047", "R/601/6068"


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User
    elsewhere: User  # a learner at another centre: nothing of them may show here


@pytest.fixture
def world() -> World:
    centre = CentreFactory(name="Northgate")
    centre.qualifications.set(Qualification.objects.filter(number__in=[IMI, ASCENTIS]))
    return World(
        centre=centre,
        admin=member(centre, "admin"),
        learner=member(centre, "learner"),
        assessor=member(centre, "assessor"),
        iv=member(centre, "iv"),
        elsewhere=member(
            CentreFactory(name="Southgate"),
            "learner",
            full_name="Paula Private",
            email="paula@example.com",
        ),
    )


def qualification(number: str) -> Qualification:
    return Qualification.objects.get(number=number)


def new_learner(world: World, number: str = IMI, **extra: object) -> dict:
    """What the admin sends: step 1's answers with a new learner, then step 2's."""
    start = clock.today()
    return {
        "new_full_name": "Nina New",
        "new_email": "Nina@Example.com",
        "new_date_of_birth": "",
        "qualification": qualification(number).pk,
        "start_date": start.isoformat(),
        "planned_end_date": "",
        "awarding_body_number": "",
        **extra,
    }


def register(client: Client, data: dict, **kwargs: object):
    return client.post(reverse("centre:register"), data, **kwargs)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body)[1]


# ---------------------------------------------------------------- the service


def test_a_new_address_is_invited_and_the_invitation_carries_the_registration(
    world: World, django_capture_on_commit_callbacks
) -> None:
    start = clock.today()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = register_new_learner(
            actor=world.admin,
            centre=world.centre,
            full_name="Nina New",
            email=" Nina@Example.com ",
            qualification=qualification(IMI),
            start_date=start,
            assessors=[world.assessor],
            internal_verifier=world.iv,
        )

    assert isinstance(invitation, Invitation)
    assert (invitation.email, invitation.full_name, invitation.role) == (
        "nina@example.com",
        "Nina New",
        "learner",
    )
    [entry] = invitation.registrations
    assert entry["qualification"] == IMI
    assert entry["start_date"] == start.isoformat()
    assert entry["assessors"] == [world.assessor.pk]
    assert entry["internal_verifier"] == world.iv.pk
    assert not User.objects.filter(email="nina@example.com").exists()
    assert not Registration.objects.exists()
    assert len(mail.outbox) == 1
    actions = AuditEvent.objects.for_object(invitation).values_list("action", "actor")
    assert list(actions) == [
        ("invitation.sent", world.admin.pk),
        ("registration.invited", world.admin.pk),
    ]


def test_the_invited_learner_is_registered_when_they_sign_up(
    world: World, django_capture_on_commit_callbacks
) -> None:
    start = clock.today()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = register_new_learner(
            actor=world.admin,
            centre=world.centre,
            full_name="Nina New",
            email="nina@example.com",
            qualification=qualification(IMI),
            start_date=start,
            assessors=[world.assessor],
        )

    user, _ = invitation_sign_up(invitation=invitation, full_name="Nina New", password="x" * 12)

    registration = Registration.objects.get(learner=user)
    assert (registration.centre, registration.qualification.number) == (world.centre, IMI)
    assert registration.start_date == start
    assert list(registration.assessors.all()) == [world.assessor]
    assert registration.unit_choices.exists()  # the mandatory units, chosen on acceptance
    assert AuditEvent.objects.filter(action="registration.created", actor=world.admin).exists()


def test_someone_at_another_centre_is_invited_exactly_like_a_new_address(
    world: World, django_capture_on_commit_callbacks
) -> None:
    start = clock.today()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = register_new_learner(
            actor=world.admin,
            centre=world.centre,
            full_name="P. Typed",
            email="paula@example.com",
            qualification=qualification(IMI),
            start_date=start,
        )

    assert isinstance(invitation, Invitation)
    assert not world.elsewhere.memberships.filter(centre=world.centre).exists()
    assert not Registration.objects.exists()

    invitation_accept(user=world.elsewhere, invitation=invitation)

    assert Registration.objects.get().learner == world.elsewhere


def test_an_address_known_here_is_registered_at_once(world: World) -> None:
    start = clock.today()
    made = register_new_learner(
        actor=world.admin,
        centre=world.centre,
        full_name="Whatever Typed",
        email=world.assessor.email.upper(),
        qualification=qualification(IMI),
        start_date=start,
    )

    # person_add's rule: someone with a role here is known, and gets the learner role now.
    assert isinstance(made, Registration)
    assert made.learner == world.assessor
    assert Membership.objects.filter(user=world.assessor, role="learner").exists()
    assert not Invitation.objects.exists()


def test_an_ineligible_registration_sends_no_invitation(
    world: World, django_capture_on_commit_callbacks
) -> None:
    start = clock.today()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RegistrationError, match="minimum age of 14"),
    ):
        register_new_learner(
            actor=world.admin,
            centre=world.centre,
            full_name="Nina New",
            email="nina@example.com",
            qualification=qualification(ASCENTIS),
            start_date=start,
        )

    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_barred_pair_sends_no_invitation(world: World) -> None:
    start = clock.today()
    with pytest.raises(RegistrationError, match="cannot be taken with"):
        register_new_learner(
            actor=world.admin,
            centre=world.centre,
            full_name="Nina New",
            email="nina@example.com",
            date_of_birth=datetime.date(2000, 1, 1),
            qualification=qualification(ASCENTIS),
            start_date=start,
            unit_keys=[BARRED_A, BARRED_B],
        )

    assert not Invitation.objects.exists()


# ---------------------------------------------------------------- the page


def test_the_register_page_offers_a_new_learner_beside_the_picker(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    html = client.get(reverse("centre:register")).content.decode()

    assert 'name="learner_search"' in html
    assert 'name="new_full_name"' in html
    assert 'name="new_email"' in html
    assert 'method="post"' in html


def test_the_people_pages_add_a_person_links_to_the_one_step_form(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    html = client.get(reverse("centre:person_add")).content.decode()

    assert f'href="{reverse("centre:register")}"' in html
    assert "Add and register a new learner in one step" in html


def test_step_one_with_a_new_learner_goes_to_units_without_the_address_in_the_url(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    response = register(client, new_learner(world) | {"step": "units"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Step 2 of 2" in html
    assert "Register Nina New on 601/3456/2" in html
    assert 'name="new_email" value="nina@example.com"' in html
    assert "Invite and register" in html
    assert "nina" not in " ".join(re.findall(r'href="([^"]*)"', html)).lower()  # no link has it
    assert not Invitation.objects.exists()


def test_the_admin_invites_and_registers_in_one_form(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    start = clock.today()
    client.force_login(world.admin)
    data = new_learner(world) | {"assessors": [world.assessor.pk], "internal_verifier": world.iv.pk}

    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("centre:people")
    when = f"{start:%-d %B %Y}"
    assert messages_of(response) == [
        f"Invitation sent to Nina New (nina@example.com). Once they accept it they are "
        f"registered on {IMI} {qualification(IMI).title} starting {when}. Until then they are "
        "listed under invitations here."
    ]
    invitation = Invitation.objects.get()
    assert invitation.invited_by == world.admin
    assert invitation.registrations[0]["internal_verifier"] == world.iv.pk
    assert len(mail.outbox) == 1
    people = client.get(reverse("centre:people")).content.decode()
    assert "1 registration to be made when they accept" in people

    # The invitee's page says what accepting does; signing up makes the registration.
    page = Client().get(link_in(mail.outbox[0])).content.decode()
    assert f"Accepting registers you on\n    {IMI} starting {when}." in page


def test_the_reply_is_the_same_whether_or_not_the_address_has_an_account_elsewhere(
    world: World, django_capture_on_commit_callbacks
) -> None:
    replies = []
    for email in ("paula@example.com", "nobody@example.com"):
        client = Client()
        client.force_login(world.admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = register(client, new_learner(world, new_email=email))
        replies.append(
            (
                response.status_code,
                response["Location"],
                [text.replace(email, "ADDRESS") for text in messages_of(response)],
            )
        )

    assert replies[0] == replies[1]
    assert not world.elsewhere.memberships.filter(centre=world.centre).exists()
    assert "Paula Private" not in client.get(reverse("centre:people")).content.decode()


def test_an_address_known_here_is_registered_now_and_shown(client: Client, world: World) -> None:
    client.force_login(world.admin)

    response = register(client, new_learner(world, new_email=world.learner.email), follow=True)

    registration = Registration.objects.get()
    assert registration.learner == world.learner
    assert response.redirect_chain[-1][0] == reverse(
        "portfolios:registration", args=[registration.pk]
    )
    assert f"is registered on {IMI}" in response.content.decode()


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"new_full_name": ""}, "new_full_name", "Give the new learner&#x27;s full name."),
        ({"new_email": ""}, "new_email", "Give the new learner&#x27;s e-mail address"),
        ({"new_email": "not-an-address"}, "new_email", "Enter a valid email address."),
        (
            {"new_full_name": "", "new_email": ""},
            "learner",
            "Choose a learner here, or add a new learner",
        ),
    ],
)
def test_missing_or_bad_new_learner_details_are_refused_keeping_what_was_typed(
    client: Client, world: World, sent: dict, field: str, message: str
) -> None:
    client.force_login(world.admin)
    data = new_learner(world, awarding_body_number="AB-TYPED") | sent | {"step": "units"}

    response = register(client, data)

    html = response.content.decode()
    assert "Step 1 of 2" in html
    assert message in html
    assert f'id="id_{field}_error"' in html or f"#id_{field}" in html
    assert 'value="AB-TYPED"' in html
    for name in ("new_full_name", "new_email"):
        if data[name]:
            assert f'value="{data[name]}"' in html
    assert not Invitation.objects.exists()


def test_choosing_a_learner_here_and_a_new_one_is_refused(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = new_learner(world) | {"learner": world.learner.pk, "step": "units"}

    html = register(client, data).content.decode()

    assert "Choose a learner here or add a new learner, not both" in html
    assert 'value="Nina New"' in html
    # The final post is refused the same way, with nothing made.
    data.pop("step")
    assert "not both" in register(client, data).content.decode()
    assert not Invitation.objects.exists()
    assert not Registration.objects.exists()


def test_an_ineligible_new_learner_is_told_why_at_step_one(client: Client, world: World) -> None:
    client.force_login(world.admin)

    html = register(client, new_learner(world, ASCENTIS) | {"step": "units"}).content.decode()

    assert "has a minimum age of 14" in html
    assert "Step 1 of 2" in html
    assert 'value="Nina New"' in html


def test_a_date_of_birth_typed_for_the_new_learner_counts(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = new_learner(world, ASCENTIS, new_date_of_birth="2000-01-01") | {"step": "units"}

    html = register(client, data).content.decode()

    assert "Step 2 of 2" in html
    assert "born 1 January 2000" in html


def test_a_double_submit_sends_one_invitation_and_says_so(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.admin)
    data = new_learner(world, awarding_body_number="AB-TYPED")

    with django_capture_on_commit_callbacks(execute=True):
        register(client, data)
        second = register(client, data)

    html = second.content.decode()
    assert second.status_code == 400
    assert "already has an invitation waiting" in html
    assert "nothing was sent again" in html
    assert "Step 2 of 2" in html
    assert 'value="AB-TYPED"' in html
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.PENDING
    assert len(mail.outbox) == 1  # the first link still works
    assert list(AuditEvent.objects.for_object(invitation).values_list("action", flat=True)) == [
        "invitation.sent",
        "registration.invited",
    ]


def test_an_existing_learner_already_registered_is_refused_with_the_form_kept(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)
    register(client, new_learner(world, new_email=world.learner.email))

    response = register(client, new_learner(world, new_email=world.learner.email))

    assert "is already registered on 601/3456/2 here." in response.content.decode()
    assert 'value="Nina New"' in response.content.decode()
    assert Registration.objects.count() == 1


def test_change_these_goes_back_to_step_one_with_the_new_learner_filled_in(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    html = register(client, new_learner(world) | {"step": "change"}).content.decode()

    assert "Step 1 of 2" in html
    assert 'value="Nina New"' in html
    assert 'value="Nina@Example.com"' in html


@pytest.mark.parametrize("role", ["learner", "assessor", "iv", "eqa"])
def test_only_the_centre_admin_may_add_and_register(
    client: Client, world: World, role: str
) -> None:
    client.force_login(member(world.centre, role))

    assert register(client, new_learner(world)).status_code == 403
    assert register(client, new_learner(world) | {"step": "units"}).status_code == 403
    assert not Invitation.objects.exists()
