"""Issue 19: an apprentice's employer contact is asked for testimony through their account, sees
it on their home and their Witness requests page, and signs it signed in, with the same signing
(content hash, audit events) as a witness by link; only their own apprentices', only theirs."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Centre, Membership, Role, User
from core.audit import verify_chain
from core.models import AuditEvent
from portfolios.apprenticeships import Programme, apprenticeship_save
from portfolios.evidence import EvidenceError, content_hash, submission_content
from portfolios.models import (
    EvidenceContext,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    WitnessRequest,
)
from portfolios.services import register_learner
from portfolios.witness import (
    WitnessLinkError,
    find_by_token,
    waiting_for,
    witness_request_create,
    witness_respond,
    witness_respond_as_contact,
)
from qualifications.models import AssessmentCriterion, Qualification, Standard
from tests.factories import CentreFactory, EmployerFactory, member
from tests.services import in_ci
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

NCFE = "601/3973/0"  # the Customer Service Practitioner standard's qualification
UNITS = ("F/506/2131",)  # CS 8: understand customers, 9 criteria; K2 and K14 map to some


@dataclass
class World:
    centre: Centre
    learner: User
    assessor: User
    contact: User
    other_contact: User  # a contact of another employer at the same centre
    registration: Registration


def make_apprentice(centre: Centre, employer: object, assessor: User, name: str) -> Registration:
    today = clock.today()
    registration = register_learner(
        actor=None,
        learner=member(centre, Role.LEARNER, full_name=name),
        centre=centre,
        qualification=Qualification.objects.get(number=NCFE),
        start_date=today - datetime.timedelta(days=120),
        unit_keys=UNITS,
        assessors=[assessor],
    )
    apprenticeship_save(
        actor=None,
        registration=registration,
        programme=Programme(
            employer=employer,  # type: ignore[arg-type]
            standard=Standard.objects.get(code="customer-service-practitioner"),
            standard_version="1.2",
            practical_start=today - datetime.timedelta(days=120),
            practical_planned_end=today + datetime.timedelta(days=280),
            minimum_otj_hours=Decimal("278"),
            epao_name="Highfield Assessment",
        ),
    )
    return registration


@pytest.fixture
def world() -> World:
    return build_world()


def build_world() -> World:
    centre = CentreFactory()
    centre.qualifications.add(Qualification.objects.get(number=NCFE))
    acme, bolt = EmployerFactory(centre=centre), EmployerFactory(centre=centre)
    assessor = member(centre, Role.ASSESSOR, full_name="Ada Assessor")
    registration = make_apprentice(centre, acme, assessor, "Priya Shah")
    return World(
        centre=centre,
        learner=registration.learner,
        assessor=assessor,
        contact=member(centre, Role.EMPLOYER, employer=acme, full_name="Sarah Quinn"),
        other_contact=member(centre, Role.EMPLOYER, employer=bolt, full_name="Otto Bolt"),
        registration=registration,
    )


def criteria_of(registration: Registration, count: int = 2) -> list[AssessmentCriterion]:
    found = list(
        AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit_id")
        ).order_by("unit__key", "position")[:count]
    )
    assert len(found) == count
    return found


def ask(world: World, contact: User | None = None, **changes: object) -> WitnessRequest:
    return witness_request_create(
        actor=changes.pop("actor", world.learner),  # type: ignore[arg-type]
        registration=changes.pop("registration", world.registration),  # type: ignore[arg-type]
        contact=contact or world.contact,
        witness_name="",
        witness_email="",
        job_title="Front of house manager",
        relationship="line manager",
        is_expert=False,
        activity="Handled a complaint at the front desk in March.",
        criteria=criteria_of(world.registration),
        **changes,  # type: ignore[arg-type]
    ).request


def signed_form() -> dict[str, str]:
    return {"testimony": "Priya calmed the guest.", "signed_name": "Sarah Quinn", "confirmed": "on"}


# ---------------------------------------------------------------- end to end


def test_the_learner_picks_their_employers_contact_who_signs_signed_in(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.learner)
    form = client.get(reverse("witness:request", args=[world.registration.pk])).content.decode()
    # Their own employer's contact is offered; another employer's is not.
    assert "Sarah Quinn" in form
    assert "Otto Bolt" not in form

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(
            reverse("witness:request", args=[world.registration.pk]),
            {
                "contact": world.contact.pk,
                "job_title": "Front of house manager",
                "relationship": "line manager",
                "activity": "Handled a complaint at the front desk in March.",
                "context": EvidenceContext.REAL_WORK_PAID,
                "criteria": [c.pk for c in criteria_of(world.registration)],
                "expires_in_days": 14,
            },
            follow=True,
        )

    assert "waits on their home page" in asked.content.decode()
    request = WitnessRequest.objects.get()
    assert (request.witness_user, request.witness_name) == (world.contact, "Sarah Quinn")
    assert request.witness_email == world.contact.email
    assert mail.outbox == []  # no link is sent to a contact
    listed = client.get(reverse("witness:list", args=[world.registration.pk])).content.decode()
    assert "Waiting for the employer contact, asked through their account" in listed

    client.force_login(world.contact)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="testimony-requested"' in home
    assert reverse("witness:testify", args=[request.pk]) in home
    listed = client.get(reverse("witness:asked")).content.decode()
    assert 'data-testid="witness-waiting"' in listed
    page = client.get(reverse("witness:testify", args=[request.pk]))
    assert page.status_code == 200
    assert "Handled a complaint" in page.content.decode()

    done = client.post(reverse("witness:testify", args=[request.pk]), signed_form(), follow=True)

    assert "Signed: your testimony is in Priya Shah" in done.content.decode()
    request.refresh_from_db()
    evidence = request.evidence
    assert evidence is not None
    assert evidence.status == EvidenceStatus.SUBMITTED
    assert evidence.method == EvidenceMethod.WITNESS
    assert evidence.created_by == world.learner
    assert set(evidence.criteria.all()) == set(request.criteria.all())
    assert request.signed_name == "Sarah Quinn"
    # The same signature as the link's: the hash of what was signed; the contact its actor.
    signed = AuditEvent.objects.for_object(evidence).get(action="witness.signed")
    assert signed.actor == world.contact
    assert signed.data["content_hash"] == content_hash(submission_content(evidence))
    responded = AuditEvent.objects.for_object(request).get(action="witness.responded")
    assert responded.actor == world.contact
    assert verify_chain() == []
    # Done: off the home page, listed as signed.
    assert 'data-testid="testimony-requested"' not in client.get(reverse("home")).content.decode()
    assert 'data-testid="witness-done"' in client.get(reverse("witness:asked")).content.decode()


def test_an_assessor_may_ask_the_contact_too(world: World) -> None:
    request = ask(world, actor=world.assessor)

    assert request.requested_by == world.assessor
    assert [asked.pk for asked in waiting_for(world.contact, world.centre.pk)] == [request.pk]


def test_the_home_pages_list_is_what_asked_of_gives_still_open_at_this_centre(
    world: World,
) -> None:
    """waiting_for (a query compiled once) lists what WitnessRequest.objects.asked_of(contact)
    gives at this centre, unused and unexpired, soonest to close first: not a used one, not an
    expired one, not one whose contact role has ended, with names as get_full_name gives."""
    from django.utils import timezone

    first, used, expired = ask(world), ask(world), ask(world)
    WitnessRequest.objects.filter(pk=used.pk).update(used_at=timezone.now())
    WitnessRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    sooner = ask(world)
    WitnessRequest.objects.filter(pk=sooner.pk).update(
        expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    expected = list(
        WitnessRequest.objects.asked_of(world.contact)
        .filter(
            registration__centre=world.centre,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )

    asked = waiting_for(world.contact, world.centre.pk)
    assert [a.pk for a in asked] == expected == [sooner.pk, first.pk]
    assert asked[0].learner == world.learner.get_full_name()
    assert asked[0].requested_by == sooner.requested_by.get_full_name()
    assert waiting_for(world.other_contact, world.centre.pk) == []
    assert waiting_for(world.contact, CentreFactory().pk) == []
    # The contact's role ends: nothing is asked of them any more.
    Membership.objects.filter(user=world.contact, role=Role.EMPLOYER).update(is_active=False)
    assert waiting_for(world.contact, world.centre.pk) == []


def test_the_e_mail_way_stays_for_anyone_else(client: Client, world: World) -> None:
    client.force_login(world.learner)

    refused = client.post(
        reverse("witness:request", args=[world.registration.pk]),
        {
            "job_title": "Chef",
            "relationship": "colleague",
            "activity": "Lunch service.",
            "context": EvidenceContext.REAL_WORK_PAID,
            "criteria": [c.pk for c in criteria_of(world.registration)],
            "expires_in_days": 14,
        },
    )

    # Without a contact, the witness's name and address are needed, as before.
    assert refused.status_code == 400
    assert refused.context["form"].errors.keys() == {"witness_name", "witness_email"}


# ---------------------------------------------------------------- only their own


def test_a_contact_of_another_employer_cannot_be_asked(world: World) -> None:
    with pytest.raises(EvidenceError, match="own employer"):
        ask(world, contact=world.other_contact)
    assert not WitnessRequest.objects.exists()


def test_a_forged_contact_in_the_form_is_refused(client: Client, world: World) -> None:
    client.force_login(world.learner)

    response = client.post(
        reverse("witness:request", args=[world.registration.pk]),
        {
            "contact": world.other_contact.pk,
            "job_title": "Manager",
            "relationship": "line manager",
            "activity": "Work.",
            "context": EvidenceContext.REAL_WORK_PAID,
            "criteria": [c.pk for c in criteria_of(world.registration)],
            "expires_in_days": 14,
        },
    )

    assert response.status_code == 400
    assert "contact" in response.context["form"].errors
    assert not WitnessRequest.objects.exists()


def test_no_contact_is_offered_for_a_learner_who_is_no_apprentice(
    client: Client, world: World
) -> None:
    today = clock.today()
    other = register_learner(
        actor=None,
        learner=member(world.centre, Role.LEARNER),
        centre=world.centre,
        qualification=Qualification.objects.get(number=NCFE),
        start_date=today,
        unit_keys=UNITS,
    )
    client.force_login(other.learner)

    form = client.get(reverse("witness:request", args=[other.pk])).context["form"]

    assert "contact" not in form.fields


def test_another_contact_cannot_see_or_sign_the_request(client: Client, world: World) -> None:
    request = ask(world)
    for stranger in (world.other_contact, world.learner, world.assessor):
        client.force_login(stranger)
        url = reverse("witness:testify", args=[request.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, signed_form()).status_code == 404
        with pytest.raises(EvidenceError, match="someone else"):
            witness_respond_as_contact(
                actor=stranger,
                witness_request=request,
                testimony="x",
                signed_name="x",
                confirmed=True,
            )
    request.refresh_from_db()
    assert request.used_at is None


def test_a_contact_whose_role_is_taken_away_can_no_longer_sign(
    client: Client, world: World
) -> None:
    request = ask(world)
    world.contact.memberships.update(is_active=False)
    client.force_login(world.contact)

    assert client.get(reverse("witness:testify", args=[request.pk])).status_code == 404
    with pytest.raises(EvidenceError):
        witness_respond_as_contact(
            actor=world.contact,
            witness_request=request,
            testimony="x",
            signed_name="x",
            confirmed=True,
        )


def test_no_link_opens_a_contacts_request(world: World) -> None:
    asked = witness_request_create(
        actor=world.learner,
        registration=world.registration,
        contact=world.contact,
        witness_name="",
        witness_email="",
        job_title="Manager",
        relationship="line manager",
        is_expert=False,
        activity="Work.",
        criteria=criteria_of(world.registration),
    )

    assert asked.token == ""
    assert find_by_token("") is None
    with pytest.raises(EvidenceError, match="not valid"):
        witness_respond(token="", testimony="x", signed_name="x", confirmed=True)


def test_only_employer_contacts_have_a_witness_requests_page(client: Client, world: World) -> None:
    for person in (world.learner, world.assessor):
        client.force_login(person)
        assert client.get(reverse("witness:asked")).status_code == 403


# ---------------------------------------------------------------- twice, and at once


def test_a_second_submission_says_it_is_signed_and_makes_no_second_evidence(
    client: Client, world: World
) -> None:
    request = ask(world)
    client.force_login(world.contact)
    url = reverse("witness:testify", args=[request.pk])
    client.post(url, signed_form())

    again = client.post(url, signed_form(), follow=True)

    assert "already been signed" in again.content.decode()
    assert WitnessRequest.objects.get().evidence is not None
    assert world.registration.evidence.filter(method=EvidenceMethod.WITNESS).count() == 1


def test_the_service_refuses_a_used_request(world: World) -> None:
    request = ask(world)
    witness_respond_as_contact(
        actor=world.contact, witness_request=request, testimony="x", signed_name="S", confirmed=True
    )

    with pytest.raises(WitnessLinkError) as refused:
        witness_respond_as_contact(
            actor=world.contact,
            witness_request=request,
            testimony="y",
            signed_name="S",
            confirmed=True,
        )
    assert refused.value.state == "used"


@pytest.mark.django_db(transaction=True)
def test_two_signatures_at_once_make_one_evidence(catalogue: None) -> None:
    """The request's row is locked first: the second waits, then finds it used."""
    if connection.vendor != "postgresql":
        if in_ci():
            pytest.fail("this concurrency test must run on PostgreSQL in CI")
        pytest.skip("needs PostgreSQL's row locks and concurrent transactions")
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    made = build_world()
    request = ask(made)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign() -> None:
        barrier.wait()
        try:
            witness_respond_as_contact(
                actor=made.contact,
                witness_request=request,
                testimony="Calm and clear.",
                signed_name="Sarah Quinn",
                confirmed=True,
            )
            outcomes.append("signed")
        except WitnessLinkError as error:
            outcomes.append(error.state)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["signed", "used"]
    assert made.registration.evidence.filter(method=EvidenceMethod.WITNESS).count() == 1


# ---------------------------------------------------------------- queries


def test_the_contacts_pages_cost_the_same_queries_however_many_requests(
    client: Client, world: World
) -> None:
    client.force_login(world.contact)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    ask(world)
    one = {url: count(url) for url in (reverse("home"), reverse("witness:asked"))}
    for name in ("Ben Two", "Cleo Three"):
        registration = make_apprentice(
            world.centre,
            world.contact.memberships.get().employer,
            world.assessor,
            name,
        )
        ask(world, registration=registration, actor=registration.learner)
    witness_respond_as_contact(
        actor=world.contact,
        witness_request=WitnessRequest.objects.order_by("pk").first(),
        testimony="x",
        signed_name="S",
        confirmed=True,
    )

    assert {url: count(url) for url in one} == one
