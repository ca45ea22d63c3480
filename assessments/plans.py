"""Assessment plans: drafting, signing by both, marking activities done, and revising.

Every change is one transaction with its audit event. A plan the assessor has signed is never
edited again: to change it the assessor revises it, which starts a new draft that supersedes it
and carries forward the activities not yet done. Refusals raise AssessmentError with a message
for the person.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from assessments.models import AssessmentPlan, PlanActivity
from assessments.services import AssessmentError, require_assessor
from core.audit import record_event
from portfolios.models import EvidenceMethod, Registration, RegistrationStatus
from portfolios.readmodel import refresh_progress
from qualifications.models import AssessmentCriterion


def _require_active(registration: Registration) -> None:
    if registration.status != RegistrationStatus.ACTIVE:
        raise AssessmentError("Plans can only change while the registration is active.")


def _locked_plan(plan: AssessmentPlan) -> AssessmentPlan:
    """The plan read afresh under a row lock: what counts is its state now."""
    return AssessmentPlan.objects.select_for_update().select_related("registration").get(pk=plan.pk)


def _require_draft(plan: AssessmentPlan) -> None:
    if not plan.is_draft:
        raise AssessmentError(
            "This plan is signed, so it cannot change. Revise it to agree a new version."
        )


def _require_head(plan: AssessmentPlan) -> None:
    if AssessmentPlan.objects.filter(supersedes=plan).exists():
        raise AssessmentError("A newer version of this plan exists; work on that one instead.")


def _check_criteria(
    registration: Registration, criteria: Iterable[AssessmentCriterion]
) -> list[AssessmentCriterion]:
    criteria = list(criteria)
    units = set(registration.unit_choices.values_list("unit_id", flat=True))
    if any(criterion.unit_id not in units for criterion in criteria):
        raise AssessmentError("A plan aims only at criteria of the units this learner takes.")
    return criteria


@transaction.atomic
def plan_create(
    *, assessor: User, registration: Registration, title: str, summary: str = ""
) -> AssessmentPlan:
    """Start the learner's first plan, as a draft."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    require_assessor(assessor, registration)
    _require_active(registration)
    if not title.strip():
        raise AssessmentError("Give the plan a title.")
    if AssessmentPlan.objects.filter(registration=registration).exists():
        raise AssessmentError(
            "This learner already has a plan. Change its draft, or revise the signed one."
        )
    try:
        with transaction.atomic():
            plan = AssessmentPlan.objects.create(
                registration=registration,
                title=title.strip(),
                summary=summary.strip(),
                created_by=assessor,
            )
    except IntegrityError as exc:
        raise AssessmentError(
            "Someone started a plan for this learner at the same moment."
        ) from exc
    record_event(
        actor=assessor,
        action="plan.created",
        target=plan,
        centre_id=registration.centre_id,
        data={"registration": registration.pk, "title": plan.title},
    )
    return plan


@transaction.atomic
def activity_add(
    *,
    assessor: User,
    plan: AssessmentPlan,
    description: str,
    method: str,
    target_date: date,
    criteria: Iterable[AssessmentCriterion] = (),
) -> PlanActivity:
    plan = _locked_plan(plan)
    registration = plan.registration
    require_assessor(assessor, registration)
    _require_active(registration)
    _require_draft(plan)
    if not description.strip():
        raise AssessmentError("Say what the activity is.")
    if method not in EvidenceMethod.values:
        raise AssessmentError(f"Unknown assessment method {method!r}.")
    criteria = _check_criteria(registration, criteria)
    last = plan.activities.aggregate(last=Max("position"))["last"] or 0
    activity = PlanActivity.objects.create(
        plan=plan,
        position=last + 1,
        description=description.strip(),
        method=method,
        target_date=target_date,
    )
    activity.criteria.set(criteria)
    record_event(
        actor=assessor,
        action="plan.activity_added",
        target=plan,
        centre_id=registration.centre_id,
        data={
            "activity": activity.pk,
            "description": activity.description,
            "target_date": target_date.isoformat(),
            "criteria": sorted(c.pk for c in criteria),
        },
    )
    return activity


@transaction.atomic
def activity_remove(*, assessor: User, activity: PlanActivity) -> None:
    """Take an activity out of a draft (nothing signed is ever deleted)."""
    plan = _locked_plan(activity.plan)
    registration = plan.registration
    require_assessor(assessor, registration)
    _require_active(registration)
    _require_draft(plan)
    activity = PlanActivity.objects.get(pk=activity.pk, plan=plan)
    activity_id, description = activity.pk, activity.description
    activity.criteria.clear()
    activity.delete()
    record_event(
        actor=assessor,
        action="plan.activity_removed",
        target=plan,
        centre_id=registration.centre_id,
        data={"activity": activity_id, "description": description},
    )


def _signed_content(plan: AssessmentPlan) -> dict:
    return {
        "plan": plan.pk,
        "registration": plan.registration_id,
        "title": plan.title,
        "summary": plan.summary,
        "activities": [
            {
                "description": a.description,
                "method": a.method,
                "target_date": a.target_date.isoformat(),
                "criteria": sorted(c.pk for c in a.criteria.all()),
            }
            for a in plan.activities.prefetch_related("criteria").order_by("position")
        ],
    }


def content_hash(plan: AssessmentPlan) -> str:
    """SHA-256 of the plan's content: what the signatures cover."""
    return hashlib.sha256(json.dumps(_signed_content(plan), sort_keys=True).encode()).hexdigest()


@transaction.atomic
def assessor_sign(*, assessor: User, plan: AssessmentPlan) -> AssessmentPlan:
    """The assessor signs the draft; from now on it cannot change."""
    plan = _locked_plan(plan)
    registration = plan.registration
    require_assessor(assessor, registration)
    _require_active(registration)
    if not plan.is_draft:
        raise AssessmentError("This plan is already signed by the assessor.")
    if not plan.activities.exists():
        raise AssessmentError("Add at least one activity before signing the plan.")
    plan.assessor_signed_by = assessor
    plan.assessor_signed_at = timezone.now()
    plan.content_hash = content_hash(plan)
    plan.save(update_fields=["assessor_signed_by", "assessor_signed_at", "content_hash"])
    record_event(
        actor=assessor,
        action="plan.assessor_signed",
        target=plan,
        centre_id=registration.centre_id,
        data={"content_hash": plan.content_hash},
    )
    return plan


@transaction.atomic
def learner_sign(*, learner: User, plan: AssessmentPlan) -> AssessmentPlan:
    """The learner countersigns: the plan is agreed and replaces any earlier one."""
    plan = _locked_plan(plan)
    registration = plan.registration
    if registration.learner_id != learner.pk:
        raise AssessmentError("Only the learner whose plan it is may sign it as the learner.")
    _require_active(registration)
    if plan.is_draft:
        raise AssessmentError("Your assessor has not signed this plan yet; sign it once they have.")
    if plan.learner_signed_at is not None:
        raise AssessmentError("You have already signed this plan.")
    _require_head(plan)
    # The content cannot change after the assessor signs; this proves it for the record.
    if content_hash(plan) != plan.content_hash:
        raise AssessmentError(
            "This plan changed after your assessor signed it; ask them to sign again."
        )
    plan.learner_signed_at = timezone.now()
    plan.save(update_fields=["learner_signed_at"])
    # The agreed plan comes into force: its activities' dates are the ones that fall due.
    refresh_progress(registration)
    record_event(
        actor=learner,
        action="plan.learner_signed",
        target=plan,
        centre_id=registration.centre_id,
        data={"content_hash": plan.content_hash},
    )
    return plan


@transaction.atomic
def activity_done(*, assessor: User, activity: PlanActivity) -> PlanActivity:
    """Mark an activity of the plan in force as done."""
    plan = _locked_plan(activity.plan)
    registration = plan.registration
    require_assessor(assessor, registration)
    _require_active(registration)
    if not AssessmentPlan.objects.in_force().filter(pk=plan.pk).exists():
        raise AssessmentError("Only activities of the agreed plan in force can be marked done.")
    activity = PlanActivity.objects.get(pk=activity.pk, plan=plan)
    if activity.completed_at is not None:
        raise AssessmentError("This activity is already marked done.")
    activity.completed_at = timezone.now()
    activity.completed_by = assessor
    activity.save(update_fields=["completed_at", "completed_by"])
    refresh_progress(registration)
    record_event(
        actor=assessor,
        action="plan.activity_done",
        target=plan,
        centre_id=registration.centre_id,
        data={"activity": activity.pk, "description": activity.description},
    )
    return activity


@transaction.atomic
def plan_revise(*, assessor: User, plan: AssessmentPlan, reason: str) -> AssessmentPlan:
    """Start a new draft that supersedes a signed plan, carrying forward what is not yet done.

    The earlier plan stays in force until both have signed the revision.
    """
    plan = _locked_plan(plan)
    registration = plan.registration
    require_assessor(assessor, registration)
    _require_active(registration)
    if plan.is_draft:
        raise AssessmentError("This plan is still a draft: change it directly.")
    _require_head(plan)
    if not reason.strip():
        raise AssessmentError("Say why the plan is revised.")
    try:
        with transaction.atomic():
            revision = AssessmentPlan.objects.create(
                registration=registration,
                title=plan.title,
                summary=plan.summary,
                created_by=assessor,
                supersedes=plan,
                reason=reason.strip(),
            )
    except IntegrityError as exc:
        raise AssessmentError("Someone revised this plan at the same moment; reload.") from exc
    carried = plan.activities.filter(completed_at__isnull=True).prefetch_related("criteria")
    for position, old in enumerate(carried, 1):
        new = PlanActivity.objects.create(
            plan=revision,
            position=position,
            description=old.description,
            method=old.method,
            target_date=old.target_date,
        )
        new.criteria.set(old.criteria.all())
    record_event(
        actor=assessor,
        action="plan.revised",
        target=revision,
        centre_id=registration.centre_id,
        data={"supersedes": plan.pk, "reason": revision.reason},
    )
    return revision
