"""Issue 19: a registration's apprenticeship programme record, its rules, its pages, and the
employer contact who reads their own apprentices and nothing else."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Centre, Role, User
from core.models import AuditEvent
from portfolios.apprenticeships import ApprenticeshipError, Programme, apprenticeship_save
from portfolios.models import (
    MINIMUM_PRACTICAL_PERIOD_DAYS,
    Apprenticeship,
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
)
from qualifications.models import Qualification, Standard
from tests.factories import CentreFactory, EmployerFactory, RegistrationFactory, member

pytestmark = pytest.mark.django_db

NCFE = "601/3973/0"  # the Customer Service Practitioner standard's own qualification
SFJ = "601/1109/4"  # maps to no standard
START = datetime.date(2026, 9, 1)


def _registration(centre: Centre, number: str = NCFE, **fields: object) -> Registration:
    return RegistrationFactory(
        centre=centre,
        learner=member(centre, Role.LEARNER),
        qualification=Qualification.objects.get(number=number),
        start_date=START,
        **fields,
    )


def _programme(centre: Centre, **changes: object) -> Programme:
    if "employer" not in changes:
        changes["employer"] = EmployerFactory(centre=centre)
    programme = Programme(
        employer=changes["employer"],  # type: ignore[arg-type]
        standard=Standard.objects.get(code="customer-service-practitioner"),
        standard_version="1.2",
        practical_start=START,
        practical_planned_end=START + datetime.timedelta(days=400),
        minimum_otj_hours=Decimal("278"),
        epao_name="Highfield Assessment",
        epao_reference="EPA0001",
    )
    return replace(programme, **changes)


@pytest.fixture
def centre() -> Centre:
    return CentreFactory(name="Northgate")


# ---------------------------------------------------------------- the service


def test_a_programme_is_recorded_with_its_planned_hours_and_audited(centre: Centre) -> None:
    registration = _registration(centre)
    admin = member(centre, Role.CENTRE_ADMIN)
    programme = _programme(
        centre, rpl_reduction_hours=Decimal("40"), rpl_reason="Level 2 retail certificate"
    )

    record = apprenticeship_save(actor=admin, registration=registration, programme=programme)

    assert record.planned_otj_hours == Decimal("238")
    event = AuditEvent.objects.get(action="apprenticeship.recorded")
    assert (event.actor_id, event.centre_id) == (admin.pk, centre.pk)
    assert Decimal(event.data["planned_otj_hours"]) == Decimal("238")


def test_sent_twice_it_is_one_record_and_one_event(centre: Centre) -> None:
    registration = _registration(centre)
    programme = _programme(centre)

    first = apprenticeship_save(actor=None, registration=registration, programme=programme)
    second = apprenticeship_save(actor=None, registration=registration, programme=programme)

    assert first.pk == second.pk
    assert Apprenticeship.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="apprenticeship.").count() == 1


def test_a_change_is_audited_with_the_fields_changed(centre: Centre) -> None:
    registration = _registration(centre)
    programme = _programme(centre)
    apprenticeship_save(actor=None, registration=registration, programme=programme)

    apprenticeship_save(
        actor=None,
        registration=registration,
        programme=replace(programme, english_status="achieved", standard_version="1.3"),
    )

    event = AuditEvent.objects.get(action="apprenticeship.changed")
    assert event.data["fields"] == ["english_status", "standard_version"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"practical_planned_end": START - datetime.timedelta(days=1)},
            "practical_planned_end",
            "must end after it starts",
        ),
        (
            {"practical_planned_end": START + datetime.timedelta(days=300)},
            "practical_planned_end",
            f"at least {MINIMUM_PRACTICAL_PERIOD_DAYS} days; this one lasts 300",
        ),
        ({"rpl_reduction_hours": Decimal("10")}, "rpl_reason", "Say what prior learning"),
        (
            {"rpl_reduction_hours": Decimal("300"), "rpl_reason": "A degree"},
            "rpl_reduction_hours",
            "more than the minimum of 278",
        ),
        ({"epao_name": "  "}, "epao_name", "Name the end-point assessment organisation"),
        ({"standard_version": ""}, "standard_version", "version"),
    ],
)
def test_each_rule_is_refused_with_its_reason(
    centre: Centre, changes: dict, field: str, message: str
) -> None:
    registration = _registration(centre)

    with pytest.raises(ApprenticeshipError) as refused:
        apprenticeship_save(
            actor=None, registration=registration, programme=_programme(centre, **changes)
        )

    assert message in refused.value.errors[field]
    assert not Apprenticeship.objects.exists()


def test_the_minimum_practical_period_is_allowed_exactly(centre: Centre) -> None:
    end = START + datetime.timedelta(days=MINIMUM_PRACTICAL_PERIOD_DAYS)
    record = apprenticeship_save(
        actor=None,
        registration=_registration(centre),
        programme=_programme(centre, practical_planned_end=end),
    )
    assert record.practical_days == MINIMUM_PRACTICAL_PERIOD_DAYS


def test_an_employer_of_another_centre_and_a_standard_of_another_qualification_are_refused(
    centre: Centre,
) -> None:
    registration = _registration(centre, number=SFJ)
    programme = _programme(centre, employer=EmployerFactory(name="Elsewhere"))

    with pytest.raises(ApprenticeshipError) as refused:
        apprenticeship_save(actor=None, registration=registration, programme=programme)

    assert set(refused.value.errors) == {"employer", "standard"}


# ---------------------------------------------------------------- the pages


def _form(programme: Programme, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "employer": programme.employer.pk,
        "standard": programme.standard.pk,
        "standard_version": programme.standard_version,
        "practical_start": programme.practical_start.isoformat(),
        "practical_planned_end": programme.practical_planned_end.isoformat(),
        "minimum_otj_hours": "278",
        "rpl_reduction_hours": "",
        "rpl_reason": "",
        "english_requirement": "required",
        "english_status": "not_started",
        "maths_requirement": "held",
        "maths_status": "achieved",
        "epao_name": programme.epao_name,
        "epao_reference": "",
    }
    data.update(changes)
    return data


def test_the_admin_records_the_apprenticeship_from_the_registration_page(
    client: Client, centre: Centre
) -> None:
    registration = _registration(centre)
    programme = _programme(centre, employer=EmployerFactory(centre=centre, name="Acme Retail"))
    client.force_login(member(centre, Role.CENTRE_ADMIN))
    page = reverse("portfolios:registration", args=[registration.pk])
    url = reverse("portfolios:registration_apprenticeship", args=[registration.pk])

    assert "Record the apprenticeship" in client.get(page).content.decode()
    short = client.post(
        url, _form(programme, practical_planned_end="2027-01-01", rpl_reduction_hours="12")
    )
    assert short.status_code == 400
    html = short.content.decode()
    assert "The practical period must last at least 366 days" in html
    assert "Say what prior learning the reduction recognises." in html
    assert 'value="Highfield Assessment"' in html  # nothing typed is lost
    assert not Apprenticeship.objects.exists()

    done = client.post(url, _form(programme))
    assert done.status_code == 302
    shown = client.get(page).content.decode()
    assert "Acme Retail" in shown
    assert "Change the apprenticeship" in shown
    assert Apprenticeship.objects.get().maths_requirement == "held"


def test_no_link_to_record_one_where_the_qualification_has_no_standard(
    client: Client, centre: Centre
) -> None:
    registration = _registration(centre, number=SFJ)
    client.force_login(member(centre, Role.CENTRE_ADMIN))

    page = client.get(reverse("portfolios:registration", args=[registration.pk]))

    assert "Record the apprenticeship" not in page.content.decode()


@pytest.fixture
def apprentices(centre: Centre) -> dict[str, object]:
    """Two employers at Northgate with an apprentice each, and a contact for the first."""
    acme = EmployerFactory(centre=centre, name="Acme Retail")
    bolt = EmployerFactory(centre=centre, name="Bolt Logistics")
    ours, theirs = _registration(centre), _registration(centre)
    apprenticeship_save(actor=None, registration=ours, programme=_programme(centre, employer=acme))
    apprenticeship_save(
        actor=None, registration=theirs, programme=_programme(centre, employer=bolt)
    )
    contact = member(centre, Role.EMPLOYER, employer=acme, full_name="Erin Employer")
    return {"acme": acme, "ours": ours, "theirs": theirs, "contact": contact}


def test_an_employer_contact_reads_their_own_apprentice_only(
    client: Client, centre: Centre, apprentices: dict
) -> None:
    contact: User = apprentices["contact"]
    ours, theirs = apprentices["ours"], apprentices["theirs"]
    elsewhere = _registration(CentreFactory())
    client.force_login(contact)

    assert set(Registration.objects.visible_to(contact)) == {ours}
    assert contact.has_perm("portfolios.view_registration", ours)
    assert not contact.has_perm("portfolios.manage_registration", ours)
    assert not contact.has_perm("portfolios.view_registration", theirs)
    page = client.get(reverse("portfolios:registration", args=[ours.pk]))
    assert page.status_code == 200
    assert "Acme Retail" in page.content.decode()
    assert "Change the apprenticeship" not in page.content.decode()
    assert client.get(reverse("evidence:portfolio", args=[ours.pk])).status_code == 200
    for other in (theirs, elsewhere):
        assert client.get(reverse("portfolios:registration", args=[other.pk])).status_code == 404
    # Read-only: the record's page refuses them.
    url = reverse("portfolios:registration_apprenticeship", args=[ours.pk])
    assert client.get(url).status_code == 403


def test_an_employer_contact_sees_no_drafts(centre: Centre, apprentices: dict) -> None:
    ours = apprentices["ours"]
    for status in (EvidenceStatus.DRAFT, EvidenceStatus.SUBMITTED):
        Evidence.objects.create(
            registration=ours,
            title=status,
            evidence_date=START,
            method=EvidenceMethod.OBSERVATION,
            context=EvidenceContext.REAL_WORK_PAID,
            status=status,
            created_by=ours.learner,
        )

    seen = Evidence.objects.visible_to(apprentices["contact"])

    assert [e.status for e in seen] == [EvidenceStatus.SUBMITTED]


def test_a_contact_whose_role_is_taken_away_reads_nothing(
    centre: Centre, apprentices: dict
) -> None:
    contact = apprentices["contact"]
    contact.memberships.update(is_active=False)

    assert not Registration.objects.visible_to(contact).exists()
    assert not contact.has_perm("portfolios.view_registration", apprentices["ours"])


def test_the_learner_sees_the_record_read_only(
    client: Client, centre: Centre, apprentices: dict
) -> None:
    ours = apprentices["ours"]
    client.force_login(ours.learner)

    page = client.get(reverse("portfolios:registration", args=[ours.pk])).content.decode()

    assert 'data-testid="apprenticeship"' in page
    assert "Change the apprenticeship" not in page


def test_the_contacts_home_lists_their_apprentices_in_constant_queries(
    client: Client, centre: Centre, apprentices: dict
) -> None:
    client.force_login(apprentices["contact"])

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("home"))
        assert page.status_code == 200
        return len(queries), page.content.decode()

    one, html = count()
    # Escaped as the page writes them: a generated name may hold an apostrophe (O'Connor).
    assert escape(apprentices["ours"].learner.get_full_name()) in html
    assert escape(apprentices["theirs"].learner.get_full_name()) not in html
    for _ in range(4):
        apprenticeship_save(
            actor=None,
            registration=_registration(centre),
            programme=_programme(centre, employer=apprentices["acme"]),
        )
    five, html = count()
    assert "Apprentices: 5" in html
    assert five == one


def test_the_contacts_home_shows_ksbs_and_hours_behind_with_a_link_to_the_log(
    client: Client, centre: Centre, apprentices: dict
) -> None:
    """Issue 19: each apprentice's KSB coverage and off-the-job hours against the plan to date,
    flagged when behind (off_the_job.hours_for), and their log a click away."""
    from portfolios.models import OffTheJobActivity, OffTheJobStatus

    ours = apprentices["ours"]
    # Three months into a 400-day programme of 278 hours: 6 approved hours are far behind.
    OffTheJobActivity.objects.create(
        registration=ours,
        date=START,
        hours=Decimal("6"),
        kind="teaching",
        description="Workshop",
        status=OffTheJobStatus.APPROVED,
    )
    client.force_login(apprentices["contact"])

    html = client.get(reverse("home")).content.decode()

    row = html.split('data-testid="apprentices"', 1)[1]
    assert "of 278 hours planned in all" not in row  # the plan is written once
    assert "278 hours planned in all" in row
    assert "6 hours approved, " in row
    assert " planned to date" in row
    assert 'data-testid="behind"' in row
    assert reverse("off_the_job:log", args=[ours.pk]) in row
    assert reverse("assessments:coverage", args=[ours.pk]) in row
    assert "KSBs covered" in row
    assert client.get(reverse("off_the_job:log", args=[ours.pk])).status_code == 200
    assert client.get(reverse("assessments:coverage", args=[ours.pk])).status_code == 200
