"""What certification adds to a learner's achievement record (assessments.achievements
.content_sources): their reasonable adjustments and appeals. Pearson BTEC specification l.460:
"Records should include assessments taken, decisions reached and any adjustments or appeals."
Special consideration and malpractice stay in the centre's case records, not the learner's
certificate of what they achieved."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from certification.models import Case, CaseKind, CaseStatus
from portfolios.models import Registration


def cases_section(registration: Registration, kind: str) -> dict[str, Any]:
    """The learner's adjustments (approved ones only: a refused request changed nothing about how
    they were assessed) and every appeal with where it stands (l.488: "Centres must document all
    learner appeals and their resolutions"). One query."""
    rows = (
        Case.objects.filter(
            registration_id=registration.pk,
            kind__in=[CaseKind.REASONABLE_ADJUSTMENT, CaseKind.APPEAL],
        )
        .exclude(kind=CaseKind.REASONABLE_ADJUSTMENT, outcome__in=["", "refused"])
        .exclude(kind=CaseKind.REASONABLE_ADJUSTMENT, status=CaseStatus.WITHDRAWN)
        .select_related("unit", "decided_by")
        .order_by("raised_at", "pk")
    )
    cases = [
        {
            "title": case.title,
            "unit": (case.unit.reference or case.unit.key) if case.unit else None,
            "raised_on": timezone.localdate(case.raised_at).isoformat(),
            "details": case.details,
            "standing": case.where_it_stands().capitalize(),
            "decided_on": timezone.localdate(case.decided_at).isoformat()
            if case.decided_at
            else None,
            "decided_by": str(case.decided_by) if case.decided_by else None,
            "decision": case.decision,
            "ab_reference": case.ab_reference,
        }
        for case in rows
    ]
    return {"cases": cases} if cases else {}
