"""What the learner's home page shows of their assessment plans: the activities overdue and
the next ones due in the plan in force, and any plan waiting for their signature.

Overdue, next and to sign are the plan querysets' own (PlanActivity.objects.open / overdue /
upcoming, AssessmentPlan.objects.waiting_for_learner), shared with the staff's Plans page.

Two queries for a page of registrations, whatever the size of the plans.
"""

from __future__ import annotations

import datetime
from typing import Any

from assessments.models import AssessmentPlan, PlanActivity

NEXT = 3


def attach_plans(registrations: list[Any], today: datetime.date) -> bool:
    """Set `overdue_activities`, `next_activities` and `plan_to_sign` on each registration;
    say whether any registration has something to show."""
    by_id = {registration.pk: registration for registration in registrations}
    for registration in registrations:
        registration.overdue_activities = []
        registration.next_activities = []
        registration.plan_to_sign = None
    if not by_id:
        return False
    activities = (
        PlanActivity.objects.open()
        .filter(plan__registration_id__in=by_id)
        .select_related("plan")
        .order_by("target_date", "position", "pk")
    )
    for activity in activities:
        registration = by_id[activity.plan.registration_id]
        if activity.is_overdue(today):
            registration.overdue_activities.append(activity)
        elif len(registration.next_activities) < NEXT:
            registration.next_activities.append(activity)
    # The same definitions as the assessor's Plans page (assessments.plan_queries).
    for plan in AssessmentPlan.objects.waiting_for_learner().filter(registration_id__in=by_id):
        by_id[plan.registration_id].plan_to_sign = plan
    return any(r.overdue_activities or r.next_activities or r.plan_to_sign for r in registrations)
