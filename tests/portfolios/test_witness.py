from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Role, User
from core.audit import verify_chain
from core.models import AuditEvent
from portfolios.evidence import EvidenceError, content_hash, submission_content
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    WitnessRequest,
)
from portfolios.services import register_learner, withdraw
from portfolios.witness import (
    find_by_token,
    link_state,
    token_hash,
    witness_request_create,
    witness_respond,
)
from qualifications.models import AssessmentCriterion, Qualification
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
LINK = re.compile(r"http://testserver(/portfolio/witness/respond/[A-Za-z0-9_-]+/)")


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    other_assessor: User
    iv: User
    other_learner: User
    registration: Registration
    other_registration: Registration


def _register(centre: Centre, admin: User, learner: User, **kwargs: object) -> Registration:
    return register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=Qualification.objects.get(number=IMI),
        start_date=datetime.date.today(),
        **kwargs,
    )


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    centre.qualifications.add(Qualification.objects.get(number=IMI))
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Priya Shah")
    other_learner = member(centre, Role.LEARNER, full_name="Ben Other")
    assessor = member(centre, Role.ASSESSOR, full_name="Ada Assessor")
    other_assessor = member(centre, Role.ASSESSOR, full_name="Otto Assessor")
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = _register(centre, admin, learner, assessors=[assessor], internal_verifier=iv)
    other = _register(centre, admin, other_learner, assessors=[other_assessor])
    return World(
        centre, admin, learner, assessor, other_assessor, iv, other_learner, registration, other
    )


def criteria_of(registration: Registration, count: int = 3) -> list[AssessmentCriterion]:
    found = list(
        AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit_id")
        ).order_by("unit__key", "position")
    )
    assert len(found) >= count
    return found[:count]


def ask_form(world: World, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "witness_name": "Grace Supervisor",
        "witness_email": "grace@garage.example",
        "job_title": "Workshop supervisor",
        "relationship": "line manager",
        "activity": "Replacing brake pads on a customer's car in March.",
        "context": EvidenceContext.REAL_WORK_PAID,
        "criteria": [c.pk for c in criteria_of(world.registration, 2)],
        "expires_in_days": 14,
    }
    data.update(changes)
    return data


def ask(world: World, actor: User | None = None, **changes: object):
    return witness_request_create(
        actor=actor or world.learner,
        registration=world.registration,
        witness_name="Grace Supervisor",
        witness_email="grace@garage.example",
        job_title="Workshop supervisor",
        relationship="line manager",
        is_expert=bool(changes.pop("is_expert", False)),
        activity="Replacing brake pads.",
        criteria=changes.pop("criteria", criteria_of(world.registration, 2)),
        **changes,
    )


def respond_url(token: str) -> str:
    return reverse("witness:respond", args=[token])


# ---------------------------------------------------------------- end to end


def test_a_learner_asks_a_witness_who_answers_by_the_emailed_link(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("witness:request", args=[world.registration.pk]), ask_form(world)
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("witness:list", args=[world.registration.pk])
    request = WitnessRequest.objects.get()
    assert request.requested_by == world.learner
    assert request.expires_at.date() == (timezone.now() + datetime.timedelta(days=14)).date()
    assert [m.to for m in mail.outbox] == [["grace@garage.example"]]
    message = mail.outbox[0]
    assert "Priya Shah" in message.subject
    path = LINK.search(message.body).group(1)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    # Only the token's hash is kept.
    assert request.token_hash == token_hash(token)
    assert token not in request.token_hash
    assert not WitnessRequest.objects.filter(token_hash=token).exists()

    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Witness testimony for Priya" in html
    assert "Shah" not in html  # the first name only
    assert world.registration.qualification.title in html
    assert "Replacing brake pads on a customer&#x27;s car in March." in html
    for criterion in request.criteria.all():
        assert criterion.text.replace("'", "&#x27;") in html

    done = client.post(
        path,
        {"testimony": "Priya fitted new pads safely.", "signed_name": "Grace S", "confirmed": "on"},
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("witness:thanks")
    assert client.get(done["Location"]).status_code == 200
    request.refresh_from_db()
    evidence = request.evidence
    assert evidence is not None
    assert evidence.registration == world.registration
    assert evidence.status == EvidenceStatus.SUBMITTED
    assert evidence.submitted_at is not None
    assert evidence.method == EvidenceMethod.WITNESS
    assert evidence.context == EvidenceContext.REAL_WORK_PAID
    assert evidence.created_by == world.learner
    assert evidence.description == "Priya fitted new pads safely."
    assert set(evidence.criteria.all()) == set(request.criteria.all())
    assert request.signed_name == "Grace S"
    assert request.used_at is not None
    assert request.testimony == "Priya fitted new pads safely."
    # The witness's signature is theirs, not a learner's declaration.
    assert not hasattr(evidence, "declaration")
    signed = AuditEvent.objects.for_object(evidence).get(action="witness.signed")
    assert signed.actor is None
    assert signed.data["signed_name"] == "Grace S"
    assert signed.data["content_hash"] == content_hash(submission_content(evidence))
    assert verify_chain() == []

    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert "Priya" not in again.content.decode()


def test_an_assessor_of_the_registration_may_ask_for_an_expert_witness(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.assessor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("witness:request", args=[world.registration.pk]),
            ask_form(
                world,
                is_expert="on",
                expert_competence="Workshop supervisor since 2018.",
                context=EvidenceContext.REAL_WORK_VOLUNTARY,
            ),
        )
    assert response.status_code == 302
    token = LINK.search(mail.outbox[0].body).group(1).rstrip("/").rsplit("/", 1)[-1]

    evidence = witness_respond(
        token=token, testimony="Competent.", signed_name="Grace", confirmed=True
    )

    assert evidence.method == EvidenceMethod.EXPERT_WITNESS
    assert evidence.context == EvidenceContext.REAL_WORK_VOLUNTARY
    assert evidence.created_by == world.assessor
    assert evidence.title == "Expert witness testimony from Grace Supervisor"


def test_the_request_page_lists_the_registrations_criteria_in_fieldsets(
    client: Client, world: World
) -> None:
    client.force_login(world.learner)

    html = client.get(reverse("witness:request", args=[world.registration.pk])).content.decode()

    assert html.count("<fieldset") == world.registration.unit_choices.count()
    first = criteria_of(world.registration, 1)[0]
    assert f'id="criterion-{first.pk}"' in html
    assert f'for="criterion-{first.pk}"' in html


def test_the_list_shows_each_request_and_its_state(client: Client, world: World) -> None:
    open_one = ask(world)
    used = ask(world, actor=world.assessor)
    witness_respond(token=used.token, testimony="Seen.", signed_name="Grace", confirmed=True)
    client.force_login(world.iv)

    html = client.get(reverse("witness:list", args=[world.registration.pk])).content.decode()

    assert "Waiting for the witness" in html
    assert "Signed by Grace" in html
    used.request.refresh_from_db()
    assert reverse("evidence:detail", args=[used.request.evidence_id]) in html
    assert open_one.request.witness_name in html
    # The IV sees the requests but may not ask.
    assert reverse("witness:request", args=[world.registration.pk]) not in html


def test_the_list_costs_the_same_queries_however_many_requests(
    client: Client, world: World
) -> None:
    client.force_login(world.learner)
    url = reverse("witness:list", args=[world.registration.pk])
    ask(world)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(6):
        asked = ask(world)
    witness_respond(token=asked.token, testimony="Seen.", signed_name="Grace", confirmed=True)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert response.content.decode().count("<tr>") == 1 + 7
    assert len(large) == len(small)


def test_the_respond_page_costs_a_fixed_number_of_queries(
    client: Client, world: World, django_assert_max_num_queries
) -> None:
    small = ask(world, criteria=criteria_of(world.registration, 1))
    large = ask(world, criteria=criteria_of(world.registration, 8))
    with CaptureQueriesContext(connection) as one:
        client.get(respond_url(small.token))
    with django_assert_max_num_queries(len(one)):
        client.get(respond_url(large.token))


# ---------------------------------------------------------------- the link


def test_an_expired_link_says_so_and_takes_nothing(client: Client, world: World) -> None:
    asked = ask(world)
    WitnessRequest.objects.filter(pk=asked.request.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    page = client.get(respond_url(asked.token))
    posted = client.post(
        respond_url(asked.token), {"testimony": "x", "signed_name": "G", "confirmed": "on"}
    )

    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert "Priya" not in page.content.decode()
    assert posted.status_code == 410
    assert not Evidence.objects.exists()
    with pytest.raises(EvidenceError, match="expired"):
        witness_respond(token=asked.token, testimony="x", signed_name="G", confirmed=True)


def test_an_unknown_token_is_not_found(client: Client, world: World) -> None:
    ask(world)

    assert client.get(respond_url("not-a-real-token")).status_code == 404
    assert client.post(respond_url("not-a-real-token"), {}).status_code == 404


def test_the_stored_hash_does_not_open_the_request(client: Client, world: World) -> None:
    asked = ask(world)

    assert client.get(respond_url(asked.request.token_hash)).status_code == 404


def test_a_second_submission_is_refused_and_makes_no_second_evidence(
    client: Client, world: World
) -> None:
    asked = ask(world)
    form = {"testimony": "Seen it.", "signed_name": "Grace", "confirmed": "on"}

    first = client.post(respond_url(asked.token), form)
    second = client.post(respond_url(asked.token), form)

    assert first.status_code == 302
    assert second.status_code == 410
    assert Evidence.objects.count() == 1
    with pytest.raises(EvidenceError, match="already been used"):
        witness_respond(token=asked.token, testimony="x", signed_name="G", confirmed=True)


def test_the_page_shows_only_its_own_request(client: Client, world: World) -> None:
    mine = ask(world, criteria=criteria_of(world.registration, 1))
    theirs = witness_request_create(
        actor=world.other_learner,
        registration=world.other_registration,
        witness_name="Zed Elsewhere",
        witness_email="zed@elsewhere.example",
        job_title="Foreman",
        relationship="colleague",
        is_expert=False,
        activity="Secret other activity",
        criteria=criteria_of(world.other_registration, 4)[1:],
    )

    html = client.get(respond_url(mine.token)).content.decode()

    assert "Grace Supervisor" in html
    for text in ("Zed Elsewhere", "Secret other activity", "Ben", "Other", "Foreman"):
        assert text not in html
    for criterion in theirs.request.criteria.all():
        assert f"{criterion.number} {criterion.text}" not in html
    assert find_by_token(mine.token) == mine.request
    assert find_by_token(theirs.token) == theirs.request


def test_an_incomplete_testimony_is_refused_and_the_link_stays_open(
    client: Client, world: World
) -> None:
    asked = ask(world)

    response = client.post(respond_url(asked.token), {"testimony": "", "signed_name": "G"})

    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    asked.request.refresh_from_db()
    assert link_state(asked.request) == "open"
    assert not Evidence.objects.exists()


def test_the_link_stops_working_when_the_registration_is_withdrawn(
    client: Client, world: World
) -> None:
    asked = ask(world)
    withdraw(actor=world.admin, registration=world.registration, reason="Left the job")

    response = client.post(
        respond_url(asked.token), {"testimony": "Seen.", "signed_name": "G", "confirmed": "on"}
    )

    assert response.status_code == 400
    assert "only be added while the registration is active" in response.content.decode()
    assert not Evidence.objects.exists()


# ---------------------------------------------------------------- who may ask


def test_another_learner_cannot_ask_for_someone_elses_registration(
    client: Client, world: World
) -> None:
    client.force_login(world.other_learner)
    url = reverse("witness:request", args=[world.registration.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, ask_form(world)).status_code == 404
    assert client.get(reverse("witness:list", args=[world.registration.pk])).status_code == 404
    assert not WitnessRequest.objects.exists()


def test_an_assessor_of_another_learner_cannot_ask(client: Client, world: World) -> None:
    client.force_login(world.other_assessor)

    response = client.post(
        reverse("witness:request", args=[world.registration.pk]), ask_form(world)
    )

    assert response.status_code == 404
    assert not WitnessRequest.objects.exists()


@pytest.mark.parametrize("who", ["admin", "iv"])
def test_staff_who_see_the_registration_but_do_not_assess_it_are_forbidden(
    client: Client, world: World, who: str
) -> None:
    client.force_login(getattr(world, who))

    response = client.post(
        reverse("witness:request", args=[world.registration.pk]), ask_form(world)
    )

    assert response.status_code == 403
    assert not WitnessRequest.objects.exists()


def test_asking_needs_sign_in(client: Client, world: World) -> None:
    response = client.get(reverse("witness:request", args=[world.registration.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_criteria_outside_the_registrations_units_are_refused(world: World) -> None:
    taken = world.registration.unit_choices.values("unit_id")
    outside = AssessmentCriterion.objects.exclude(unit__in=taken).first()

    with pytest.raises(EvidenceError, match="Not in the units"):
        ask(world, criteria=[outside])
    assert not WitnessRequest.objects.exists()


def test_a_forged_criterion_in_the_form_is_refused(client: Client, world: World) -> None:
    taken = world.registration.unit_choices.values("unit_id")
    outside = AssessmentCriterion.objects.exclude(unit__in=taken).first()
    client.force_login(world.learner)

    response = client.post(
        reverse("witness:request", args=[world.registration.pk]),
        ask_form(world, criteria=[outside.pk]),
    )

    assert response.status_code == 400
    assert not WitnessRequest.objects.exists()
    assert mail.outbox == []


def test_testimony_must_be_about_real_work(world: World) -> None:
    with pytest.raises(EvidenceError, match="real work"):
        ask(world, context=EvidenceContext.SIMULATION)


def test_no_criteria_is_refused(world: World) -> None:
    with pytest.raises(EvidenceError, match="at least one criterion"):
        ask(world, criteria=[])


def test_nothing_is_mailed_when_the_request_is_not_made(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    client.force_login(world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("witness:request", args=[world.registration.pk]),
            ask_form(world, witness_email="not-an-address"),
        )

    assert response.status_code == 400
    assert mail.outbox == []


def test_the_request_is_audited_without_the_token(world: World) -> None:
    asked = ask(world)

    event = AuditEvent.objects.for_object(asked.request).get(action="witness.requested")

    assert event.actor == world.learner
    assert asked.token not in str(event.data)
    assert asked.request.token_hash not in str(event.data)


def test_the_learner_cannot_start_a_new_version_of_a_witness_testimony(world: World) -> None:
    """A new version is an editable draft copy: the learner could rewrite the witness's words."""
    from portfolios.evidence import resubmit

    asked = ask(world)
    evidence = witness_respond(
        token=asked.token, testimony="Seen it.", signed_name="Grace", confirmed=True
    )

    with pytest.raises(EvidenceError, match="stays as it was signed"):
        resubmit(actor=world.learner, evidence=evidence)

    assert Evidence.objects.count() == 1


def test_an_expert_witness_is_asked_only_with_their_occupational_competence(
    client: Client, world: World
) -> None:
    """SFJ handbook section 4.5: an expert witness must be occupationally competent in the
    functions covered by the units, in a recent role (issue 17)."""
    client.force_login(world.assessor)
    response = client.post(
        reverse("witness:request", args=[world.registration.pk]),
        ask_form(world, is_expert="on"),
    )
    assert response.status_code == 400
    assert "SFJ handbook section 4.5: an expert witness must be occupationally competent" in (
        response.content.decode()
    )
    with pytest.raises(EvidenceError, match=r"SFJ handbook section 4\.5"):
        ask(world, actor=world.assessor, is_expert=True)
    assert not WitnessRequest.objects.exists()
