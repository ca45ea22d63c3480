"""Fill the progress read model (portfolios.RegistrationProgress) from a recount of the log, so
existing databases start right. In this app because it reads both apps' tables; the counting is
copied here as it stands today (a migration must not follow later code), and
`manage.py recount_progress` checks the result against the live definition."""

import datetime

from django.db import migrations
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

SLACK = 0.2
BATCH = 1000


def _pace(start, end, met, required):
    if end is None or end <= start or required == 0:
        return False, None
    days = (end - start).days

    def behind(day):
        elapsed = min(max(day / days, 0.0), 1.0)
        return elapsed - met / required > SLACK

    if not behind(days):
        return True, None
    low, high = 0, days
    while high - low > 1:
        middle = (low + high) // 2
        if behind(middle):
            high = middle
        else:
            low = middle
    return True, start + datetime.timedelta(days=high)


def backfill(apps, schema_editor):
    Registration = apps.get_model("portfolios", "Registration")
    RegistrationUnit = apps.get_model("portfolios", "RegistrationUnit")
    Evidence = apps.get_model("portfolios", "Evidence")
    Progress = apps.get_model("portfolios", "RegistrationProgress")
    Decision = apps.get_model("assessments", "Decision")
    UnitSignOff = apps.get_model("assessments", "UnitSignOff")
    AssessmentPlan = apps.get_model("assessments", "AssessmentPlan")
    PlanActivity = apps.get_model("assessments", "PlanActivity")

    def count(queryset, field="registration"):
        grouped = (
            queryset.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        return Coalesce(Subquery(grouped, output_field=IntegerField()), 0)

    required = (
        RegistrationUnit.objects.filter(registration=OuterRef("pk"))
        .order_by()
        .values("registration")
        .annotate(n=Count("unit__criteria"))
        .values("n")[:1]
    )
    agreed = AssessmentPlan.objects.filter(
        assessor_signed_at__isnull=False, learner_signed_at__isnull=False
    )
    later = agreed.filter(
        registration=OuterRef("registration"), learner_signed_at__gt=OuterRef("learner_signed_at")
    )
    in_force = agreed.filter(~Exists(later))
    plan_due = (
        PlanActivity.objects.filter(
            completed_at__isnull=True,
            plan__in=in_force.values("pk"),
            plan__registration=OuterRef("pk"),
        )
        .order_by("target_date")
        .values("target_date")[:1]
    )
    ids = list(
        Registration.objects.filter(progress__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        rows = (
            Registration.objects.filter(pk__in=ids[start : start + BATCH])
            .annotate(
                n_required=Coalesce(Subquery(required, output_field=IntegerField()), 0),
                n_met=count(Decision.objects.filter(superseded_by__isnull=True, outcome="met")),
                n_signed=count(UnitSignOff.objects.filter(unlocked_at__isnull=True)),
                n_waiting=count(Evidence.objects.filter(status="submitted")),
                due=Subquery(plan_due),
            )
            .values(
                "pk",
                "start_date",
                "planned_end_date",
                "n_required",
                "n_met",
                "n_signed",
                "n_waiting",
                "due",
            )
        )
        made = []
        for row in rows:
            paced, behind_from = _pace(
                row["start_date"], row["planned_end_date"], row["n_met"], row["n_required"]
            )
            made.append(
                Progress(
                    registration_id=row["pk"],
                    criteria_required=row["n_required"],
                    criteria_met=row["n_met"],
                    units_signed_off=row["n_signed"],
                    evidence_waiting=row["n_waiting"],
                    paced=paced,
                    behind_from=behind_from,
                    plan_due=row["due"],
                )
            )
        Progress.objects.bulk_create(made)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_judgement"),
        ("portfolios", "0006_registration_progress"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
