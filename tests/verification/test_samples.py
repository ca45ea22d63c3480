"""Sample records: the snapshot, own decisions refused, the referral loop, summative sign-off,
the pages and who may see and do what."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from assessments.models import Decision, UnitSignOff
from assessments.services import AssessmentError, record_decision, sign_off_unit
from assessments.templatetags.decision_labels import outcome_label
from core.models import AuditEvent
from core.templatetags.iso_dates import iso_date
from portfolios.models import RegistrationStatus
from portfolios.services import change_status
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from tests.support import clock
from tests.verification.sample_cases import PDF, Case, decision_on, make_case, plan_sample
from verification import samples
from verification.models import SampleStage
from verification.models.sample import (
    Sample,
    SampleOutcome,
    SampleState,
    VerifierSignOff,
)
from verification.services import VerificationError


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each test stores its files in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def case(catalogue: None) -> Case:
    return make_case()


def start(case: Case, stage: str = SampleStage.INTERIM, **kw: object) -> Sample:
    return samples.start_sample(
        verifier=case.iv, registration=case.registration, unit=case.unit, stage=stage, **kw
    )


def refer(case: Case, sample: Sample, number: str = "1.1", **kw: object) -> SampleOutcome:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    return samples.refer_back(
        verifier=case.iv,
        sample=sample,
        decisions=[decision_on(case, number)],
        actions=kw.pop("actions", "Say which customer survey question shows 1.1."),
        deadline=kw.pop("deadline", next_week),
        feedback=kw.pop("feedback", "The survey is good; the judgement needs its reason."),
        **kw,
    )


def correct(case: Case, number: str = "1.1") -> Decision:
    today = clock.today()
    return record_decision(
        assessor=case.assessor,
        registration=case.registration,
        criterion=case.unit.criteria.get(number=number),
        outcome="met",
        method="product",
        assessed_on=today,
        feedback="Question 3 of the survey shows it.",
        evidence=[case.evidence],
        supersedes=decision_on(case, number),
        reason="The IV asked which question shows it.",
    )


# ---------------------------------------------------------------- the snapshot


def test_a_sample_keeps_a_snapshot_of_every_decision_with_its_evidence_and_its_hash(
    case: Case,
) -> None:
    today = clock.today()
    sample = start(case)

    decisions = sample.snapshot["decisions"]
    assert [d["number"] for d in decisions] == [
        c.number for c in case.unit.criteria.order_by("position")
    ]
    first = decisions[0]
    decision = decision_on(case, "1.1")
    assert first["id"] == decision.pk
    assert first["criterion"] == decision.criterion_id
    assert (first["outcome"], first["method"]) == ("met", "product")
    assert first["feedback"] == "Shown for 1.1."
    assert first["assessed_on"] == today.isoformat()
    assert (first["assessor"], first["assessor_name"]) == (case.assessor.pk, "Sam Assessor")
    [evidence] = first["evidence"]
    assert (evidence["title"], evidence["version"]) == ("Customer survey", 1)
    assert evidence["files"] == [
        {"name": "survey.pdf", "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF)}
    ]
    assert (
        sample.snapshot_hash
        == hashlib.sha256(json.dumps(sample.snapshot, sort_keys=True).encode()).hexdigest()
    )
    event = AuditEvent.objects.for_object(sample).get()
    assert event.action == "sample.started"
    assert event.data["snapshot_hash"] == sample.snapshot_hash
    assert event.data["decisions"] == [d["id"] for d in decisions]


def test_a_verifier_can_never_sample_decisions_they_made_themselves(catalogue: None) -> None:
    today = clock.today()
    case = make_case(sign_off=False)
    # The IV also assesses this learner and judges one criterion.
    from accounts.models import Membership

    Membership.objects.create(user=case.iv, centre=case.centre, role=Role.ASSESSOR)
    case.registration.assessors.add(case.iv)
    record_decision(
        assessor=case.iv,
        registration=case.registration,
        criterion=case.unit.criteria.get(number="1.1"),
        outcome="met",
        method="product",
        assessed_on=today,
        evidence=[case.evidence],
        supersedes=decision_on(case, "1.1"),
        reason="Second opinion.",
    )

    with pytest.raises(VerificationError, match="never sample decisions they made themselves"):
        start(case)
    assert not Sample.objects.exists()


def test_only_the_learners_own_iv_samples_and_only_where_there_is_something_to_sample(
    case: Case,
) -> None:
    other_iv = member(case.centre, Role.INTERNAL_VERIFIER)
    with pytest.raises(VerificationError, match="internal verifier"):
        samples.start_sample(
            verifier=other_iv, registration=case.registration, unit=case.unit, stage="interim"
        )
    with pytest.raises(VerificationError, match="internal verifier"):
        samples.start_sample(
            verifier=case.admin, registration=case.registration, unit=case.unit, stage="interim"
        )
    empty = case.registration.unit_choices.exclude(unit=case.unit).first().unit
    with pytest.raises(VerificationError, match="no decisions to sample"):
        samples.start_sample(
            verifier=case.iv, registration=case.registration, unit=empty, stage="interim"
        )
    assert not Sample.objects.exists()


def test_a_planned_sample_is_started_once_even_when_clicked_twice(case: Case) -> None:
    planned_sample = plan_sample(case)

    sample = samples.start_planned_sample(verifier=case.iv, planned_sample=planned_sample)
    with pytest.raises(VerificationError, match="already been started"):
        samples.start_planned_sample(verifier=case.iv, planned_sample=planned_sample)

    assert sample.planned_sample == planned_sample
    assert Sample.objects.count() == 1


# ---------------------------------------------------------------- the referral loop


def test_a_referral_unlocks_the_unit_and_the_assessors_correction_supersedes(case: Case) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    sample = start(case)
    with pytest.raises(AssessmentError, match="signed off"):
        correct(case)

    outcome = refer(case, sample)

    sample.refresh_from_db()
    assert sample.state == SampleState.REFERRED
    assert list(outcome.decisions.all()) == [decision_on(case, "1.1")]
    assert (outcome.deadline, outcome.snapshot_hash) == (next_week, sample.snapshot_hash)
    sign_off = UnitSignOff.objects.get(registration=case.registration, unit=case.unit)
    assert sign_off.unlocked_by == case.iv
    assert sign_off.unlock_reason.startswith(f"Internal verifier's referral (sample {sample.pk})")
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["sample.referred", "unit.unlocked"]
    referred = AuditEvent.objects.get(action="sample.referred")
    assert referred.data["deadline"] == next_week.isoformat()
    assert referred.data["decisions"] == [decision_on(case, "1.1").pk]
    # The referral is addressed to the assessor until the loop ends.
    assert list(SampleOutcome.objects.open_referrals_for(case.assessor, case.centre.pk)) == [
        outcome
    ]

    old = decision_on(case, "1.1")
    corrected = correct(case)

    assert corrected.supersedes == old
    # The snapshot the referral was made on still shows the old decision.
    assert outcome.snapshot["decisions"][0]["id"] == old.pk


def test_the_loop_ends_when_the_verifier_agrees_after_the_corrections(case: Case) -> None:
    sample = start(case)
    refer(case, sample)
    # Nothing has changed yet: a second referral (or a double click) waits for the assessor.
    with pytest.raises(VerificationError, match="already referred back"):
        refer(case, sample)
    corrected = correct(case)
    sign_off_unit(
        assessor=case.assessor,
        registration=case.registration,
        unit=case.unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    agreed = samples.agree(verifier=case.iv, sample=sample, feedback="Clear now.")

    sample.refresh_from_db()
    assert sample.state == SampleState.AGREED
    assert agreed.snapshot["decisions"][0]["id"] == corrected.pk
    assert agreed.snapshot_hash != sample.snapshot_hash
    assert [o.outcome for o in sample.outcomes.all()] == ["referred", "agreed"]
    assert not SampleOutcome.objects.open_referrals_for(case.assessor, case.centre.pk).exists()
    assert AuditEvent.objects.for_object(sample).last().action == "sample.agreed"
    with pytest.raises(VerificationError, match="already agreed"):
        samples.agree(verifier=case.iv, sample=sample)
    with pytest.raises(VerificationError, match="already agreed"):
        refer(case, sample)
    assert sample.outcomes.count() == 2


def test_an_outcome_on_decisions_changed_since_the_page_was_opened_is_refused(
    case: Case,
) -> None:
    sample = samples.start_sample(
        verifier=case.iv, registration=case.registration, unit=case.unit, stage="interim"
    )
    refer(case, sample)
    seen = sample.snapshot_hash
    correct(case)

    with pytest.raises(VerificationError, match="changed since you opened"):
        samples.agree(verifier=case.iv, sample=sample, seen_hash=seen)


def test_a_referral_needs_actions_a_deadline_not_past_and_decisions_from_the_sample(
    case: Case,
) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    sample = start(case)
    with pytest.raises(VerificationError, match="what the assessor must do"):
        refer(case, sample, actions="  ")
    with pytest.raises(VerificationError, match="past"):
        refer(case, sample, deadline=today - datetime.timedelta(days=1))
    with pytest.raises(VerificationError, match="Choose the decisions"):
        samples.refer_back(
            verifier=case.iv, sample=sample, decisions=[], actions="Fix.", deadline=next_week
        )
    assert not SampleOutcome.objects.exists()
    assert UnitSignOff.objects.active().filter(registration=case.registration).exists()


def test_a_referral_on_a_complete_registration_reopens_it_for_corrections(case: Case) -> None:
    change_status(
        actor=case.admin, registration=case.registration, status=RegistrationStatus.COMPLETE
    )
    sample = start(case, SampleStage.SUMMATIVE)

    refer(case, sample)

    case.registration.refresh_from_db()
    assert case.registration.status == RegistrationStatus.ACTIVE
    assert correct(case).supersedes_id is not None


# ---------------------------------------------------------------- summative sign-off


def test_summative_sign_off_of_a_unit_needs_an_agreed_summative_sample_and_the_unit_signed(
    case: Case,
) -> None:
    interim = start(case)
    samples.agree(verifier=case.iv, sample=interim)
    with pytest.raises(VerificationError, match="Only a summative sample"):
        samples.sign_off(verifier=case.iv, sample=interim, password=DEFAULT_PASSWORD)

    summative = start(case, SampleStage.SUMMATIVE)
    refer(case, summative)
    with pytest.raises(VerificationError, match="Agree the sample"):
        samples.sign_off(verifier=case.iv, sample=summative, password=DEFAULT_PASSWORD)
    correct(case)
    samples.agree(verifier=case.iv, sample=summative)
    # The referral unlocked the unit; the assessor has not signed it again yet.
    with pytest.raises(VerificationError, match="sign the unit off first"):
        samples.sign_off(verifier=case.iv, sample=summative, password=DEFAULT_PASSWORD)
    sign_off_unit(
        assessor=case.assessor,
        registration=case.registration,
        unit=case.unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    with pytest.raises(VerificationError, match="password"):
        samples.sign_off(verifier=case.iv, sample=summative, password="wrong")

    signed = samples.sign_off(verifier=case.iv, sample=summative, password=DEFAULT_PASSWORD)

    summative.refresh_from_db()
    assert (signed.registration, signed.unit, signed.verifier) == (
        case.registration,
        case.unit,
        case.iv,
    )
    assert signed.content_hash == summative.outcomes.get(outcome="agreed").snapshot_hash
    event = AuditEvent.objects.for_object(signed).get()
    assert (event.action, event.data["unit"]) == ("verification.signed_off", case.unit.key)
    # A double click signs once.
    with pytest.raises(VerificationError, match="already signed off"):
        samples.sign_off(verifier=case.iv, sample=summative, password=DEFAULT_PASSWORD)
    assert VerifierSignOff.objects.count() == 1


def test_summative_sign_off_of_a_registration_needs_it_complete_and_no_open_referral(
    case: Case,
) -> None:
    whole = samples.start_sample(
        verifier=case.iv, registration=case.registration, stage=SampleStage.SUMMATIVE
    )
    samples.agree(verifier=case.iv, sample=whole)
    with pytest.raises(VerificationError, match="complete registration"):
        samples.sign_off(verifier=case.iv, sample=whole, password=DEFAULT_PASSWORD)
    change_status(
        actor=case.admin, registration=case.registration, status=RegistrationStatus.COMPLETE
    )
    other = start(case)
    refer(case, other)  # reopens the registration too
    change_status(
        actor=case.admin, registration=case.registration, status=RegistrationStatus.COMPLETE
    )
    with pytest.raises(VerificationError, match="referral on this learner's work is still open"):
        samples.sign_off(verifier=case.iv, sample=whole, password=DEFAULT_PASSWORD)
    samples.agree(verifier=case.iv, sample=other)

    signed = samples.sign_off(verifier=case.iv, sample=whole, password=DEFAULT_PASSWORD)

    assert signed.unit is None
    with pytest.raises(VerificationError, match="already signed off"):
        samples.sign_off(verifier=case.iv, sample=whole, password=DEFAULT_PASSWORD)


# ---------------------------------------------------------------- the pages


def as_(client: Client, user: object) -> Client:
    client.force_login(user)
    return client


def test_the_plan_links_each_planned_sample_and_the_iv_starts_it_once(
    client: Client, case: Case
) -> None:
    planned_sample = plan_sample(case)
    as_(client, case.iv)
    plan_page = client.get(reverse("verification:plan", args=[planned_sample.plan.strategy_id]))
    url = reverse("verification:sample_start", args=[planned_sample.pk])
    assert url in plan_page.content.decode()

    preview = client.get(url).content.decode()
    assert "has not been started yet" in preview
    assert "survey.pdf" in preview
    response = client.post(url)
    sample = Sample.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("verification:sample", args=[sample.pk])
    # A second click lands on the same record.
    assert client.post(url).url == response.url
    assert client.get(url).url == response.url
    assert Sample.objects.count() == 1


def test_the_sample_page_shows_the_decisions_evidence_files_and_snapshot(
    client: Client, case: Case
) -> None:
    sample = start(case)
    html = as_(client, case.iv).get(reverse("verification:sample", args=[sample.pk])).content
    html = html.decode()
    assert "Shown for 2.5." in html
    assert reverse("evidence:detail", args=[case.evidence.pk]) in html
    file = case.evidence.files.get()
    assert reverse("files:download", args=[file.pk]) in html
    assert sample.snapshot_hash in html
    assert "Record the review" in html
    for decision in Decision.objects.current().filter(registration=case.registration):
        # One review form: every decision may be agreed or referred back.
        assert f'id="d{decision.pk}-agree"' in html
        assert f'id="d{decision.pk}-refer"' in html
    assert "Sign off for claim" not in html  # interim


def test_the_kept_snapshot_shows_labels_and_dates_as_the_pages_write_them(
    client: Client, case: Case
) -> None:
    # Issue 18: the snapshot is kept with raw values (it is hashed); the page shows "Met" and
    # "3 December 2026", never `met:` or an ISO date.
    today = clock.today()
    sample = start(case)
    html = as_(client, case.iv).get(reverse("verification:sample", args=[sample.pk])).content
    page = html.decode()
    table = page.split('data-testid="snapshot"')[1].split("</table>")[0]
    # The decisions now are dated the same way as the kept record, on the same page.
    now = page.split('data-testid="decisions"')[1].split("</table>")[0]
    assert f'<td data-label="Date">{today.day} {today:%B} {today.year}</td>' in now
    assert '<td data-label="Decision">Met: Shown for 2.5.</td>' in table
    assert f'<td data-label="Date">{today.day} {today:%B} {today.year}</td>' in table
    assert today.isoformat() not in table
    assert ">met:" not in table
    assert sample.snapshot["decisions"][0]["assessed_on"] == today.isoformat()  # kept as hashed


def test_the_outcome_and_iso_date_filters_leave_what_they_cannot_read() -> None:
    assert outcome_label("not_yet_met") == "Not yet met"
    assert outcome_label("withdrawn-long-ago") == "withdrawn-long-ago"
    assert iso_date("2026-12-03") == datetime.date(2026, 12, 3)
    assert iso_date("2026-12-03T10:00:00+00:00") == datetime.date(2026, 12, 3)
    assert iso_date("soon") == "soon"
    assert iso_date("") == ""
    assert iso_date(None) is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("iv", 200),
        ("admin", 200),
        ("eqa", 200),
        ("assessor", 200),  # their own decisions
        ("unjudged_assessor", 403),  # assesses the learner, made none of these decisions
        ("learner", 403),
        ("other_iv", 404),  # an IV at the centre who does not cover this learner
        ("other_centre_admin", 404),
    ],
)
def test_who_may_read_a_sample(client: Client, case: Case, who: str, status: int) -> None:
    sample = start(case)
    people = {
        "iv": case.iv,
        "admin": case.admin,
        "eqa": member(case.centre, Role.EQA),
        "assessor": case.assessor,
        "learner": case.learner,
        "other_iv": member(case.centre, Role.INTERNAL_VERIFIER),
        "other_centre_admin": member(CentreFactory(), Role.CENTRE_ADMIN),
    }
    if who == "unjudged_assessor":
        people[who] = member(case.centre, Role.ASSESSOR)
        case.registration.assessors.add(people[who])
    response = as_(client, people[who]).get(reverse("verification:sample", args=[sample.pk]))
    assert response.status_code == status


def test_another_ivs_learner_is_not_linked_from_the_plan_nor_previewed(
    client: Client, case: Case
) -> None:
    """Every IV at the centre plans, but the preview of a planned sample shows the learner's
    decisions: like the started record, it opens only to the learner's own IV (and admins,
    EQAs); another IV gets 404, and the plan names the learner without a link."""
    planned_sample = plan_sample(case)
    url = reverse("verification:sample_start", args=[planned_sample.pk])
    plan_url = reverse("verification:plan", args=[planned_sample.plan.strategy_id])
    other_iv = member(case.centre, Role.INTERNAL_VERIFIER)

    as_(client, other_iv)
    plan_page = client.get(plan_url).content.decode()
    assert case.learner.full_name in plan_page
    assert url not in plan_page
    assert "For the learner's own verifier" in plan_page
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not Sample.objects.exists()

    for reader in (case.iv, case.admin, member(case.centre, Role.EQA)):
        as_(client, reader)
        assert url in client.get(plan_url).content.decode()
        assert client.get(url).status_code == 200


def test_only_the_learners_iv_acts_on_a_sample(client: Client, case: Case) -> None:
    sample = start(case)
    agree_all = {"seen_hash": sample.snapshot_hash}
    for person in (case.admin, case.assessor, member(case.centre, Role.EQA)):
        as_(client, person)
        assert (
            client.post(
                reverse("verification:sample_review", args=[sample.pk]), agree_all
            ).status_code
            == 403
        )
        assert (
            client.post(reverse("verification:sample_agree", args=[sample.pk])).status_code == 403
        )
        assert (
            client.post(reverse("verification:sample_refer", args=[sample.pk])).status_code == 403
        )
        assert (
            client.post(reverse("verification:sample_sign_off", args=[sample.pk])).status_code
            == 403
        )
    as_(client, member(CentreFactory(), Role.INTERNAL_VERIFIER))
    assert client.post(reverse("verification:sample_agree", args=[sample.pk])).status_code == 404
    review = reverse("verification:sample_review", args=[sample.pk])
    assert client.post(review, agree_all).status_code == 404
    assert not SampleOutcome.objects.exists()


def test_referring_on_the_page_then_agreeing_and_signing_off(client: Client, case: Case) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    sample = start(case, SampleStage.SUMMATIVE)
    page = reverse("verification:sample", args=[sample.pk])
    as_(client, case.iv)
    decision = decision_on(case, "1.1")

    review = reverse("verification:sample_review", args=[sample.pk])

    bad = client.post(review, {f"d{decision.pk}": "refer", "actions": "", "deadline": ""})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Say what the assessor must do." in text
    assert "Give a deadline" in text
    assert f'id="d{decision.pk}-refer" checked' in text  # the chosen decision is kept
    response = client.post(
        review,
        {
            f"d{decision.pk}": "refer",
            "actions": "Name the survey question.",
            "deadline": next_week.isoformat(),
            "feedback": "Nearly there.",
            "seen_hash": sample.snapshot_hash,
        },
    )
    assert response.status_code == 302
    assert "referred back to the assessor" in client.get(page).content.decode()

    # The assessor sees the referral on their home page.
    home = as_(client, case.assessor).get("/").content.decode()
    assert "Referred back to you by the internal verifier" in home
    assert "Name the survey question." in home
    assert page in home
    correct(case)
    sign_off_unit(
        assessor=case.assessor,
        registration=case.registration,
        unit=case.unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    as_(client, case.iv)
    assert "changed since the sample was started" in client.get(page).content.decode()
    # Every decision left at "agree": the review agrees the sample.
    assert client.post(review, {"feedback": "Thanks."}).status_code == 302
    again = client.post(review, {"feedback": "Thanks."}, follow=True)
    assert "already agreed" in again.content.decode()
    assert sample.outcomes.count() == 2
    assert "Referred back to you" not in as_(client, case.assessor).get("/").content.decode()

    as_(client, case.iv)
    sign_url = reverse("verification:sample_sign_off", args=[sample.pk])
    wrong = client.post(sign_url, {"password": "nope"})
    assert wrong.status_code == 400
    assert "password is not right" in wrong.content.decode()
    assert client.post(sign_url, {"password": DEFAULT_PASSWORD}).status_code == 302
    signed = client.post(sign_url, {"password": DEFAULT_PASSWORD}, follow=True).content.decode()
    assert "already signed off" in signed
    assert 'data-testid="signed-off"' in signed
    assert VerifierSignOff.objects.get().unit == case.unit


def test_the_sample_page_costs_the_same_queries_for_3_or_9_decisions(
    client: Client, catalogue: None, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    def url_for(judged: int) -> tuple[Case, str]:
        made = make_case(judged=judged, sign_off=False)
        sample = start(made)
        refer(made, sample, number="1.1")
        return made, reverse("verification:sample", args=[sample.pk])

    small, small_url = url_for(3)
    big, big_url = url_for(9)
    as_(client, small.iv).get(small_url)
    # Session, user, sample, outcomes and their decisions, the decisions with evidence and
    # files, sign-offs, the header's role switcher (whose memberships also answer the role
    # checks).
    with django_assert_num_queries(10):  # type: ignore[operator]
        client.get(small_url)
    as_(client, big.iv).get(big_url)
    with django_assert_num_queries(10):  # type: ignore[operator]
        client.get(big_url)


def test_coverage_counts_the_records_and_evidence_the_decisions_rest_on(catalogue: None) -> None:
    """CAMERA's records (who made the record a decision rests on) and evidence (what kind of
    file): a sample of the unit reaches both; a sample of another unit reaches neither."""
    from assessments.models import RecordKind
    from assessments.records import create_record
    from verification.queries import coverage

    case = make_case(sign_off=False, judged=5)
    criterion = case.unit.criteria.order_by("position")[5]
    record = create_record(
        assessor=case.assessor,
        registration=case.registration,
        kind=RecordKind.OBSERVATION,
        title="Observed at the counter",
        occurred_on=datetime.date.today(),
        place="The shop floor",
        context="real_work_paid",
        account="I watched Ana deal with three customers.",
        criteria=[criterion],
    )
    record_decision(
        assessor=case.assessor,
        registration=case.registration,
        criterion=criterion,
        outcome="met",
        method="observation",
        assessed_on=datetime.date.today(),
        evidence=[record.evidence],
    )
    planned = plan_sample(case)

    result = coverage(planned.plan)
    assert [(r.label, r.learners, r.planned) for r in result.records] == [
        ("Assessor's observation record", 1, 1),
        ("The learner's own evidence", 1, 1),
    ]
    assert [(r.label, r.learners, r.planned) for r in result.evidence] == [
        ("Documents", 1, 1),
        ("No file (written in the record)", 1, 1),
    ]

    other = case.registration.unit_choices.exclude(unit=case.unit).first().unit
    type(planned).objects.filter(pk=planned.pk).update(unit=other)
    result = coverage(planned.plan)
    assert {r.planned for r in result.records + result.evidence} == {0}
    assert not any(r.met for r in result.records)


# ---------------------------------------------------------------- a sign-off voided


def unlock(case: Case) -> None:
    """A complaint after the IV's sign-off: the centre admin reopens the unit."""
    from assessments.services import unlock_unit

    unit_sign_off = UnitSignOff.objects.active().get(registration=case.registration, unit=case.unit)
    unlock_unit(actor=case.admin, sign_off=unit_sign_off, reason="Complaint about 1.1.")


def signed_then_unlocked(case: Case) -> tuple[Sample, VerifierSignOff]:
    summative = start(case, SampleStage.SUMMATIVE)
    samples.agree(verifier=case.iv, sample=summative)
    signed = samples.sign_off(verifier=case.iv, sample=summative, password=DEFAULT_PASSWORD)
    unlock(case)
    return summative, signed


def test_unlocking_a_unit_voids_the_iv_sign_off_until_the_work_is_sampled_again(
    case: Case,
) -> None:
    summative, signed = signed_then_unlocked(case)

    signed.refresh_from_db()
    assert signed.voided_at is not None
    assert signed.void_reason == f"Unit {case.unit.reference} was unlocked: Complaint about 1.1."
    event = AuditEvent.objects.for_object(signed).get(action="verification.sign_off_voided")
    assert (event.actor, event.data["unlocked_unit"]) == (case.admin, case.unit.key)
    assert not VerifierSignOff.objects.live().exists()

    # The assessor changes a decision and signs the unit off again: the old agreement did not
    # see that decision, so it cannot carry a new signature.
    correct(case)
    sign_off_unit(
        assessor=case.assessor,
        registration=case.registration,
        unit=case.unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    with pytest.raises(VerificationError, match="changed since this sample was agreed"):
        samples.sign_off(verifier=case.iv, sample=summative, password=DEFAULT_PASSWORD)

    again = start(case, SampleStage.SUMMATIVE)
    samples.agree(verifier=case.iv, sample=again)
    renewed = samples.sign_off(verifier=case.iv, sample=again, password=DEFAULT_PASSWORD)

    # Both kept: the voided one and the one that stands.
    assert VerifierSignOff.objects.count() == 2
    assert list(VerifierSignOff.objects.live()) == [renewed]


def test_unlocking_a_unit_reopens_a_complete_registration_for_its_decisions(case: Case) -> None:
    change_status(
        actor=case.admin, registration=case.registration, status=RegistrationStatus.COMPLETE
    )
    unlock(case)

    case.registration.refresh_from_db()
    assert case.registration.status == RegistrationStatus.ACTIVE
    # The unit page's promise holds: its decisions can change.
    assert correct(case).supersedes is not None


def test_the_sample_page_shows_a_voided_sign_off_as_voided(client: Client, case: Case) -> None:
    summative, _signed = signed_then_unlocked(case)

    page = as_(client, case.iv).get(reverse("verification:sample", args=[summative.pk]))

    html = page.content.decode()
    assert 'data-testid="signed-off-voided"' in html
    assert "Complaint about 1.1." in html
    assert 'data-testid="signed-off"' not in html
