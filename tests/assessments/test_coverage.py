"""Apprenticeship-standard coverage: the rule, the registration page and the cohort page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Centre, Role, User
from assessments.coverage import State, coverage_for, met_criteria, statement_coverage
from assessments.models import Decision
from assessments.services import record_decision, sign_off_unit
from assessments.validation import set_release_setting, validate_decisions
from portfolios.models import Registration
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, Standard, Statement, Unit
from qualifications.standards import MappedStatement, qualifications_for, standards_for
from tests.factories import (
    DEFAULT_PASSWORD,
    CentreFactory,
    RegistrationFactory,
    mapped_evidence,
    member,
)
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

NCFE = "601/3973/0"  # the qualification the Customer Service Practitioner mapping is for
IMI = "601/3456/2"  # shares NCFE's units (the same Ofqual units and criteria)
PEARSON_DIPLOMA = "603/5450/1"  # Annexe A maps the Customer Service Specialist to its units
PEARSON_CERTIFICATE = "603/5449/5"  # units 1-4 of the Diploma
SFJ = "601/1109/4"  # maps to no standard
UNDERSTAND_CUSTOMERS = "F/506/2131"  # CS 8, 9 criteria; K2 and K14 map to some of them
PERSONAL_PERFORMANCE = "L/506/1788"  # M&L 1; K12 maps to two of its criteria only


def criterion(unit_key: str, number: str) -> AssessmentCriterion:
    return AssessmentCriterion.objects.get(unit__key=unit_key, number=number)


def centre_with(*numbers: str) -> Centre:
    centre = CentreFactory()
    centre.qualifications.add(*Qualification.objects.filter(number__in=numbers))
    return centre


def register(
    centre: Centre,
    number: str,
    *,
    units: tuple[str, ...] = (),
    assessor: User | None = None,
    iv: User | None = None,
    name: str = "",
) -> Registration:
    today = clock.today()
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, **({"full_name": name} if name else {}))
    return register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=Qualification.objects.get(number=number),
        start_date=today,
        unit_keys=units,
        assessors=[assessor] if assessor else [],
        internal_verifier=iv,
    )


def meet(registration: Registration, assessor: User, *criteria: AssessmentCriterion) -> None:
    today = clock.today()
    for item in criteria:
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=item,
            outcome="met",
            method="observation",
            assessed_on=today,
            evidence=[mapped_evidence(registration, item)],
        )


def states(registration: Registration) -> dict[str, str]:
    standards = list(standards_for([registration.qualification_id]))
    [coverage] = coverage_for([registration], standards)[registration.pk]
    return {row.statement.code: row.state for row in coverage.statements}


@pytest.fixture
def ncfe() -> dict:
    centre = centre_with(NCFE, IMI)
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = register(
        centre,
        NCFE,
        units=(UNDERSTAND_CUSTOMERS, PERSONAL_PERFORMANCE),
        assessor=assessor,
        iv=iv,
        name="Ana Lima",
    )
    return {"centre": centre, "assessor": assessor, "iv": iv, "registration": registration}


# ---------------------------------------------------------------- the rule


def test_which_qualifications_map_to_which_standards() -> None:
    practitioner = Standard.objects.get(code="customer-service-practitioner")
    specialist = Standard.objects.get(code="customer-service-specialist")

    assert {q.number for q in qualifications_for(practitioner)} == {NCFE, IMI}
    assert {q.number for q in qualifications_for(specialist)} == {
        PEARSON_DIPLOMA,
        PEARSON_CERTIFICATE,
    }
    sfj = Qualification.objects.get(number=SFJ)
    assert not standards_for([sfj.pk]).exists()
    imi = Qualification.objects.get(number=IMI)
    assert list(standards_for([imi.pk])) == [practitioner]


def test_criterion_mapping_covers_partly_covers_or_not_yet(ncfe: dict) -> None:
    today = clock.today()
    registration, assessor = ncfe["registration"], ncfe["assessor"]
    before = states(registration)
    assert before["K2"] == before["K14"] == before["K12"] == State.NOT_YET

    # K2 maps to CS 8 1.1 and to CS 19, which this learner does not take: 1.1 alone covers it.
    # K14 maps to CS 8 2.4 and 2.5 (and units not taken): one of the two partly covers it.
    meet(registration, assessor, criterion(UNDERSTAND_CUSTOMERS, "1.1"))
    meet(registration, assessor, criterion(UNDERSTAND_CUSTOMERS, "2.4"))
    record_decision(
        assessor=assessor,
        registration=registration,
        criterion=criterion(UNDERSTAND_CUSTOMERS, "2.5"),
        outcome="not_yet_met",
        method="observation",
        assessed_on=today,
    )

    after = states(registration)
    assert after["K2"] == State.COVERED
    assert after["K14"] == State.PARTLY
    assert after["K12"] == State.NOT_YET
    assert met_criteria([registration])[registration.pk] == {
        criterion(UNDERSTAND_CUSTOMERS, "1.1").pk,
        criterion(UNDERSTAND_CUSTOMERS, "2.4").pk,
    }


def test_a_corrected_decision_counts_only_as_its_current_outcome(ncfe: dict) -> None:
    today = clock.today()
    registration, assessor = ncfe["registration"], ncfe["assessor"]
    first = record_decision(
        assessor=assessor,
        registration=registration,
        criterion=criterion(UNDERSTAND_CUSTOMERS, "1.1"),
        outcome="met",
        method="observation",
        assessed_on=today,
        evidence=[mapped_evidence(registration, criterion(UNDERSTAND_CUSTOMERS, "1.1"))],
    )
    assert states(registration)["K2"] == State.COVERED

    record_decision(
        assessor=assessor,
        registration=registration,
        criterion=first.criterion,
        outcome="not_yet_met",
        method="observation",
        assessed_on=today,
        supersedes=first,
        reason="The account was a colleague's.",
    )

    assert states(registration)["K2"] == State.NOT_YET


def test_explicit_no_mapping_and_units_not_taken_say_which(ncfe: dict) -> None:
    found = states(ncfe["registration"])

    # The NCFE document prints "No mapping" against K1 and K5.
    assert found["K1"] == found["K5"] == State.NO_MAPPING
    # K4 maps only to CS 7 (A/506/2130), which this learner does not take.
    assert found["K4"] == State.OUTSIDE_UNITS


def test_a_statement_the_mapping_names_nothing_for_is_unmapped_not_no_mapping() -> None:
    statement = Statement(code="K99", category="K", text="Something new.", no_mapping=False)

    result = statement_coverage(MappedStatement(statement), taken={1}, met={1}, signed_off={1})

    assert result.state == State.UNMAPPED
    assert result.label == "Not mapped: the mapping names no criteria or units for it"


def test_a_decision_waiting_for_iv_validation_does_not_cover_yet(ncfe: dict) -> None:
    """Where the centre has the IV validate decisions first, coverage waits for the validation,
    so the page never gives away an outcome the learner may not see yet."""
    registration, assessor, iv = ncfe["registration"], ncfe["assessor"], ncfe["iv"]
    set_release_setting(
        actor=member(ncfe["centre"], Role.CENTRE_ADMIN),
        centre=ncfe["centre"],
        qualification=registration.qualification,
        validation_required=True,
    )
    meet(registration, assessor, criterion(UNDERSTAND_CUSTOMERS, "1.1"))
    assert states(registration)["K2"] == State.NOT_YET

    validate_decisions(
        validator=iv,
        decisions=Decision.objects.filter(registration=registration),
        outcome="agreed",
    )
    assert states(registration)["K2"] == State.COVERED


def test_unit_level_mapping_counts_when_the_unit_is_signed_off() -> None:
    centre = centre_with(PEARSON_DIPLOMA)
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = register(centre, PEARSON_DIPLOMA, assessor=assessor, iv=iv)
    unit_5 = Unit.objects.get(key="PEARSON:Unit 5")
    # Annexe A: B2 maps to Unit 5 alone, S4 to Units 5 and 6.
    meet(registration, assessor, *unit_5.criteria.order_by("position"))

    every_criterion_met = states(registration)
    assert every_criterion_met["B2"] == every_criterion_met["S4"] == State.NOT_YET

    # Pearson: the IV validates the decisions before the unit can be signed off.
    validate_decisions(
        validator=iv,
        decisions=Decision.objects.filter(registration=registration),
        outcome="agreed",
    )
    sign_off_unit(
        assessor=assessor,
        registration=registration,
        unit=unit_5,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    signed = states(registration)
    assert signed["B2"] == State.COVERED
    assert signed["S4"] == State.PARTLY
    assert signed["K2"] == State.NOT_YET


def test_the_certificate_reaches_the_specialist_standard_through_units_1_to_4_only() -> None:
    centre = centre_with(PEARSON_CERTIFICATE)
    registration = register(centre, PEARSON_CERTIFICATE)

    found = states(registration)

    # S1-S5 and B1-B5 map to Units 5-8, which the Certificate does not hold.
    assert {code for code, state in found.items() if state == State.OUTSIDE_UNITS} == {
        "S1",
        "S2",
        "S3",
        "S4",
        "S5",
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
    }
    assert found["K1"] == found["K2"] == State.NOT_YET


# ---------------------------------------------------------------- the registration page


def coverage_url(registration: Registration) -> str:
    return reverse("assessments:coverage", args=[registration.pk])


def test_the_page_shows_each_statement_its_state_in_words_and_the_criteria(
    client: Client, ncfe: dict
) -> None:
    registration = ncfe["registration"]
    meet(registration, ncfe["assessor"], criterion(UNDERSTAND_CUSTOMERS, "1.1"))
    client.force_login(registration.learner)

    response = client.get(coverage_url(registration))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    for heading in ("Knowledge: 1 of 15 covered", "Skills: 0 of 9 covered", "Behaviours"):
        assert heading in html
    assert "1 of 34 statements covered" in html
    assert 'data-testid="statement-K2" data-state="covered"' in html
    assert "Understand the difference between internal and ext" in html
    assert 'data-testid="statement-K1" data-state="no_mapping"' in html
    assert "Not mapped: the specification says no unit covers it" in html
    assert "Not mapped through this learner&#x27;s units" in html
    assert "1 of 1 criteria met" in html  # K2 within this learner's units
    unit_url = reverse(
        "assessments:unit", args=[registration.pk, Unit.objects.get(key=UNDERSTAND_CUSTOMERS).pk]
    )
    assert f'href="{unit_url}"' in html
    assert "How coverage is worked out" in html


def test_the_portfolio_links_to_the_page_only_when_the_qualification_maps_to_a_standard(
    client: Client, ncfe: dict
) -> None:
    registration = ncfe["registration"]
    centre = centre_with(IMI)
    imi = register(centre, IMI)
    sfj = RegistrationFactory(
        learner=registration.learner,
        centre=ncfe["centre"],
        qualification=Qualification.objects.get(number=SFJ),
    )
    client.force_login(registration.learner)

    def portfolio(reg: Registration) -> str:
        return client.get(reverse("evidence:portfolio", args=[reg.pk])).content.decode()

    assert coverage_url(registration) in portfolio(registration)
    assert coverage_url(sfj) not in portfolio(sfj)
    assert client.get(coverage_url(sfj)).status_code == 404
    client.force_login(imi.learner)
    assert coverage_url(imi) in portfolio(imi)
    imi_page = client.get(coverage_url(imi)).content.decode()
    assert "reaches this qualification through the units they share" in imi_page


def test_who_may_see_a_registrations_coverage(client: Client, ncfe: dict) -> None:
    registration, centre = ncfe["registration"], ncfe["centre"]
    elsewhere = CentreFactory()
    people = {
        "learner": (registration.learner, 200),
        "assessor": (ncfe["assessor"], 200),
        "iv": (ncfe["iv"], 200),
        "admin": (member(centre, Role.CENTRE_ADMIN), 200),
        "eqa": (member(centre, Role.EQA), 200),
        "another learner": (member(centre, Role.LEARNER), 404),
        "an unassigned assessor": (member(centre, Role.ASSESSOR), 404),
        "an admin elsewhere": (member(elsewhere, Role.CENTRE_ADMIN), 404),
    }

    found = {}
    for who, (person, _) in people.items():
        client.force_login(person)
        found[who] = client.get(coverage_url(registration)).status_code

    assert found == {who: status for who, (_, status) in people.items()}


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_page_costs_the_same_queries_whatever_the_decisions_and_units(
    client: Client, ncfe: dict, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    small = ncfe["registration"]
    every_unit = tuple(
        Qualification.objects.get(number=NCFE).memberships.values_list("unit__key", flat=True)
    )
    assessor = ncfe["assessor"]
    large = register(ncfe["centre"], NCFE, units=every_unit, assessor=assessor)
    meet(large, assessor, *AssessmentCriterion.objects.filter(unit__key__in=every_unit)[:80])
    client.force_login(assessor)
    _count(client, coverage_url(small))  # warm the session

    # Session, user, registration, standards, statements, links, mapped units, units taken,
    # met criteria, sign-offs, and the header's memberships.
    with django_assert_num_queries(_count(client, coverage_url(small))) as captured:
        html = client.get(coverage_url(large)).content.decode()
    assert len(captured.captured_queries) <= 12
    assert html.count('data-testid="statement-') == 34


# ---------------------------------------------------------------- the cohort page


def cohort_url(standard: Standard, **query: object) -> str:
    url = reverse("assessments:cohort", args=[standard.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


@pytest.fixture
def practitioner() -> Standard:
    return Standard.objects.get(code="customer-service-practitioner")


def test_the_assessor_sees_their_caseload_with_covered_counts_per_category(
    client: Client, ncfe: dict, practitioner: Standard
) -> None:
    centre, assessor = ncfe["centre"], ncfe["assessor"]
    mine = ncfe["registration"]
    meet(mine, assessor, criterion(UNDERSTAND_CUSTOMERS, "1.1"))
    also_mine = register(centre, IMI, assessor=assessor, name="Bo Chen")
    not_mine = register(centre, NCFE, units=(UNDERSTAND_CUSTOMERS,), name="Cy Dee")
    client.force_login(assessor)

    response = client.get(cohort_url(practitioner))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="learner-{mine.pk}"' in html
    assert f'data-testid="learner-{also_mine.pk}"' in html
    assert f'data-testid="learner-{not_mine.pk}"' not in html
    row = html.split(f'data-testid="learner-{mine.pk}"')[1].split("</tr>")[0]
    assert coverage_url(mine) in row
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    assert cells[1:] == ["1 of 34", "1 of 15", "0 of 9", "0 of 10"]
    tally = html.split('data-testid="tally-K2"')[1].split("</tr>")[0]
    assert '<td data-label="Covered">1</td>' in tally  # one of the two learners covers K2
    k1 = html.split('data-testid="tally-K1"')[1].split("</tr>")[0]
    assert k1.count(">2</td>") == 1  # K1 is not mapped for either


def test_the_cohort_filters_by_qualification_and_refuses_others_clearly(
    client: Client, ncfe: dict, practitioner: Standard
) -> None:
    centre, assessor = ncfe["centre"], ncfe["assessor"]
    imi = register(centre, IMI, assessor=assessor)
    ncfe_pk = Qualification.objects.get(number=NCFE).pk
    client.force_login(assessor)

    only_ncfe = client.get(cohort_url(practitioner, qualification=ncfe_pk)).content.decode()
    sfj_pk = Qualification.objects.get(number=SFJ).pk
    refused = client.get(cohort_url(practitioner, qualification=sfj_pk)).content.decode()

    assert f'data-testid="learner-{ncfe["registration"].pk}"' in only_ncfe
    assert f'data-testid="learner-{imi.pk}"' not in only_ncfe
    assert f'value="{ncfe_pk}" selected' in only_ncfe
    assert "Show every qualification" in only_ncfe
    assert "does not map to this standard" in refused
    assert f'data-testid="learner-{imi.pk}"' in refused  # shows everything instead


def test_who_sees_whom_in_the_cohort(client: Client, ncfe: dict, practitioner: Standard) -> None:
    centre, iv = ncfe["centre"], ncfe["iv"]
    verified_by_other = register(centre, NCFE, units=(UNDERSTAND_CUSTOMERS,))
    elsewhere = register(centre_with(NCFE), NCFE, units=(UNDERSTAND_CUSTOMERS,))
    admin, eqa = member(centre, Role.CENTRE_ADMIN), member(centre, Role.EQA)

    def shown(person: User) -> set[int]:
        client.force_login(person)
        html = client.get(cohort_url(practitioner)).content.decode()
        regs = (ncfe["registration"], verified_by_other, elsewhere)
        return {r.pk for r in regs if f'data-testid="learner-{r.pk}"' in html}

    assert shown(iv) == {ncfe["registration"].pk}
    assert shown(admin) == shown(eqa) == {ncfe["registration"].pk, verified_by_other.pk}
    client.force_login(ncfe["registration"].learner)
    assert client.get(cohort_url(practitioner)).status_code == 403
    assert client.get(reverse("assessments:standards")).status_code == 403
    client.force_login(admin)
    assert client.get(reverse("assessments:cohort", args=[999999])).status_code == 404


def test_the_standards_page_lists_the_centres_standards_and_the_home_pages_link_it(
    client: Client, ncfe: dict, practitioner: Standard
) -> None:
    client.force_login(ncfe["assessor"])

    html = client.get(reverse("assessments:standards")).content.decode()
    home = client.get(reverse("home")).content.decode()

    assert cohort_url(practitioner) in html
    assert "Customer Service Specialist" not in html  # the centre offers no Pearson
    assert reverse("assessments:standards") in home
    for person in (ncfe["iv"], member(ncfe["centre"], Role.CENTRE_ADMIN)):
        client.force_login(person)
        assert reverse("assessments:standards") in client.get(reverse("home")).content.decode()


def test_the_cohort_costs_the_same_queries_for_3_and_30_learners(
    client: Client, practitioner: Standard, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    def cohort_of(size: int) -> tuple[User, Centre]:
        centre = centre_with(NCFE)
        assessor = member(centre, Role.ASSESSOR)
        for n in range(size):
            registration = register(
                centre, NCFE, units=(UNDERSTAND_CUSTOMERS, PERSONAL_PERFORMANCE), assessor=assessor
            )
            meet(registration, assessor, criterion(UNDERSTAND_CUSTOMERS, "1.1"))
            if n % 2:
                meet(registration, assessor, criterion(UNDERSTAND_CUSTOMERS, "2.4"))
        return assessor, centre

    small_assessor, _ = cohort_of(3)
    large_assessor, _ = cohort_of(30)
    client.force_login(small_assessor)
    _count(client, cohort_url(practitioner))  # warm the session
    small = _count(client, cohort_url(practitioner))
    client.force_login(large_assessor)
    _count(client, cohort_url(practitioner))

    with django_assert_num_queries(small):
        html = client.get(cohort_url(practitioner)).content.decode()

    assert html.count('data-testid="learner-') == 30
    tally = html.split('data-testid="tally-K2"')[1].split("</tr>")[0]
    assert '<td data-label="Covered">30</td>' in tally
