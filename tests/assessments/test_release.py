"""Pearson BTEC: an internal verifier validates each decision before the learner sees it.

The learner sees "awaiting internal verification" instead of the outcome and feedback on every
page, and hears by e-mail only once the decision is released; staff see everything. A referral
goes back to the assessor, whose correction is validated in its turn. Centres may override the
qualification's rule either way.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from assessments.models import Decision, DecisionValidation, ReleaseSetting
from assessments.release import validation_required
from assessments.services import AssessmentError, record_decision, sign_off_unit
from assessments.validation import set_release_setting, validate_decision, validate_decisions
from core.models import AuditEvent
from portfolios import evidence as evidence_services
from portfolios.models import Evidence, EvidenceStatus, Registration
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.assessments.test_decisions import make_case
from tests.factories import (
    DEFAULT_PASSWORD,
    CentreFactory,
    MembershipFactory,
    mapped_evidence,
    member,
)
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

PEARSON = "603/5449/5"
SECRET = "Your customer survey covers every point in the brief."


def pearson_case() -> dict:
    today = clock.today()
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=PEARSON)
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    learner = member(centre, Role.LEARNER, full_name="Bea Jones")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=today,
        assessors=[assessor],
        internal_verifier=iv,
    )
    unit = Unit.objects.get(key="PEARSON:Unit 1")
    return {
        "centre": centre,
        "qualification": qualification,
        "admin": admin,
        "assessor": assessor,
        "iv": iv,
        "learner": learner,
        "registration": registration,
        "unit": unit,
        "criterion": unit.criteria.order_by("position").first(),
    }


def submitted(case: dict, criteria: list[AssessmentCriterion], title: str = "Survey") -> Evidence:
    today = clock.today()
    learner = case["learner"]
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=case["registration"],
        title=title,
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="Work I did.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
    )
    return evidence


def decide(
    case: dict,
    criterion: AssessmentCriterion,
    evidence: Evidence | None = None,
    outcome: str = "met",
    **kw: object,
) -> Decision:
    today = clock.today()
    return record_decision(
        assessor=kw.pop("assessor", case["assessor"]),  # type: ignore[arg-type]
        registration=case["registration"],
        criterion=criterion,
        outcome=outcome,
        method="product",
        assessed_on=today,
        feedback=kw.pop("feedback", SECRET),  # type: ignore[arg-type]
        # A criterion judged met rests on evidence mapped to it (assessments.basis).
        evidence=[evidence]
        if evidence
        else [mapped_evidence(case["registration"], criterion)]
        if outcome == "met"
        else [],
        **kw,  # type: ignore[arg-type]
    )


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def row(html: str, testid: str) -> str:
    """The table row or article the page marks with this data-testid."""
    match = re.search(
        rf'<(tr|article)[^>]*data-testid="{re.escape(testid)}".*?</\1>', html, flags=re.S
    )
    assert match, f"no {testid} on the page"
    return match.group(0)


def pages(case: dict, evidence: Evidence) -> dict[str, str]:
    registration = case["registration"]
    return {
        "portfolio": reverse("evidence:portfolio", args=[registration.pk]),
        # The unit's criteria, as the portfolio shows them when the unit is opened.
        "portfolio_unit": reverse(
            "evidence:portfolio_unit", args=[registration.pk, case["unit"].pk]
        ),
        "unit": reverse("assessments:unit", args=[registration.pk, case["unit"].pk]),
        "assess": reverse("assessments:assess", args=[evidence.pk]),
        "detail": reverse("evidence:detail", args=[evidence.pk]),
    }


# ---------------------------------------------------------------- the rule


def test_the_pearson_specification_requires_validation_and_the_others_do_not() -> None:
    assert set(
        Qualification.objects.filter(decisions_need_validation=True).values_list(
            "number", flat=True
        )
    ) == {"603/5449/5", "603/5450/1"}


# Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists, "Issuing
# assessment decisions and feedback" (specification line 452): "The information given to the
# learner: ... must be validated by an Internal Verifier before it is given to the learner."
PEARSON_WORDS = "must be validated by an Internal Verifier before it is given to the learner"


def test_the_catalogue_quotes_where_pearson_requires_validation() -> None:
    for qualification in Qualification.objects.filter(decisions_need_validation=True):
        assert PEARSON_WORDS in qualification.validation_rule
        assert "Issuing assessment decisions and feedback" in qualification.validation_rule
        assert "(line 452)" in qualification.validation_rule
    assert not Qualification.objects.filter(
        decisions_need_validation=False, validation_rule__gt=""
    ).exists()


def test_a_centre_cannot_switch_off_validation_that_pearson_requires() -> None:
    case = pearson_case()
    with pytest.raises(AssessmentError) as refused:
        set_release_setting(
            actor=case["admin"],
            centre=case["centre"],
            qualification=case["qualification"],
            validation_required=False,
        )
    message = str(refused.value)
    # The message names the rule and its source.
    assert "Internal verification before release cannot be switched off for 603/5449/5" in message
    assert "Pearson requires" in message
    assert PEARSON_WORDS in message
    assert not ReleaseSetting.objects.exists()
    assert not AuditEvent.objects.filter(action="release.setting_changed").exists()
    assert validation_required(Registration.objects.get(pk=case["registration"].pk))


def test_a_centre_may_make_it_stricter_and_relax_only_its_own_choice() -> None:
    pearson = pearson_case()
    imi = make_case()
    assert validation_required(pearson["registration"])
    assert not validation_required(imi["registration"])

    # Saying "required" where Pearson already requires it is allowed (and changes nothing).
    set_release_setting(
        actor=pearson["admin"],
        centre=pearson["centre"],
        qualification=pearson["qualification"],
        validation_required=True,
    )
    # Another awarding body: the centre may ask for validation, and turn it off again.
    imi_qualification = imi["registration"].qualification
    set_release_setting(
        actor=imi["admin"],
        centre=imi["centre"],
        qualification=imi_qualification,
        validation_required=True,
    )
    assert validation_required(Registration.objects.get(pk=imi["registration"].pk))
    set_release_setting(
        actor=imi["admin"],
        centre=imi["centre"],
        qualification=imi_qualification,
        validation_required=False,
    )

    assert validation_required(Registration.objects.get(pk=pearson["registration"].pk))
    assert not validation_required(Registration.objects.get(pk=imi["registration"].pk))
    events = AuditEvent.objects.filter(action="release.setting_changed").order_by("pk")
    assert [e.data["validation_required"] for e in events] == [True, True, False]


def test_a_looser_setting_saved_before_the_rule_is_read_as_required() -> None:
    # Rows saved "not required" for Pearson before the rule was enforced: the rule still holds,
    # for one registration and in the SQL the queues and pages use.
    from assessments.release import needing_validation

    case = pearson_case()
    ReleaseSetting.objects.create(
        centre=case["centre"],
        qualification=case["qualification"],
        validation_required=False,
        changed_by=case["admin"],
    )
    registration = Registration.objects.get(pk=case["registration"].pk)
    assert validation_required(registration)
    assert needing_validation(Registration.objects.filter(pk=registration.pk)).exists()
    evidence = submitted(case, [case["criterion"]])
    decision = decide(case, case["criterion"], evidence)
    validate_decision(validator=case["iv"], decision=decision, outcome="agreed")
    assert DecisionValidation.objects.filter(decision=decision, outcome="agreed").exists()


def test_only_a_centre_admin_of_that_centre_sets_the_release() -> None:
    case = pearson_case()
    other_admin = member(CentreFactory(), Role.CENTRE_ADMIN)
    for actor in (case["assessor"], case["iv"], other_admin):
        with pytest.raises(AssessmentError, match="Only a centre admin"):
            set_release_setting(
                actor=actor,
                centre=case["centre"],
                qualification=case["qualification"],
                validation_required=False,
            )
    assert not ReleaseSetting.objects.exists()


# ---------------------------------------------------------------- what the learner sees


def test_the_learner_sees_neither_outcome_nor_feedback_until_the_iv_agrees(
    client: Client,
) -> None:
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    decision = decide(case, case["criterion"], evidence)
    urls = pages(case, evidence)
    criterion_row = f"criterion-{case['criterion'].pk}"

    as_user(client, case["learner"])
    for name, url in urls.items():
        html = client.get(url, follow=True).content.decode()
        assert SECRET not in html, name
    portfolio = row(client.get(urls["portfolio_unit"]).content.decode(), criterion_row)
    assert "Awaiting internal verification" in portfolio
    assert not re.search(r"\bMet\b", portfolio)
    unit = client.get(urls["unit"]).content.decode()
    assert "Awaiting internal verification" in row(unit, criterion_row)
    assert "Criteria met: 0 of" in unit
    # The learner reads the decision on their own page of the evidence, not the assessing page.
    detail = row(client.get(urls["detail"]).content.decode(), criterion_row)
    assert "awaiting internal verification" in detail
    assert not re.search(r"\bMet\b", detail)

    # Staff see the decision whole meanwhile.
    as_user(client, case["assessor"])
    assess = client.get(urls["assess"]).content.decode()
    assert SECRET in assess
    assert "Awaiting validation" in assess
    unit = client.get(urls["unit"]).content.decode()
    assert "Criteria met: 1 of" in unit

    validate_decision(validator=case["iv"], decision=decision, outcome="agreed")

    as_user(client, case["learner"])
    detail = row(client.get(urls["detail"]).content.decode(), criterion_row)
    assert SECRET in detail
    assert re.search(r"\bMet\b", detail)
    assert "Validated (agreed)" in detail
    portfolio = row(client.get(urls["portfolio_unit"]).content.decode(), criterion_row)
    assert re.search(r"\bMet\b", portfolio)
    assert "Awaiting" not in portfolio
    unit = client.get(urls["unit"]).content.decode()
    assert "Criteria met: 1 of" in unit
    # The learner is told it is validated, not by whom.
    assert case["iv"].get_full_name() not in unit


def test_the_learner_never_opens_the_assessing_page_of_their_own_evidence(
    client: Client,
) -> None:
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    decision = decide(case, case["criterion"], evidence)
    validate_decision(validator=case["iv"], decision=decision, outcome="agreed")
    url = reverse("assessments:assess", args=[evidence.pk])

    response = as_user(client, case["learner"]).get(url)
    # Sent to their own page of the same evidence, which shows the released decision.
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence:detail", args=[evidence.pk])
    assert not case["learner"].has_perm("assessments.view_assessment", case["registration"])
    # Nor may they act on it.
    assert client.post(reverse("assessments:return", args=[evidence.pk])).status_code == 403
    assert client.post(reverse("assessments:judge", args=[evidence.pk])).status_code == 403
    # The staff who see the registration open it.
    for person in (case["assessor"], case["iv"], case["admin"]):
        assert as_user(client, person).get(url).status_code == 200


def test_a_qualification_without_validation_shows_the_learner_at_once(client: Client) -> None:
    case = make_case()
    criterion = case["unit"].criteria.get(number="1.1")
    decide(case, criterion, feedback="Seen at once.")
    as_user(client, case["learner"])
    html = client.get(
        reverse("assessments:unit", args=[case["registration"].pk, case["unit"].pk])
    ).content.decode()
    assert "Awaiting internal verification" not in html
    assert re.search(r"\bMet\b", row(html, f"criterion-{criterion.pk}"))
    assert "Internal verification" not in html  # no column where validation does not apply


def test_the_learner_is_told_by_email_only_on_release(
    django_capture_on_commit_callbacks: pytest.FixtureRequest,
) -> None:
    case = pearson_case()
    first, second = case["unit"].criteria.order_by("position")[:2]
    evidence = submitted(case, [first, second])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        decisions = [decide(case, c, evidence) for c in (first, second)]
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.ASSESSED
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        validate_decision(validator=case["iv"], decision=decisions[0], outcome="agreed")
    assert mail.outbox == []  # one decision on the evidence still waits

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        validate_decision(validator=case["iv"], decision=decisions[1], outcome="agreed")
    assert [m.subject for m in mail.outbox] == ["Your evidence “Survey” has been assessed"]
    assert mail.outbox[0].to == [case["learner"].email]


def test_a_centre_that_turns_its_own_validation_off_tells_the_learner_at_once(
    django_capture_on_commit_callbacks: pytest.FixtureRequest,
) -> None:
    case = make_case()  # IMI: the awarding body leaves it to the centre
    qualification = case["registration"].qualification
    for required in (True, False):
        set_release_setting(
            actor=case["admin"],
            centre=case["centre"],
            qualification=qualification,
            validation_required=required,
        )
    criterion = case["unit"].criteria.get(number="1.1")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        decision = decide(case, criterion)
    assert not validation_required(Registration.objects.get(pk=case["registration"].pk))
    with pytest.raises(AssessmentError, match="do not need validation"):
        validate_decision(validator=case["iv"], decision=decision, outcome="agreed")


# ---------------------------------------------------------------- validating


def test_an_iv_never_validates_a_decision_they_made(client: Client) -> None:
    case = pearson_case()
    # The IV also assesses this learner.
    MembershipFactory(user=case["iv"], centre=case["centre"], role=Role.ASSESSOR)
    case["registration"].assessors.add(case["iv"])
    own = decide(case, case["criterion"], assessor=case["iv"])

    with pytest.raises(AssessmentError, match="another internal verifier"):
        validate_decision(validator=case["iv"], decision=own, outcome="agreed")
    assert not DecisionValidation.objects.exists()

    as_user(client, case["iv"])
    html = client.get(reverse("assessments:validation_queue")).content.decode()
    assert f'data-testid="waiting-{own.pk}"' not in html
    assert "1 decision you made yourself waits for another internal verifier" in html
    response = client.post(
        reverse("assessments:validate"), {"decisions": [own.pk], "outcome": "agreed"}
    )
    assert response.status_code == 400
    assert "another internal verifier" in response.content.decode()
    assert not DecisionValidation.objects.exists()


def test_a_referral_goes_back_to_the_assessor_whose_correction_is_validated(
    client: Client,
) -> None:
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    first = decide(case, case["criterion"], evidence)

    with pytest.raises(AssessmentError, match="Say why"):
        validate_decision(validator=case["iv"], decision=first, outcome="referred")
    validate_decision(
        validator=case["iv"],
        decision=first,
        outcome="referred",
        comment="The survey does not show 1.1; check the brief.",
    )
    with pytest.raises(AssessmentError, match="already validated"):
        validate_decision(validator=case["iv"], decision=first, outcome="agreed")

    # The assessor reads the referral; the learner still waits and never reads it.
    url = reverse("assessments:assess", args=[evidence.pk])
    mine = reverse("evidence:detail", args=[evidence.pk])
    html = as_user(client, case["assessor"]).get(url).content.decode()
    assert "Referred back" in html
    assert "check the brief" in html
    html = as_user(client, case["learner"]).get(mine).content.decode()
    assert "awaiting internal verification" in html
    assert "check the brief" not in html
    assert SECRET not in html

    corrected = decide(
        case,
        case["criterion"],
        evidence,
        outcome="not_yet_met",
        feedback="The survey does not yet show how the results were analysed.",
        supersedes=first,
        reason="Internal verifier's referral.",
    )
    html = as_user(client, case["iv"]).get(reverse("assessments:validation_queue")).content
    assert f'data-testid="waiting-{corrected.pk}"'.encode() in html
    assert f'data-testid="waiting-{first.pk}"'.encode() not in html
    validate_decision(validator=case["iv"], decision=corrected, outcome="agreed")

    html = as_user(client, case["learner"]).get(mine).content.decode()
    assert "Not yet met" in html
    assert "how the results were analysed" in html
    assert SECRET not in html  # the referred decision was never released
    assert list(
        AuditEvent.objects.filter(action__in=["decision.referred", "decision.agreed"])
        .order_by("pk")
        .values_list("action", "data__decision")
    ) == [("decision.referred", first.pk), ("decision.agreed", corrected.pk)]


def test_a_superseded_decision_cannot_be_validated() -> None:
    case = pearson_case()
    first = decide(case, case["criterion"])
    decide(case, case["criterion"], supersedes=first, reason="Wrong criterion read.")
    with pytest.raises(AssessmentError, match="corrected since"):
        validate_decision(validator=case["iv"], decision=first, outcome="agreed")


def test_several_decisions_are_validated_at_once_from_the_queue(client: Client) -> None:
    case = pearson_case()
    decisions = [decide(case, c) for c in case["unit"].criteria.order_by("position")[:3]]
    as_user(client, case["iv"])

    response = client.post(
        reverse("assessments:validate"),
        {"decisions": [d.pk for d in decisions], "outcome": "agreed", "comment": "Sound."},
        follow=True,
    )

    assert "3 decisions agreed and released to the learner." in response.content.decode()
    assert set(
        DecisionValidation.objects.filter(outcome="agreed").values_list("decision", flat=True)
    ) == {d.pk for d in decisions}
    assert AuditEvent.objects.filter(action="decision.agreed").count() == 3
    # Sent twice: nothing new, and it says so.
    again = client.post(
        reverse("assessments:validate"),
        {"decisions": [d.pk for d in decisions], "outcome": "agreed"},
        follow=True,
    )
    assert "already recorded" in again.content.decode()
    assert DecisionValidation.objects.count() == 3


def test_a_referral_without_a_comment_is_refused_and_keeps_the_choice(client: Client) -> None:
    case = pearson_case()
    decision = decide(case, case["criterion"])
    as_user(client, case["iv"])

    response = client.post(
        reverse("assessments:validate"), {"decisions": [decision.pk], "outcome": "referred"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why the decisions are referred back" in html
    assert re.search(rf'value="{decision.pk}" id="decision-{decision.pk}" checked', html)
    assert not DecisionValidation.objects.exists()


def test_validating_answers_404_for_the_invisible_and_403_for_the_visible_but_not_yours(
    client: Client,
) -> None:
    case = pearson_case()
    decision = decide(case, case["criterion"])
    other_iv = member(CentreFactory(), Role.INTERNAL_VERIFIER)
    same_centre_iv = member(case["centre"], Role.INTERNAL_VERIFIER)
    data = {"decisions": [decision.pk], "outcome": "agreed"}
    url = reverse("assessments:validate")

    assert as_user(client, other_iv).post(url, data).status_code == 404
    assert as_user(client, same_centre_iv).post(url, data).status_code == 404
    for user in (case["assessor"], case["learner"], case["admin"]):
        assert as_user(client, user).post(url, data).status_code == 403, user
    assert as_user(client, case["iv"]).get(url).status_code == 405
    assert not DecisionValidation.objects.exists()

    # The queue lists nothing for anyone but the learner's IV at that centre.
    queue = reverse("assessments:validation_queue")
    for user in (other_iv, same_centre_iv):
        html = as_user(client, user).get(queue).content.decode()
        assert f'data-testid="waiting-{decision.pk}"' not in html
    html = as_user(client, case["assessor"]).get(queue).content.decode()
    assert "Switch to your internal verifier role" in html
    html = as_user(client, case["iv"]).get(queue).content.decode()
    assert f'data-testid="waiting-{decision.pk}"' in html
    assert SECRET in html  # the IV reads the feedback they validate


def test_the_iv_home_links_to_the_queue(client: Client) -> None:
    case = pearson_case()
    html = as_user(client, case["iv"]).get(reverse("home")).content.decode()
    assert reverse("assessments:validation_queue") in html


def test_the_validation_queue_costs_the_same_queries_for_3_and_30_decisions(
    client: Client, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    small, large = pearson_case(), pearson_case()
    for case, count in ((small, 3), (large, 30)):
        criteria = list(
            AssessmentCriterion.objects.filter(
                unit__in=[c.unit for c in case["registration"].unit_choices.all()]
            ).order_by("unit_id", "position")[:count]
        )
        assert len(criteria) == count
        evidence = submitted(case, criteria)
        for criterion in criteria:
            decide(case, criterion, evidence)
    url = reverse("assessments:validation_queue")
    as_user(client, small["iv"]).get(url)

    # Session, user, memberships, the IV's registrations that need validation (a list, so
    # the database starts from them, not from every decision of the centre), count, own
    # decisions, page, evidence of the page, returns held for validation.
    with django_assert_num_queries(9):  # type: ignore[operator]
        html = client.get(url).content.decode()
    assert html.count('data-testid="waiting-') == 3
    as_user(client, large["iv"]).get(url)
    with django_assert_num_queries(9):  # type: ignore[operator]
        html = client.get(url).content.decode()
    assert html.count('data-testid="waiting-') == 25
    first = Decision.objects.filter(registration=large["registration"]).order_by("pk").first()
    assert re.findall(r'data-testid="waiting-(\d+)"', html)[0] == str(first.pk)  # oldest first


# ---------------------------------------------------------------- sign-off


def test_a_unit_is_signed_off_only_once_its_decisions_are_released(client: Client) -> None:
    case = pearson_case()
    decisions = [decide(case, c) for c in case["unit"].criteria.all()]
    url = reverse("assessments:unit", args=[case["registration"].pk, case["unit"].pk])

    with pytest.raises(AssessmentError, match="internal verifier to validate every decision"):
        sign_off_unit(
            assessor=case["assessor"],
            registration=case["registration"],
            unit=case["unit"],
            password=DEFAULT_PASSWORD,
            declared_authentic=True,
        )
    html = as_user(client, case["assessor"]).get(url).content.decode()
    assert "Sign off the unit" not in html
    assert f"{len(decisions)} decisions on this unit wait for the internal verifier" in html

    validate_decisions(validator=case["iv"], decisions=decisions, outcome="agreed")
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    assert AuditEvent.objects.filter(action="unit.signed_off").count() == 1


# ---------------------------------------------------------------- the centre's page


def test_a_centre_admin_sets_the_release_on_the_page(client: Client) -> None:
    case = make_case()  # IMI: the centre's choice
    qualification = case["registration"].qualification
    url = reverse("assessments:release_settings")
    as_user(client, case["admin"])
    html = client.get(url).content.decode()
    assert "The learner sees it at once" in row(html, f"release-{qualification.pk}")
    assert url in client.get(reverse("home")).content.decode()

    response = client.post(
        url, {"qualification": qualification.pk, "validation_required": "yes"}, follow=True
    )

    html = response.content.decode()
    assert f"{qualification.number}: decisions wait for an internal verifier" in html
    assert "Validated by an internal verifier first" in row(html, f"release-{qualification.pk}")
    setting = ReleaseSetting.objects.get()
    assert (setting.centre, setting.validation_required, setting.changed_by) == (
        case["centre"],
        True,
        case["admin"],
    )
    event = AuditEvent.objects.get(action="release.setting_changed")
    assert event.data["previous"] is None
    assert event.centre_id == case["centre"].pk

    client.post(url, {"qualification": qualification.pk, "validation_required": "no"})
    assert ReleaseSetting.objects.get().validation_required is False

    bad = client.post(url, {"qualification": qualification.pk})
    assert bad.status_code == 400
    assert "This field is required" in bad.content.decode()
    assert ReleaseSetting.objects.get().validation_required is False


def test_the_page_refuses_to_switch_off_pearsons_validation_beside_the_field(
    client: Client,
) -> None:
    case = pearson_case()
    url = reverse("assessments:release_settings")
    as_user(client, case["admin"])
    html = client.get(url).content.decode()
    # Beside the setting: required by Pearson, cannot be switched off, and where it says so.
    pearson_row = row(html, f"release-{case['qualification'].pk}")
    assert "required by Pearson, cannot be switched off" in pearson_row
    assert PEARSON_WORDS in pearson_row

    response = client.post(
        url, {"qualification": case["qualification"].pk, "validation_required": "no"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'data-testid="error-summary".*?</div>', html, flags=re.S)
    assert summary
    assert "Internal verification before release cannot be switched off" in summary.group(0)
    # The same message beside the field, linked from the summary.
    assert html.count("Internal verification before release cannot be switched off") >= 2
    assert 'href="#id_validation_required' in html
    assert not ReleaseSetting.objects.exists()
    assert not AuditEvent.objects.filter(action="release.setting_changed").exists()


def test_a_pearson_row_saved_at_once_shows_as_overruled(client: Client) -> None:
    case = pearson_case()
    ReleaseSetting.objects.create(
        centre=case["centre"],
        qualification=case["qualification"],
        validation_required=False,
        changed_by=case["admin"],
    )
    as_user(client, case["admin"])
    html = client.get(reverse("assessments:release_settings")).content.decode()
    pearson_row = row(html, f"release-{case['qualification'].pk}")
    assert "overruled, Pearson requires validation" in pearson_row
    assert "Validated by an internal verifier first" in pearson_row


def test_only_centre_admins_open_the_release_settings(client: Client) -> None:
    case = pearson_case()
    url = reverse("assessments:release_settings")
    for user in (case["assessor"], case["iv"], case["learner"]):
        assert as_user(client, user).get(url).status_code == 403
        response = as_user(client, user).post(
            url, {"qualification": case["qualification"].pk, "validation_required": "no"}
        )
        assert response.status_code == 403
    assert not ReleaseSetting.objects.exists()


# ---------------------------------------------------------------- the demo


def test_the_demo_has_a_pearson_learner_with_one_decision_released_and_one_waiting(
    settings: pytest.FixtureRequest, tmp_path: pytest.FixtureRequest
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from assessments.release import awaiting_validation
    from demo.centres import CENTRE_NUMBER

    settings.DEBUG = True  # type: ignore[attr-defined]
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    call_command("seed_demo", stdout=StringIO())

    pearson = Registration.objects.filter(
        centre__number=CENTRE_NUMBER, qualification__decisions_need_validation=True
    )
    assert pearson.exists()
    agreed = DecisionValidation.objects.filter(decision__registration__in=pearson, outcome="agreed")
    shown = agreed.values_list("decision__registration", flat=True)
    waiting = awaiting_validation(Decision.objects.filter(registration__in=shown))
    assert waiting.exists()
    assert AuditEvent.objects.filter(action="decision.agreed").count() == agreed.count()


def test_the_registrations_needing_validation_are_those_validation_required_names() -> None:
    # needing_validation is validation_required in SQL, for the IV's queue: the centre's own
    # setting first, else the qualification's default; both ways round, for both kinds.
    from assessments.models import ReleaseSetting
    from assessments.release import needing_validation
    from tests.factories import RegistrationFactory

    pearson = pearson_case()
    other_centre = CentreFactory()
    plain = Qualification.objects.filter(decisions_need_validation=False).first()
    assert plain is not None
    made = [pearson["registration"]]
    for centre in (pearson["centre"], other_centre):
        for qualification in (pearson["qualification"], plain):
            made.append(RegistrationFactory(centre=centre, qualification=qualification))
    # The other centre turns its defaults round: validation for the plain one, none for
    # Pearson (a row saved before the rule was enforced: read as required all the same).
    ReleaseSetting.objects.create(
        centre=other_centre,
        qualification=plain,
        validation_required=True,
        changed_by=pearson["admin"],
    )
    ReleaseSetting.objects.create(
        centre=other_centre,
        qualification=pearson["qualification"],
        validation_required=False,
        changed_by=pearson["admin"],
    )
    found = set(
        needing_validation(Registration.objects.filter(pk__in=[r.pk for r in made])).values_list(
            "pk", flat=True
        )
    )
    expected = {r.pk for r in made if validation_required(r)}
    assert found == expected
    # Pearson at both centres (three registrations), plain at the second.
    assert len(expected) == 4
