"""The provider's cohort of apprentices (issue 19, point 6): whose rows, their hours against the
plan, the filters and order, the CSV, and the queries a page costs."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Employer, Membership, Role
from assessments import cohort as cohort_module
from assessments.cohort import (
    EXPORT_HEADERS,
    PAGE_SIZE,
    RECORD_FIELDS,
    Filters,
    Lookups,
    cohort_registrations,
    cohort_rows,
    functional_skill_text,
)
from home.navigation import APPRENTICES, current
from portfolios import off_the_job
from portfolios.models import (
    Apprenticeship,
    OffTheJobActivity,
    OffTheJobKind,
    OffTheJobStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.off_the_job import approved_hours
from qualifications.models import Qualification, Standard
from tests.factories import CentreFactory, RegistrationFactory, member
from tests.home.test_navigation import header_links
from tests.support import clock
from tests.test_stacked_tables import assert_stacked

pytestmark = pytest.mark.usefixtures("catalogue")

NCFE = "601/3973/0"  # mapped to the Customer Service Practitioner standard
PAGE = reverse("cohort:page")
EXPORT = reverse("cohort:export")
# A formula a spreadsheet would run, as an employer's name.
FORMULA = '=HYPERLINK("http://x","y")'


def wear(client: Client, person: Any, role: str) -> None:
    """Sign in wearing `role` (the cohort answers in the role worn now)."""
    client.force_login(person)
    session = client.session
    session["active_membership"] = Membership.objects.get(user=person, role=role).pk
    session.save()


def hours(registration: Registration, amount: str, status: str = OffTheJobStatus.APPROVED) -> None:
    """Logged hours in `status`, set up directly (the services are tested in test_off_the_job),
    in entries of at most 8 hours, a day apart."""
    today = clock.today()
    left, day = Decimal(amount), 1
    while left > 0:
        part = min(left, Decimal("8"))
        OffTheJobActivity.objects.create(
            registration=registration,
            date=today - datetime.timedelta(days=day),
            hours=part,
            kind=OffTheJobKind.TEACHING,
            description="Workshop",
            status=status,
            query_reason="Which?" if status == OffTheJobStatus.QUERIED else "",
        )
        left, day = left - part, day + 1


class Centre:
    """A centre training apprentices: its admin, two assessors, an IV, and its employers."""

    def __init__(self) -> None:
        self.centre = CentreFactory()
        self.qualification = Qualification.objects.get(number=NCFE)
        self.centre.qualifications.add(self.qualification)
        self.admin = member(self.centre, Role.CENTRE_ADMIN)
        self.assessor = member(self.centre, Role.ASSESSOR)
        self.other_assessor = member(self.centre, Role.ASSESSOR)
        self.iv = member(self.centre, Role.INTERNAL_VERIFIER)
        self.harbour = Employer.objects.create(centre=self.centre, name="Harbour Hotels")
        self.formula = Employer.objects.create(centre=self.centre, name=FORMULA)

    def registration(self, name: str, *, assessor: Any = None, **fields: Any) -> Registration:
        today = clock.today()
        registration = RegistrationFactory(
            centre=self.centre,
            learner=member(self.centre, Role.LEARNER, full_name=name),
            qualification=self.qualification,
            start_date=today - datetime.timedelta(days=100),
            **{"internal_verifier": self.iv, **fields},
        )
        registration.assessors.set([assessor or self.assessor])
        return registration

    def apprentice(
        self,
        name: str,
        *,
        employer: Employer | None = None,
        started: int = 100,
        days: int = 400,
        minimum: str = "400",
        reduction: str = "0",
        **fields: Any,
    ) -> Registration:
        """An apprentice `started` days ago on a practical period of `days` days: by default
        400 hours over 400 days, so the plan to date is `started` hours."""
        today = clock.today()
        assessor = fields.pop("assessor", None)
        registration = self.registration(name, assessor=assessor, **fields)
        start = today - datetime.timedelta(days=started)
        Apprenticeship.objects.create(
            registration=registration,
            employer=employer or self.harbour,
            standard=Standard.objects.get(qualification=self.qualification),
            standard_version="1.2",
            practical_start=start,
            practical_planned_end=start + datetime.timedelta(days=days),
            minimum_otj_hours=Decimal(minimum),
            rpl_reduction_hours=Decimal(reduction),
            rpl_reason="Prior learning" if reduction != "0" else "",
            english_requirement="held",
            english_status="not_started",
            maths_requirement="required",
            maths_status="in_progress",
            epao_name="Highfield Assessment",
        )
        return registration


@pytest.fixture
def made() -> Centre:
    return Centre()


def page_rows(client: Client, query: str = "") -> list[Any]:
    response = client.get(PAGE + query)
    assert response.status_code == 200
    return list(response.context["page_obj"])


def export(client: Client, query: str = "") -> list[list[str]]:
    response = client.get(EXPORT + query)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="apprentices-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# ---------------------------------------------------------------- whose rows


def test_the_admin_sees_every_apprentice_of_the_centre_with_hours_against_the_plan(
    client: Client, made: Centre
) -> None:
    ana = made.apprentice("Ana Lima")
    hours(ana, "95")
    hours(ana, "6", OffTheJobStatus.SUBMITTED)  # waiting: not counted
    hours(ana, "4", OffTheJobStatus.QUERIED)  # queried: not counted
    ben = made.apprentice("Ben Cole", assessor=made.other_assessor, reduction="40")
    hours(ben, "20")
    made.apprentice("Cara Diaz", employer=made.formula, started=-10)  # not started yet
    made.registration("Dan Noprog")  # no programme record: not an apprentice
    made.apprentice("Eve Left", status=RegistrationStatus.WITHDRAWN)
    elsewhere = Centre()
    hours(elsewhere.apprentice("Fay Far"), "10")

    wear(client, made.admin, Role.CENTRE_ADMIN)
    rows = {row.apprentice: row for row in page_rows(client)}

    assert list(rows) == ["Ana Lima", "Ben Cole", "Cara Diaz"]
    ana_row = rows["Ana Lima"]
    assert (ana_row.approved, ana_row.planned_to_date, ana_row.planned_total) == (95, 100, 400)
    # Five short, within the tenth's tolerance: not behind.
    assert (ana_row.hours_behind, ana_row.behind) == (5, False)
    assert ana_row.employer == "Harbour Hotels"
    assert ana_row.standard == "Customer Service Practitioner, version 1.2"
    assert (ana_row.english, ana_row.maths) == ("Already held", "In progress")
    # 360 hours (400 less 40 of prior learning) over 400 days, 100 gone: 90 due, 20 approved.
    ben_row = rows["Ben Cole"]
    assert (ben_row.approved, ben_row.planned_to_date, ben_row.planned_total) == (20, 90, 360)
    assert (ben_row.hours_behind, ben_row.behind) == (70, True)
    cara_row = rows["Cara Diaz"]
    assert (cara_row.approved, cara_row.planned_to_date, cara_row.hours_behind) == (0, 0, 0)
    assert cara_row.behind is False


def test_the_behind_flag_is_the_logs_own(made: Centre) -> None:
    # Exactly nine tenths of the plan to date approved: short by 10 hours, and not behind, as
    # the apprentice's log says; a quarter of an hour less and it is behind.
    today = clock.today()
    level = made.apprentice("Ana Lima")
    hours(level, "90")
    short = made.apprentice("Ben Cole")
    hours(short, "89.75")
    registrations = Registration.objects.filter(pk__in=[level.pk, short.pk])
    records = list(
        Apprenticeship.objects.filter(registration__in=registrations)
        .order_by("registration__learner__full_name")
        .values(*RECORD_FIELDS)
    )

    rows = cohort_rows(records, Lookups(approved_hours(registrations), {}, {}), today)

    assert [(row.hours_behind, row.behind) for row in rows] == [
        (Decimal("10"), False),
        (Decimal("10.25"), True),
    ]
    plan = off_the_job.programme_plan(short)
    assert plan is not None
    assert off_the_job.behind(plan.hours, Decimal("89.75"), plan.start, plan.end, today) is True


def test_an_assessor_sees_those_they_assess_and_an_iv_those_they_verify(
    client: Client, made: Centre
) -> None:
    made.apprentice("Ana Lima")
    made.apprentice("Ben Cole", assessor=made.other_assessor)
    made.apprentice("Cara Diaz", assessor=made.other_assessor, internal_verifier=None)

    wear(client, made.assessor, Role.ASSESSOR)
    assert [row.apprentice for row in page_rows(client)] == ["Ana Lima"]
    wear(client, made.other_assessor, Role.ASSESSOR)
    assert [row.apprentice for row in page_rows(client)] == ["Ben Cole", "Cara Diaz"]
    wear(client, made.iv, Role.INTERNAL_VERIFIER)
    assert [row.apprentice for row in page_rows(client)] == ["Ana Lima", "Ben Cole"]


def test_only_the_role_worn_now_counts(client: Client, made: Centre) -> None:
    # An assessor who is also the centre's admin sees, as assessor, only their own apprentices.
    made.apprentice("Ana Lima", assessor=made.other_assessor)
    Membership.objects.create(user=made.assessor, centre=made.centre, role=Role.CENTRE_ADMIN)

    wear(client, made.assessor, Role.ASSESSOR)
    assert page_rows(client) == []
    wear(client, made.assessor, Role.CENTRE_ADMIN)
    assert [row.apprentice for row in page_rows(client)] == ["Ana Lima"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.EMPLOYER, Role.EQA])
def test_learners_employer_contacts_and_the_eqa_are_refused_the_page_and_the_csv(
    client: Client, made: Centre, role: str
) -> None:
    ana = made.apprentice("Ana Lima")
    person = {
        Role.LEARNER: ana.learner,
        Role.EMPLOYER: member(made.centre, Role.EMPLOYER, employer=made.harbour),
        Role.EQA: member(made.centre, Role.EQA),
    }[role]

    wear(client, person, role)

    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_cohort_is_a_part_of_what_the_role_sees(made: Centre) -> None:
    made.apprentice("Ana Lima")
    made.apprentice("Ben Cole", assessor=made.other_assessor)
    for person, role in (
        (made.admin, Role.CENTRE_ADMIN),
        (made.assessor, Role.ASSESSOR),
        (made.iv, Role.INTERNAL_VERIFIER),
    ):
        membership = Membership.objects.get(user=person, role=role)
        listed = set(cohort_registrations(person, membership))
        assert listed
        assert listed <= set(Registration.objects.visible_to(person))


# ---------------------------------------------------------------- filters, order, pages


def test_it_filters_by_employer_and_by_behind_and_sorts_by_hours_behind(
    client: Client, made: Centre
) -> None:
    hours(made.apprentice("Ana Lima"), "95")  # 5 behind, not behind
    hours(made.apprentice("Ben Cole"), "20")  # 80 behind
    hours(made.apprentice("Cara Diaz", employer=made.formula), "50")  # 50 behind
    wear(client, made.admin, Role.CENTRE_ADMIN)

    assert [row.apprentice for row in page_rows(client, f"?employer={made.formula.pk}")] == [
        "Cara Diaz"
    ]
    assert [row.apprentice for row in page_rows(client, "?behind=on")] == ["Ben Cole", "Cara Diaz"]
    assert [row.apprentice for row in page_rows(client, "?sort=behind")] == [
        "Ben Cole",
        "Cara Diaz",
        "Ana Lima",
    ]
    both = f"?employer={made.harbour.pk}&behind=on&sort=behind"
    assert [row.apprentice for row in page_rows(client, both)] == ["Ben Cole"]
    html = client.get(PAGE + "?behind=on").content.decode()
    assert "No apprentice matches." not in html
    assert 'class="badge text-bg-warning">Behind' in html


def test_another_centres_employer_is_no_choice(client: Client, made: Centre) -> None:
    made.apprentice("Ana Lima")
    elsewhere = Centre()
    elsewhere.apprentice("Fay Far")
    wear(client, made.admin, Role.CENTRE_ADMIN)

    response = client.get(PAGE + f"?employer={elsewhere.harbour.pk}")

    # An employer not offered filters nothing: the centre's own apprentices, no one else's.
    assert response.context["form"].errors["employer"]
    assert [row.apprentice for row in response.context["page_obj"]] == ["Ana Lima"]
    assert "Fay Far" not in response.content.decode()
    assert [line[0] for line in export(client, f"?employer={elsewhere.harbour.pk}")[1:]] == [
        "Ana Lima"
    ]


@pytest.mark.parametrize("query", ["", "?sort=behind"])
def test_the_cohort_comes_in_pages(client: Client, made: Centre, query: str) -> None:
    for index in range(PAGE_SIZE + 2):
        made.apprentice(f"Apprentice {index:02}")
    wear(client, made.admin, Role.CENTRE_ADMIN)

    first = page_rows(client, query)
    second = client.get(PAGE + (query + "&" if query else "?") + "page=2")

    assert len(first) == PAGE_SIZE
    assert [row.apprentice for row in second.context["page_obj"]] == [
        "Apprentice 25",
        "Apprentice 26",
    ]
    assert "Page 2 of 2" in second.content.decode()


def test_the_table_stacks_on_a_phone_and_links_each_apprentices_pages(
    client: Client, made: Centre
) -> None:
    ana = made.apprentice("Ana Lima")
    made.apprentice("Ben Cole")
    wear(client, made.admin, Role.CENTRE_ADMIN)

    html = client.get(PAGE).content.decode()

    assert assert_stacked(html) == 2 * 11
    assert f'href="{reverse("portfolios:registration", args=[ana.pk])}"' in html
    assert f'href="{reverse("off_the_job:log", args=[ana.pk])}"' in html
    assert f'href="{EXPORT}"' in html
    # The page's filters go with the download.
    filtered = client.get(PAGE + "?behind=on&sort=behind").content.decode()
    assert f'href="{EXPORT}?behind=on&amp;sort=behind"' in filtered


def test_the_header_marks_apprentices_on_its_page(client: Client, made: Centre) -> None:
    wear(client, made.admin, Role.CENTRE_ADMIN)

    html = client.get(PAGE).content.decode()

    assert ("Apprentices", PAGE, "page") in header_links(html)
    assert "No apprentices yet" in html
    # The CSV is a page of its section.
    assert current(APPRENTICES, "cohort:export") == "true"


def test_functional_skills_read_as_a_word_or_two() -> None:
    assert functional_skill_text("exempt", "not_started") == "Exempt"
    assert functional_skill_text("held", "in_progress") == "Already held"
    assert functional_skill_text("required", "achieved") == "Achieved"
    assert functional_skill_text("required", "not_started") == "Not started"


# ---------------------------------------------------------------- the CSV


def test_the_csv_has_a_row_per_apprentice_with_the_pages_columns(
    client: Client, made: Centre
) -> None:
    today = clock.today()
    ana = made.apprentice("Ana Lima")
    hours(ana, "95.5")
    hours(made.apprentice("Ben Cole", employer=made.formula, reduction="40"), "20")
    made.registration("Dan Noprog")
    wear(client, made.admin, Role.CENTRE_ADMIN)

    table = export(client)

    assert table[0] == list(EXPORT_HEADERS)
    review_due = (today - datetime.timedelta(days=100 - 84)).isoformat()
    start = (today - datetime.timedelta(days=100)).isoformat()
    end = (today + datetime.timedelta(days=300)).isoformat()
    assert table[1:] == [
        [
            "Ana Lima",
            "Harbour Hotels",
            "Customer Service Practitioner, version 1.2",
            start,
            end,
            "95.5",
            "100",
            "400",
            "4.5",
            "No",
            "Already held",
            "In progress",
            # Started 100 days ago, no review signed: the first was due 12 weeks in.
            review_due,
            "Yes",
            "Not ready: 1 of 6 met",
        ],
        [
            "Ben Cole",
            # The employer's formula is shown as text: a spreadsheet never runs it.
            "'" + FORMULA,
            "Customer Service Practitioner, version 1.2",
            start,
            end,
            "20",
            "90",
            "360",
            "70",
            "Yes",
            "Already held",
            "In progress",
            review_due,
            "Yes",
            "Not ready: 1 of 6 met",
        ],
    ]


def test_the_csv_takes_the_pages_filters_and_order(client: Client, made: Centre) -> None:
    hours(made.apprentice("Ana Lima"), "95")
    hours(made.apprentice("Ben Cole"), "20")
    hours(made.apprentice("Cara Diaz", employer=made.formula), "50")
    wear(client, made.assessor, Role.ASSESSOR)

    assert [line[0] for line in export(client, "?sort=behind")[1:]] == [
        "Ben Cole",
        "Cara Diaz",
        "Ana Lima",
    ]
    assert [line[0] for line in export(client, f"?behind=on&employer={made.harbour.pk}")[1:]] == [
        "Ben Cole"
    ]


# ---------------------------------------------------------------- queries


def test_the_approved_hours_of_many_registrations_are_one_query(made: Centre) -> None:
    registrations = [made.apprentice(f"Apprentice {index}") for index in range(5)]
    for index, registration in enumerate(registrations[:4]):
        hours(registration, str(10 * (index + 1)))
        hours(registration, "3", OffTheJobStatus.SUBMITTED)

    with CaptureQueriesContext(connection) as queries:
        found = approved_hours([r.pk for r in registrations])

    assert len(queries) == 1
    assert found == {registrations[i].pk: Decimal(10 * (i + 1)) for i in range(4)}


def many(made: Centre, count: int) -> None:
    for index in range(count):
        registration = made.apprentice(f"Apprentice {index:02}")
        hours(registration, str(index + 1))
        hours(registration, "2", OffTheJobStatus.SUBMITTED)


# Measured, the same for 1 apprentice and 30: session, user, the role worn (3), the employers
# of the filter (1); by name: the count, the page's records and their hours (3); sorted by
# hours behind or only those behind: the cohort's records and their hours (2). Then the rows'
# lookups: the next reviews (1), the gateway checklist (7: the programme records, the
# standards' statements as ids (2), the units taken, criteria met, units signed off and named
# gaps; the hours are the rows' own), the declarations' signatures and the results (2).
LOOKUPS = 10
BY_NAME_QUERIES = 7 + LOOKUPS
BY_HOURS_QUERIES = 6 + LOOKUPS


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize(
    ("query", "expected"),
    [("", BY_NAME_QUERIES), ("?sort=behind", BY_HOURS_QUERIES), ("?behind=on", BY_HOURS_QUERIES)],
)
def test_a_page_of_the_cohort_costs_the_same_queries_for_one_apprentice_or_thirty(
    client: Client,
    made: Centre,
    count: int,
    query: str,
    expected: int,
    django_assert_num_queries: Any,
) -> None:
    many(made, count)
    wear(client, made.admin, Role.CENTRE_ADMIN)
    client.get(PAGE + query)

    with django_assert_num_queries(expected):
        response = client.get(PAGE + query)

    assert response.status_code == 200
    assert len(response.context["page_obj"]) == min(count, PAGE_SIZE)


@pytest.mark.parametrize(
    ("query", "checked"),
    [("?sort=behind", PAGE_SIZE), ("?behind=on", PAGE_SIZE), ("?review_overdue=on", 30)],
)
def test_sorted_by_hours_behind_only_the_pages_rows_have_their_gateway_checklist_worked_out(
    client: Client, made: Centre, monkeypatch: pytest.MonkeyPatch, query: str, checked: int
) -> None:
    # The hours of all 30 decide the order; the dearest lookup, the gateway checklist, is
    # asked of the 25 shown. Keeping rows by review or gateway needs it of every row first.
    many(made, 30)
    wear(client, made.admin, Role.CENTRE_ADMIN)
    asked: list[int] = []
    real = cohort_module.gateway_states

    def counted(registrations: Any, **kwargs: Any) -> Any:
        asked.append(len(registrations))
        return real(registrations, **kwargs)

    monkeypatch.setattr(cohort_module, "gateway_states", counted)
    rows = page_rows(client, query)

    assert asked == [checked]
    if query == "?sort=behind":
        # The 30th logged most: least behind, so last; the first page starts with the first.
        assert rows[0].apprentice == "Apprentice 00"
        assert all(row.gateway is not None and row.review is not None for row in rows)


@pytest.mark.parametrize("count", [1, 30])
def test_the_csv_costs_the_same_queries_for_one_apprentice_or_thirty(
    client: Client, made: Centre, count: int, django_assert_num_queries: Any
) -> None:
    many(made, count)
    wear(client, made.admin, Role.CENTRE_ADMIN)
    export(client)

    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(export(client)) == count + 1


# Session, user, the role worn, the employers of the filter, the cohort's records and hours,
# and the rows' lookups.
EXPORT_QUERIES = 6 + LOOKUPS


def test_filters_left_out_are_no_filter() -> None:
    assert Filters() == Filters(employer_id=None, only_behind=False, sort="name")


def test_each_row_says_when_the_next_review_is_due_and_the_filter_keeps_the_overdue(
    client: Client, made: Centre
) -> None:
    """The first review is due 12 weeks (the default interval) after the practical period
    starts: 100 days in, it is 16 days overdue; 30 days in, it is due in 54."""
    today = clock.today()
    made.apprentice("Ana Lima", started=100)
    made.apprentice("Ben Cole", started=30)
    wear(client, made.admin, Role.CENTRE_ADMIN)

    rows = {row.apprentice: row for row in client.get(reverse("cohort:page")).context["page_obj"]}
    assert rows["Ana Lima"].review is not None
    assert (rows["Ana Lima"].review.overdue, rows["Ana Lima"].review.days_overdue) == (True, 16)
    assert rows["Ben Cole"].review is not None
    assert rows["Ben Cole"].review.overdue is False
    assert rows["Ben Cole"].review.due == today + datetime.timedelta(days=54)
    overdue = client.get(reverse("cohort:page") + "?review_overdue=on")
    assert [row.apprentice for row in overdue.context["page_obj"]] == ["Ana Lima"]
    assert 'data-testid="review-overdue"' in overdue.content.decode()
    assert [line[0] for line in export(client, "?review_overdue=on")[1:]] == ["Ana Lima"]


def test_each_row_says_where_the_apprentice_stands_at_the_gateway(
    client: Client, made: Centre
) -> None:
    """Not ready: how many of the checklist's items are met, linked to the gateway page; and
    none is kept by "ready for the gateway" (the demo's test keeps one that is)."""
    ana = made.apprentice("Ana Lima")
    wear(client, made.admin, Role.CENTRE_ADMIN)

    response = client.get(reverse("cohort:page"))

    [row] = response.context["page_obj"]
    assert row.gateway is not None
    assert row.gateway.readiness.ready is False
    assert row.gateway.text == "Not ready: 1 of 6 met"
    assert reverse("gateway:page", args=[ana.pk]) in response.content.decode()
    ready = client.get(reverse("cohort:page") + "?gateway_ready=on")
    assert list(ready.context["page_obj"]) == []
