"""Issue 17: competence is enforced, not only recorded.

SFJ handbook section 4.1 item 6 ("Appropriate A and V units according to their role – within 18
months of working with the Standards for Assessors and IVs"), 4.2 items 1, 2 and 5 (assessors:
occupationally competent in a recent role, appropriately qualified), 4.3 items 1, 3 and 4 (IQAs);
Pearson, general resource requirements: "current occupational experience (within the last three
years)" and "a relevant qualification in assessment and/or internal quality assurance".

Each rule is tried as the wrong person or at the wrong moment, from the UI where there is one,
and the refusal names the rule and its source.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.competence import add_months, competence_for, competence_table
from accounts.models import CompetenceRecord, Role, StaffCredential, User
from assessments.models import Decision, DecisionValidation, UnitSignOff
from assessments.services import AssessmentError, record_decision, sign_off_unit
from core.models import AuditEvent
from qualifications.models import Qualification
from tests.assessments.judging_data import form_data
from tests.assessments.test_release import pearson_case, submitted
from tests.factories import (
    DEFAULT_PASSWORD,
    CentreFactory,
    CompetenceRecordFactory,
    StaffCredentialFactory,
    UserFactory,
    member,
)
from tests.support import clock
from tests.verification.sample_cases import make_case, plan_sample
from verification.models import Sample

SFJ = "601/1109/4"
PEARSON = "603/5449/5"


def as_(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def _bare(centre: object, role: str) -> User:
    """A member of `centre` in `role` with nothing recorded (the default competence removed)."""
    user = member(centre, role)
    StaffCredential.objects.filter(user=user).delete()
    CompetenceRecord.objects.filter(user=user).delete()
    return user


def _lapse_experience(user: User) -> None:
    """Their occupational experience is now more than three years old."""
    today = clock.today()
    CompetenceRecord.objects.filter(user=user, kind="occupational").update(
        date=add_months(today, -37)
    )


# ---------------------------------------------------------------- the check itself


def test_a_held_credential_and_recent_experience_meet_the_requirements(catalogue: None) -> None:
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    assessor = member(centre, Role.ASSESSOR)
    competence = competence_for(assessor, centre, sfj, Role.ASSESSOR)
    assert competence.ok
    assert not competence.trainee


def test_no_qualification_is_refused_naming_sfj_section_4(catalogue: None) -> None:
    today = clock.today()
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    assessor = _bare(centre, Role.ASSESSOR)
    CompetenceRecordFactory(user=assessor, centre=centre, kind="occupational", date=today)
    competence = competence_for(assessor, centre, sfj, Role.ASSESSOR)
    assert not competence.ok
    message = competence.refusal()
    assert "no assessor qualification recorded at this centre covers 601/1109/4" in message
    assert "SFJ handbook section 4.2 item 5" in message
    assert "4.1 item 6" in message


def test_experience_older_than_three_years_is_refused_naming_pearson(catalogue: None) -> None:
    centre = CentreFactory()
    pearson = Qualification.objects.get(number=PEARSON)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    _lapse_experience(iv)
    competence = competence_for(iv, centre, pearson, Role.INTERNAL_VERIFIER)
    assert not competence.ok
    message = competence.refusal()
    assert "may not internally verify 603/5449/5" in message
    assert "is over 3 years old" in message
    assert "current occupational experience within the last 3 years" in message
    assert "Pearson specification" in message


def test_a_credential_covers_only_its_qualifications_or_levels(catalogue: None) -> None:
    today = clock.today()
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    pearson = Qualification.objects.get(number=PEARSON)
    assessor = _bare(centre, Role.ASSESSOR)
    CompetenceRecordFactory(user=assessor, centre=centre, kind="occupational", date=today)
    credential = StaffCredentialFactory(user=assessor, centre=centre, kind="assessor")
    credential.qualifications.set([sfj])
    assert competence_for(assessor, centre, sfj, Role.ASSESSOR).ok
    assert not competence_for(assessor, centre, pearson, Role.ASSESSOR).ok
    credential.qualifications.clear()
    credential.levels = ["1"] if pearson.level != "1" else ["2"]
    credential.save()
    assert not competence_for(assessor, centre, pearson, Role.ASSESSOR).ok
    # An experience record limited to one qualification does not count for another.
    credential.levels = []
    credential.save()
    CompetenceRecord.objects.get(user=assessor).qualifications.set([sfj])
    assert competence_for(assessor, centre, sfj, Role.ASSESSOR).ok
    assert "no occupational experience relevant to 603/5449/5" in (
        competence_for(assessor, centre, pearson, Role.ASSESSOR).refusal()
    )


def _trainee(centre: object, *, started: datetime.date, countersigner: User | None) -> User:
    today = clock.today()
    trainee = _bare(centre, Role.ASSESSOR)
    CompetenceRecordFactory(user=trainee, centre=centre, kind="occupational", date=today)
    StaffCredentialFactory(
        user=trainee,
        centre=centre,
        kind="assessor",
        status="working_towards",
        achieved_on=None,
        started_on=started,
        deadline=add_months(started, 18),
        countersigner=countersigner,
    )
    return trainee


def test_a_trainee_may_assess_for_18_months_with_a_qualified_countersigner(
    catalogue: None,
) -> None:
    today = clock.today()
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    mentor = member(centre, Role.ASSESSOR, full_name="Morag Mentor")
    trainee = _trainee(centre, started=today - timedelta(days=100), countersigner=mentor)
    competence = competence_for(trainee, centre, sfj, Role.ASSESSOR)
    assert competence.ok
    assert competence.countersigner == mentor

    # Past the 18 months (SFJ 4.1 item 6): refused, at the wrong moment.
    later = add_months(today - timedelta(days=100), 18) + timedelta(days=1)
    late = competence_for(trainee, centre, sfj, Role.ASSESSOR, on=later)
    assert not late.ok
    assert "the time allowed to achieve" in late.refusal()
    assert "SFJ handbook section 4.2 item 5 and section 4.1 item 6" in late.refusal()


def test_a_trainee_without_a_qualified_countersigner_is_refused(catalogue: None) -> None:
    today = clock.today()
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    alone = _trainee(centre, started=today, countersigner=None)
    assert "no countersigning qualified colleague named" in (
        competence_for(alone, centre, sfj, Role.ASSESSOR).refusal()
    )
    unqualified = _bare(centre, Role.ASSESSOR)
    led = _trainee(centre, started=today, countersigner=unqualified)
    message = competence_for(led, centre, sfj, Role.ASSESSOR).refusal()
    assert "holds no assessor qualification covering 601/1109/4" in message
    assert "SFJ handbook section 4.1 item 6 allows 18 months" in message


def test_what_lapses_within_60_days_is_warned(catalogue: None) -> None:
    today = clock.today()
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name="Ivy Verifier")
    CompetenceRecord.objects.filter(user=iv).update(date=add_months(today, -36) + timedelta(30))
    (row,) = competence_table(centre, [sfj])
    (competence,) = row.competences
    assert competence.ok
    (item,) = competence.lapsing()
    assert item.rule == "Occupational competence"
    assert item.until == today + timedelta(30)


# ---------------------------------------------------------------- enforced, from the UI


def test_an_assessor_whose_experience_lapsed_cannot_judge_on_the_form(
    client: Client, catalogue: None
) -> None:
    case = make_case(sign_off=False, judged=0)
    _lapse_experience(case.assessor)
    criterion = case.unit.criteria.order_by("position").first()
    response = as_(client, case.assessor).post(
        reverse("assessments:judge", args=[case.evidence.pk]),
        form_data(case.evidence, {criterion: "met"}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "may not assess 601/3456/2" in html
    assert "Institute of the Motor Industry&#x27;s assessment strategy" in html
    assert not Decision.objects.exists()


def test_record_decision_refuses_an_assessor_with_no_credential(catalogue: None) -> None:
    today = clock.today()
    case = make_case(sign_off=False, judged=0)
    StaffCredential.objects.filter(user=case.assessor).delete()
    criterion = case.unit.criteria.order_by("position").first()
    with pytest.raises(AssessmentError, match="no assessor qualification recorded"):
        record_decision(
            assessor=case.assessor,
            registration=case.registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=today,
            evidence=[case.evidence],
        )


def test_a_trainees_sign_off_needs_the_countersigners_password_and_records_it(
    client: Client, catalogue: None
) -> None:
    today = clock.today()
    case = make_case(sign_off=False)
    mentor = member(case.centre, Role.ASSESSOR, full_name="Morag Mentor")
    StaffCredential.objects.filter(user=case.assessor).update(
        status="working_towards",
        achieved_on=None,
        started_on=today - timedelta(days=30),
        deadline=add_months(today, 17),
        countersigner=mentor,
    )
    url = reverse("assessments:sign_off", args=[case.registration.pk, case.unit.pk])
    as_(client, case.assessor)
    response = client.post(url, {"password": DEFAULT_PASSWORD, "declared_authentic": "on"})
    assert response.status_code == 400
    assert "SFJ handbook section 4.1 item 6" in response.content.decode()
    assert "countersigns your sign-off" in response.content.decode()
    assert not UnitSignOff.objects.exists()

    response = client.post(
        url,
        {
            "password": DEFAULT_PASSWORD,
            "countersign_password": DEFAULT_PASSWORD,
            "declared_authentic": "on",
        },
    )
    assert response.status_code == 302
    sign_off = UnitSignOff.objects.get()
    assert sign_off.signed_by == case.assessor
    assert sign_off.countersigned_by == mentor
    event = AuditEvent.objects.get(action="unit.signed_off")
    assert event.data["countersigned_by"] == mentor.pk
    page = client.get(reverse("assessments:unit", args=[case.registration.pk, case.unit.pk]))
    assert "Countersigned by" in page.content.decode()
    assert "Morag Mentor" in page.content.decode()


def test_a_qualified_assessors_sign_off_needs_no_countersignature(catalogue: None) -> None:
    case = make_case(sign_off=False)
    sign_off = sign_off_unit(
        assessor=case.assessor,
        registration=case.registration,
        unit=case.unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    assert sign_off.countersigned_by is None


def test_an_iv_with_no_credential_cannot_validate(client: Client, catalogue: None) -> None:
    today = clock.today()
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    decision = record_decision(
        assessor=case["assessor"],
        registration=case["registration"],
        criterion=case["criterion"],
        outcome="met",
        method="product",
        assessed_on=today,
        evidence=[evidence],
    )
    StaffCredential.objects.filter(user=case["iv"]).delete()
    response = as_(client, case["iv"]).post(
        reverse("assessments:validate"), {"decisions": [decision.pk], "outcome": "agreed"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "no internal verifier qualification recorded at this centre covers 603/5449/5" in html
    assert "Pearson specification" in html
    assert not DecisionValidation.objects.exists()


def test_an_iv_whose_experience_lapsed_cannot_start_a_sample(
    client: Client, catalogue: None
) -> None:
    case = make_case()
    planned = plan_sample(case)
    _lapse_experience(case.iv)
    response = as_(client, case.iv).post(
        reverse("verification:sample_start", args=[planned.pk]), follow=True
    )
    html = response.content.decode()
    assert "may not internally verify 601/3456/2" in html
    assert "is over 3 years old" in html
    assert not Sample.objects.exists()


# ---------------------------------------------------------------- warnings and the report


def test_warnings_show_on_the_staff_members_home_and_the_admins_pages(
    client: Client, catalogue: None
) -> None:
    today = clock.today()
    case = make_case(sign_off=False, judged=0)
    soon = add_months(today, -36) + timedelta(days=20)
    CompetenceRecord.objects.filter(user=case.assessor).update(date=soon)
    until = (today + timedelta(days=20)).strftime("%d %B %Y")

    home = as_(client, case.assessor).get(reverse("home")).content.decode()
    assert 'data-testid="competence-warnings"' in home
    assert f"Your occupational competence to assess 601/3456/2 lapses on {until}" in home

    as_(client, case.admin)
    people = client.get(reverse("centre:people")).content.decode()
    assert f"lapses on {until}" in people
    person = client.get(reverse("centre:person", args=[case.assessor.pk])).content.decode()
    assert f"lapses on {until}" in person
    # Nothing lapsing: no warning.
    CompetenceRecord.objects.filter(user=case.assessor).update(date=today)
    assert (
        'data-testid="competence-warnings"'
        not in client.get(reverse("centre:people")).content.decode()
    )


def test_the_report_and_its_csv_list_each_assessor_and_iv_per_qualification(
    client: Client, catalogue: None
) -> None:
    case = make_case(sign_off=False, judged=0)
    _lapse_experience(case.iv)
    as_(client, case.admin)
    page = client.get(reverse("verification:competence")).content.decode()
    assert "Sam Assessor" in page
    assert "Ivy Verifier" in page
    assert "is over 3 years old" in page
    response = client.get(reverse("verification:competence_csv"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0].startswith("Qualification,Person,E-mail,Role,Requirement,Met")
    assert "601/3456/2,Ivy Verifier" in text
    assert ",Occupational competence,no," in text


def test_the_eqa_reads_the_report_during_their_access_and_not_after(
    client: Client, catalogue: None
) -> None:
    today = clock.today()
    case = make_case(sign_off=False, judged=0)
    eqa = member(case.centre, Role.EQA)
    as_(client, eqa)
    assert client.get(reverse("verification:competence")).status_code == 200
    assert client.get(reverse("verification:competence_csv")).status_code == 200
    eqa.memberships.update(expires_on=today - timedelta(days=1))
    assert client.get(reverse("verification:competence")).status_code == 403
    # Neither an assessor nor an IV; another centre's admin reads only their own centre's.
    for person in (case.assessor, case.iv):
        assert as_(client, person).get(reverse("verification:competence")).status_code == 403
    other = as_(client, member(CentreFactory(), Role.CENTRE_ADMIN))
    assert "Sam Assessor" not in other.get(reverse("verification:competence")).content.decode()


@pytest.mark.parametrize("staff", [1, 4])
def test_the_report_costs_the_same_queries_for_1_or_4_staff(
    client: Client, catalogue: None, django_assert_num_queries: object, staff: int
) -> None:
    today = clock.today()
    centre = CentreFactory()
    centre.qualifications.add(*Qualification.objects.filter(number__in=[SFJ, PEARSON]))
    admin = member(centre, Role.CENTRE_ADMIN)
    for _ in range(staff):
        member(centre, Role.ASSESSOR)
    mentor = member(centre, Role.ASSESSOR)
    _trainee(centre, started=today, countersigner=mentor)
    as_(client, admin)
    with django_assert_num_queries(QUERIES):  # type: ignore[operator]
        assert client.get(reverse("verification:competence")).status_code == 200


QUERIES = 9


def test_the_admin_records_a_trainee_with_their_start_and_countersigner(
    client: Client, catalogue: None
) -> None:
    today = clock.today()
    case = make_case(sign_off=False, judged=0)
    trainee = member(case.centre, Role.ASSESSOR, full_name="Tariq Trainee")
    url = reverse("centre:credential_add", args=[trainee.pk])
    as_(client, case.admin)
    refused = client.post(
        url,
        {
            "credential-kind": "assessor",
            "credential-title": "Level 3 Certificate in Assessing",
            "credential-status": "working_towards",
            "credential-deadline": add_months(today, 12).isoformat(),
        },
    )
    assert refused.status_code == 400
    assert "SFJ handbook section 4.1 item 6: the 18 months count from this date." in (
        refused.content.decode()
    )
    assert "Name the qualified colleague who countersigns the trainee." in (
        refused.content.decode()
    )
    response = client.post(
        url,
        {
            "credential-kind": "assessor",
            "credential-title": "Level 3 Certificate in Assessing",
            "credential-status": "working_towards",
            "credential-started_on": today.isoformat(),
            "credential-deadline": add_months(today, 18).isoformat(),
            "credential-countersigner": case.assessor.pk,
            "credential-qualifications": [case.registration.qualification_id],
        },
    )
    assert response.status_code == 302
    credential = StaffCredential.objects.get(user=trainee, status="working_towards")
    assert credential.countersigner == case.assessor
    event = AuditEvent.objects.get(action="credential.added", object_id=str(credential.pk))
    assert event.data["countersigner"] == case.assessor.pk
    assert event.data["started_on"] == today.isoformat()
    assert list(credential.qualifications.values_list("number", flat=True)) == ["601/3456/2"]
    # Someone from outside the centre cannot be named.
    stranger = UserFactory()
    bad = client.post(
        url,
        {
            "credential-kind": "assessor",
            "credential-title": "Another",
            "credential-status": "working_towards",
            "credential-started_on": today.isoformat(),
            "credential-deadline": add_months(today, 18).isoformat(),
            "credential-countersigner": stranger.pk,
        },
    )
    assert bad.status_code == 400
