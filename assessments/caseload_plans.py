"""The staff's Plans page: the plan activities and plans waiting for a signature across the
learners the role worn now gives them at its centre (the assessor's caseload, the IV's covered
learners), worst first.

Overdue, upcoming and to sign are the plan querysets' own (PlanActivity.objects.overdue /
upcoming, AssessmentPlan.objects.waiting_for_signature), the definitions the learner's home
page uses too (home/plans.py). Each state is one queryset; `Rows` pages through the three in
turn, so a page costs a count and at most one slice per state, whatever the caseload's size.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import QuerySet

from assessments.models import AssessmentPlan, PlanActivity
from portfolios.models import Registration, RegistrationStatus

OVERDUE = "overdue"
UPCOMING = "upcoming"
TO_SIGN = "to_sign"
STATES = (
    (OVERDUE, "Overdue"),
    (UPCOMING, "Upcoming"),
    (TO_SIGN, "Waiting for a signature"),
)


def caseload_registrations(user: Any, membership: Any) -> QuerySet[Registration]:
    """The active registrations the role worn gives `user` at its centre, as
    Registration.visible_to gives them to that role (a plan follows its registration:
    AssessmentPlan.objects.visible_to), never the person's own."""
    return (
        Registration.objects.visible_to(user, roles=[membership.role])
        .filter(centre_id=membership.centre_id, status=RegistrationStatus.ACTIVE)
        .exclude(learner_id=user.pk)
    )


@dataclass(frozen=True)
class PlanRow:
    """One line of the page: an open activity (overdue or upcoming) or a plan to sign."""

    state: str
    plan: AssessmentPlan
    activity: PlanActivity | None = None

    @property
    def registration(self) -> Registration:
        return self.plan.registration

    @property
    def waits_for(self) -> str:
        """Whose signature a plan to sign waits for."""
        return "assessor" if self.plan.assessor_signed_at is None else "learner"


_JOINED = ("registration__learner", "registration__qualification")


class Rows(Sequence[PlanRow]):
    """The states' querysets, one after the other, as one sequence a Paginator can page: a
    count per state, then only the slices of the states the page reaches."""

    def __init__(self, parts: list[tuple[str, QuerySet[Any]]]) -> None:
        self.parts = parts
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [queryset.count() for _, queryset in self.parts]
        return self._counts

    # The Paginator counts with len() (Sequence.count is another thing: how often a value occurs).
    def __len__(self) -> int:
        return sum(self.counts())

    @overload
    def __getitem__(self, index: int) -> PlanRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[PlanRow]: ...

    def __getitem__(self, index: int | slice) -> PlanRow | list[PlanRow]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else len(self)
        rows: list[PlanRow] = []
        offset = 0
        for (state, queryset), size in zip(self.parts, self.counts(), strict=True):
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                for item in queryset[low:high]:
                    if isinstance(item, PlanActivity):
                        rows.append(PlanRow(state, item.plan, item))
                    else:
                        rows.append(PlanRow(state, item))
            offset += size
        return rows


def plan_rows(registrations: QuerySet[Registration], today: datetime.date, state: str = "") -> Rows:
    """Overdue activities first (oldest date first), then upcoming ones by date, then the
    plans waiting for a signature (oldest first); only `state`'s where one is chosen."""
    activities = {
        OVERDUE: PlanActivity.objects.overdue(today),
        UPCOMING: PlanActivity.objects.upcoming(today),
    }
    parts: list[tuple[str, QuerySet[Any]]] = []
    for key, queryset in activities.items():
        parts.append(
            (
                key,
                queryset.filter(plan__registration__in=registrations)
                .select_related("plan", *(f"plan__{name}" for name in _JOINED))
                .order_by(
                    "target_date", "plan__registration__learner__full_name", "position", "pk"
                ),
            )
        )
    parts.append(
        (
            TO_SIGN,
            AssessmentPlan.objects.waiting_for_signature()
            .filter(registration__in=registrations)
            .select_related(*_JOINED)
            .order_by("created_at", "pk"),
        )
    )
    return Rows([part for part in parts if not state or part[0] == state])
