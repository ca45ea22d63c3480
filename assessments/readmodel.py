"""The figures of the progress read model (portfolios/readmodel.py) that come from this app's
log: criteria met (current decisions), units signed off, and the plan's next due date."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from assessments.models import Decision, Outcome, UnitSignOff
from assessments.models.plan import PlanActivity
from portfolios import readmodel
from portfolios.models import CreditTransfer


def criteria_met() -> Coalesce:
    return readmodel.count_per_registration(Decision.objects.current().filter(outcome=Outcome.MET))


def units_signed_off() -> Any:
    """Units achieved: signed off, or credited by transfer (SFJ section 2.8)."""
    return readmodel.count_per_registration(
        UnitSignOff.objects.active()
    ) + readmodel.count_per_registration(CreditTransfer.objects.live())


def plan_due() -> Subquery:
    """The earliest target date of the open activities of the plan in force (None: none)."""
    return Subquery(
        PlanActivity.objects.open()
        .filter(plan__registration=OuterRef("pk"))
        .order_by("target_date")
        .values("target_date")[:1]
    )


def connect() -> None:
    readmodel.register_figure("criteria_met", criteria_met)
    readmodel.register_figure("units_signed_off", units_signed_off)
    readmodel.register_figure("plan_due", plan_due)
