"""Standardisation records: recording a meeting, its decisions and finalising it; who may read
and record; bad input; fixed query counts."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from core.audit import verify_chain
from core.models import AuditEvent
from qualifications.models import Qualification, Unit
from tests.factories import member
from tests.support import clock
from tests.support.forms import error_beside
from tests.verification.cases import IMI, UNDERSTAND_CUSTOMERS, Centre_, make_centre
from verification.models.standardisation import (
    MeetingStatus,
    StandardisationMeeting,
    StandardisationOutcome,
)
from verification.standardisation import (
    StandardisationError,
    add_outcome,
    create_meeting,
    finalise_meeting,
    update_meeting,
)


@pytest.fixture
def made(catalogue: None) -> Centre_:
    return make_centre()


def as_(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def flash(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def a_unit() -> Unit:
    return Unit.objects.get(key=UNDERSTAND_CUSTOMERS)


def meeting_for(made: Centre_, *, attendees: list[User] | None = None, title: str = "Observations"):
    today = clock.today()
    last_week = today - datetime.timedelta(days=7)
    return create_meeting(
        actor=made.iv,
        centre=made.centre,
        qualification=made.qualification,
        title=title,
        held_on=last_week,
        attendees=made.assessors if attendees is None else attendees,
        external_attendees="Sam Mentor (Kwik Fit)\n",
        location="Room 2",
    )


def actions(meeting: StandardisationMeeting) -> list[str]:
    return list(
        AuditEvent.objects.filter(centre_id=meeting.centre_id)
        .filter(action__startswith="verification.standardisation")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# ---------------------------------------------------------------- services


def test_a_meeting_is_recorded_given_decisions_and_finalised_with_audit_events(
    made: Centre_,
) -> None:
    today = clock.today()
    meeting = meeting_for(made)
    first = add_outcome(
        actor=made.iv,
        meeting=meeting,
        decision="Observation records name the job card number.",
        units=[a_unit()],
        action_owner=made.assessors[0],
        action_due=today + datetime.timedelta(days=14),
    )
    second = add_outcome(actor=made.admin, meeting=meeting, decision="Questions are recorded.")
    finalised = finalise_meeting(actor=made.admin, meeting=meeting)

    assert (first.position, second.position) == (1, 2)
    assert list(first.units.values_list("key", flat=True)) == [UNDERSTAND_CUSTOMERS]
    assert set(meeting.attendees.all()) == set(made.assessors)
    assert meeting.external_names() == ["Sam Mentor (Kwik Fit)"]
    assert finalised.status == MeetingStatus.FINALISED
    assert finalised.finalised_by == made.admin
    assert finalised.finalised_at is not None
    assert actions(meeting) == [
        "verification.standardisation_recorded",
        "verification.standardisation_decision_added",
        "verification.standardisation_decision_added",
        "verification.standardisation_finalised",
    ]
    recorded = AuditEvent.objects.get(action="verification.standardisation_recorded")
    assert recorded.data["attendees"] == sorted(a.pk for a in made.assessors)
    assert recorded.data["qualification"] == made.qualification.pk
    added = AuditEvent.objects.filter(action="verification.standardisation_decision_added")
    assert added.first().data["units"] == [UNDERSTAND_CUSTOMERS]
    assert verify_chain() == []


def test_a_finalised_meeting_never_changes(made: Centre_) -> None:
    today = clock.today()
    last_week = today - datetime.timedelta(days=7)
    meeting = meeting_for(made)
    add_outcome(actor=made.iv, meeting=meeting, decision="Agreed.")
    finalise_meeting(actor=made.iv, meeting=meeting)

    with pytest.raises(StandardisationError, match="finalised"):
        add_outcome(actor=made.iv, meeting=meeting, decision="Late addition.")
    with pytest.raises(StandardisationError, match="finalised"):
        update_meeting(
            actor=made.iv,
            meeting=meeting,
            qualification=made.qualification,
            title="Rewritten",
            held_on=last_week,
        )
    with pytest.raises(StandardisationError, match="finalised"):
        finalise_meeting(actor=made.iv, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.title == "Observations"
    assert StandardisationOutcome.objects.count() == 1


def test_a_draft_is_corrected_and_the_audit_keeps_what_it_said_before(made: Centre_) -> None:
    today = clock.today()
    last_week = today - datetime.timedelta(days=7)
    meeting = meeting_for(made)
    update_meeting(
        actor=made.iv,
        meeting=meeting,
        qualification=made.qualification,
        title="Observations and questioning",
        held_on=last_week,
        attendees=[made.assessors[0]],
    )
    meeting.refresh_from_db()
    assert meeting.title == "Observations and questioning"
    assert list(meeting.attendees.all()) == [made.assessors[0]]
    event = AuditEvent.objects.get(action="verification.standardisation_changed")
    assert event.data["before"]["title"] == "Observations"
    assert len(event.data["before"]["attendees"]) == 2
    assert event.data["after"]["attendees"] == [made.assessors[0].pk]


def test_the_rules_refuse_what_does_not_belong(made: Centre_) -> None:
    today = clock.today()
    last_week = today - datetime.timedelta(days=7)
    elsewhere = make_centre(assessors=1)
    with pytest.raises(StandardisationError, match="Only an internal verifier or a centre admin"):
        create_meeting(
            actor=made.assessors[0],
            centre=made.centre,
            qualification=made.qualification,
            title="x",
            held_on=last_week,
        )
    with pytest.raises(StandardisationError, match="Only an internal verifier or a centre admin"):
        create_meeting(
            actor=elsewhere.iv,
            centre=made.centre,
            qualification=made.qualification,
            title="x",
            held_on=last_week,
        )
    with pytest.raises(StandardisationError, match="Not staff at"):
        meeting_for(made, attendees=[elsewhere.assessors[0]])
    learner = member(made.centre, Role.LEARNER, full_name="Lee Learner")
    with pytest.raises(StandardisationError, match="Lee Learner"):
        meeting_for(made, attendees=[learner])
    with pytest.raises(StandardisationError, match="cannot be in the future"):
        create_meeting(
            actor=made.iv,
            centre=made.centre,
            qualification=made.qualification,
            title="x",
            held_on=today + datetime.timedelta(days=1),
        )
    other = Qualification.objects.exclude(pk=made.qualification.pk).first()
    with pytest.raises(StandardisationError, match="does not offer"):
        create_meeting(
            actor=made.iv, centre=made.centre, qualification=other, title="x", held_on=last_week
        )
    assert not StandardisationMeeting.objects.exists()

    meeting = meeting_for(made)
    foreign = Unit.objects.exclude(memberships__qualification=made.qualification).first()
    with pytest.raises(StandardisationError, match="Not units of the meeting's qualification"):
        add_outcome(actor=made.iv, meeting=meeting, decision="x", units=[foreign])
    with pytest.raises(StandardisationError, match="Say who owns the action"):
        add_outcome(actor=made.iv, meeting=meeting, decision="x", action_due=today)
    with pytest.raises(StandardisationError, match="not staff at this centre"):
        add_outcome(
            actor=made.iv, meeting=meeting, decision="x", action_owner=elsewhere.assessors[0]
        )
    with pytest.raises(StandardisationError, match="at least one decision"):
        finalise_meeting(actor=made.iv, meeting=meeting)
    with pytest.raises(StandardisationError, match="Only an internal verifier"):
        add_outcome(actor=made.assessors[0], meeting=meeting, decision="x")
    assert not StandardisationOutcome.objects.exists()
    assert StandardisationMeeting.objects.get().status == MeetingStatus.DRAFT


# ---------------------------------------------------------------- pages


def test_the_pages_need_sign_in(client: Client, made: Centre_) -> None:
    meeting = meeting_for(made)
    for url in (
        reverse("verification:standardisation_list"),
        reverse("verification:standardisation_create"),
        reverse("verification:standardisation_detail", args=[meeting.pk]),
    ):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize(
    ("role", "read", "record"),
    [
        (Role.INTERNAL_VERIFIER, 200, True),
        (Role.CENTRE_ADMIN, 200, True),
        (Role.EQA, 200, False),
        (Role.ASSESSOR, 403, False),  # did not attend
        (Role.LEARNER, 403, False),
    ],
)
def test_access_by_role_at_the_centre(
    client: Client, made: Centre_, role: str, read: int, record: bool
) -> None:
    meeting = meeting_for(made)
    as_(client, member(made.centre, role))
    detail = client.get(reverse("verification:standardisation_detail", args=[meeting.pk]))
    assert detail.status_code == read
    if read == 200:
        assert "Observations" in text(detail)
        assert ("Add a decision" in text(detail)) is record
        assert "Observations" in text(client.get(reverse("verification:standardisation_list")))
    create = client.get(reverse("verification:standardisation_create"))
    assert create.status_code == (200 if record else 403)
    add = client.post(
        reverse("verification:standardisation_add_outcome", args=[meeting.pk]),
        {"decision": "Agreed."},
    )
    assert add.status_code == (302 if record else 403)
    edit = client.get(reverse("verification:standardisation_edit", args=[meeting.pk]))
    assert edit.status_code == (200 if record else 403)
    finalise = client.post(reverse("verification:standardisation_finalise", args=[meeting.pk]))
    assert finalise.status_code == (302 if record else 403)
    meeting.refresh_from_db()
    assert meeting.outcomes.count() == (1 if record else 0)
    assert meeting.status == (MeetingStatus.FINALISED if record else MeetingStatus.DRAFT)


def test_an_assessor_reads_only_the_meetings_they_attended(client: Client, made: Centre_) -> None:
    attended = meeting_for(made, attendees=[made.assessors[0]], title="Attended one")
    missed = meeting_for(made, attendees=[made.assessors[1]], title="Missed one")
    as_(client, made.assessors[0])

    listing = text(client.get(reverse("verification:standardisation_list")))
    assert "Attended one" in listing
    assert "Missed one" not in listing
    assert "Record a meeting" not in listing
    page = client.get(reverse("verification:standardisation_detail", args=[attended.pk]))
    assert page.status_code == 200
    assert "Add a decision" not in text(page)
    missed_url = reverse("verification:standardisation_detail", args=[missed.pk])
    assert client.get(missed_url).status_code == 403


def test_a_learner_gets_403_on_the_list(client: Client, made: Centre_) -> None:
    as_(client, member(made.centre, Role.LEARNER))
    assert client.get(reverse("verification:standardisation_list")).status_code == 403


@pytest.mark.parametrize("role", [Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA])
def test_another_centres_staff_get_404(client: Client, made: Centre_, role: str) -> None:
    meeting = meeting_for(made)
    elsewhere = make_centre(assessors=0)
    as_(client, member(elsewhere.centre, role))
    assert (
        client.get(reverse("verification:standardisation_detail", args=[meeting.pk])).status_code
        == 404
    )
    for name in ("standardisation_add_outcome", "standardisation_finalise"):
        response = client.post(
            reverse(f"verification:{name}", args=[meeting.pk]), {"decision": "x"}
        )
        assert response.status_code == 404
    assert (
        client.get(reverse("verification:standardisation_edit", args=[meeting.pk])).status_code
        == 404
    )
    # Their own list does not show our meeting.
    assert "Observations" not in text(client.get(reverse("verification:standardisation_list")))
    assert StandardisationOutcome.objects.count() == 0


def test_the_iv_records_a_meeting_and_bad_input_keeps_what_was_typed(
    client: Client, made: Centre_
) -> None:
    today = clock.today()
    last_week = today - datetime.timedelta(days=7)
    as_(client, made.iv)
    url = reverse("verification:standardisation_create")
    fields = {
        "qualification": made.qualification.pk,
        "title": "Judging professional discussions",
        "held_on": "",
        "location": "Training room",
        "attendees": [made.assessors[0].pk, made.assessors[1].pk],
        "external_attendees": "Sam Mentor",
        "notes": "Two recordings reviewed.",
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    # Beside its field, not in a message at the top.
    assert "Say when the meeting was held." in error_beside(response.content.decode(), "id_held_on")
    assert flash(response) == []
    assert 'value="Judging professional discussions"' in text(response)
    assert "Two recordings reviewed." in text(response)
    future = (today + datetime.timedelta(days=3)).isoformat()
    response = client.post(url, {**fields, "held_on": future})
    assert response.status_code == 400
    # The service refuses it (not the form): its reason is the message at the top.
    assert "cannot be in the future" in flash(response)[0]
    assert not StandardisationMeeting.objects.exists()

    response = client.post(url, {**fields, "held_on": last_week.isoformat()}, follow=True)
    meeting = StandardisationMeeting.objects.get()
    assert response.redirect_chain == [
        (reverse("verification:standardisation_detail", args=[meeting.pk]), 302)
    ]
    assert "recorded as a draft" in flash(response)[0]
    assert "Sam Mentor (from outside the centre)" in text(response)
    assert set(meeting.attendees.all()) == set(made.assessors)
    assert meeting.recorded_by == made.iv

    add_url = reverse("verification:standardisation_add_outcome", args=[meeting.pk])
    response = client.post(add_url, {"decision": "Plan the questions.", "action_due": today})
    assert response.status_code == 400
    assert "Say who owns the action that is due." in error_beside(
        response.content.decode(), "id_action_owner"
    )
    assert flash(response) == []
    assert "Plan the questions." in text(response)
    response = client.post(
        add_url,
        {
            "decision": "Plan the questions.",
            "units": [a_unit().pk],
            "action_owner": made.assessors[1].pk,
            "action_due": (today + datetime.timedelta(days=10)).isoformat(),
        },
        follow=True,
    )
    assert "Decision 1 is recorded." in flash(response)
    decisions = text(response).split('data-testid="decisions"')[1].split("</table>")[0]
    assert "Plan the questions." in decisions
    assert "Assessor B" in decisions
    assert a_unit().title in decisions

    response = client.post(
        reverse("verification:standardisation_finalise", args=[meeting.pk]), follow=True
    )
    assert "The meeting is finalised" in flash(response)[0]
    assert "Add a decision" not in text(response)
    response = client.post(add_url, {"decision": "Too late."}, follow=True)
    assert "can no longer change" in flash(response)[0]
    assert StandardisationOutcome.objects.count() == 1


def test_the_list_filters_by_qualification(client: Client, made: Centre_) -> None:
    today = clock.today()
    other = Qualification.objects.exclude(number=IMI).first()
    made.centre.qualifications.add(other)
    meeting_for(made, title="Motor vehicle meeting")
    create_meeting(
        actor=made.iv, centre=made.centre, qualification=other, title="Other meeting", held_on=today
    )
    as_(client, made.iv)
    url = reverse("verification:standardisation_list")
    everything = text(client.get(url))
    assert "Motor vehicle meeting" in everything
    assert "Other meeting" in everything
    only = text(client.get(url, {"qualification": other.pk}))
    assert "Other meeting" in only
    assert "Motor vehicle meeting" not in only


def _centre_with(size: int) -> tuple[Centre_, StandardisationMeeting]:
    made = make_centre(assessors=3)
    meeting = None
    for number in range(size):
        meeting = meeting_for(made, title=f"Meeting {number}")
    assert meeting is not None
    for number in range(size):
        add_outcome(
            actor=made.iv,
            meeting=meeting,
            decision=f"Decision {number}",
            units=[a_unit()],
            action_owner=made.assessors[number % 3],
        )
    return made, meeting


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_list_and_detail_cost_the_same_queries_for_3_and_30(
    client: Client, catalogue: None, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    lists, details = [], []
    for size in (3, 30):
        made, meeting = _centre_with(size)
        as_(client, made.iv)
        list_url = reverse("verification:standardisation_list")
        detail_url = reverse("verification:standardisation_detail", args=[meeting.pk])
        listed = client.get(list_url)
        assert text(listed).count("verification/standardisation/") >= size
        page = client.get(detail_url)
        assert text(page).count("<tr>") >= size
        lists.append(_count(client, list_url))
        details.append(_count(client, detail_url))
    assert lists[0] == lists[1]
    assert details[0] == details[1]
    # Session, user, the person's roles (header and active role, which also answer whether
    # they may record), the meetings with their counts annotated, and the filter's
    # qualifications.
    with django_assert_num_queries(5):  # type: ignore[operator]
        client.get(list_url)
    # Session, user, roles (which also answer whether they may record), the meeting, its
    # attendees, the decisions with their owners, the decisions' units, and the decision
    # form's units and owners.
    with django_assert_num_queries(9):  # type: ignore[operator]
        client.get(detail_url)


def test_a_draft_is_changed_through_its_page_until_it_is_finalised(
    client: Client, made: Centre_
) -> None:
    today = clock.today()
    last_week = today - datetime.timedelta(days=7)
    meeting = meeting_for(made)
    as_(client, made.admin)
    url = reverse("verification:standardisation_edit", args=[meeting.pk])
    form = text(client.get(url))
    assert 'value="Observations"' in form
    assert 'value="Room 2"' in form
    fields = {
        "qualification": made.qualification.pk,
        "title": "Observations, corrected",
        "held_on": last_week.isoformat(),
        "attendees": [made.assessors[1].pk],
        "external_attendees": "",
        "location": "Room 3",
    }
    response = client.post(url, {**fields, "title": ""})
    assert response.status_code == 400
    assert "Give the meeting's topic." in error_beside(response.content.decode(), "id_title")
    assert flash(response) == []
    assert 'value="Room 3"' in text(response)
    response = client.post(url, fields, follow=True)
    assert "The meeting's details are saved." in flash(response)
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Observations, corrected", "Room 3")
    assert list(meeting.attendees.all()) == [made.assessors[1]]
    assert meeting.external_names() == []
    event = AuditEvent.objects.get(action="verification.standardisation_changed")
    assert event.actor == made.admin
    assert event.data["before"]["title"] == "Observations"

    add_outcome(actor=made.iv, meeting=meeting, decision="Agreed.")
    finalise_meeting(actor=made.iv, meeting=meeting)
    response = client.post(url, {**fields, "title": "Too late"}, follow=True)
    assert "can no longer change" in flash(response)[0]
    meeting.refresh_from_db()
    assert meeting.title == "Observations, corrected"
