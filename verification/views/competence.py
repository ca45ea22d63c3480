"""How each assessor and internal verifier meets the requirements, per qualification (issue 17).

For the centre's admins and, read-only during their access, its EQA (limited to the
qualifications of their grant): the page, and the same as a CSV file for the awarding body
(SFJ handbook section 4.2 item 6: "current evidence of how each assessor meets these
requirements"). A fixed number of queries, whatever the number of staff.
"""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.competence import WARN_DAYS, StaffRow, competence_table
from accounts.context import working_membership
from accounts.models import Membership
from accounts.requests import AuthedRequest
from core.csv_cells import safe_cell
from qualifications.models import Qualification

REFUSAL = "The staff competence report is for the centre's admins and its external quality assurer."


def _report(request: AuthedRequest) -> tuple[Membership, list[Qualification], list[StaffRow]]:
    membership = working_membership(request, "verification.work_competence_report", REFUSAL)
    qualifications = list(
        membership.qualifications_in_view().select_related("awarding_body").order_by("number")
    )
    rows = competence_table(membership.centre_id, qualifications)
    return membership, qualifications, rows


@require_GET
@login_required
def report(request: AuthedRequest) -> HttpResponse:
    membership, qualifications, rows = _report(request)
    tables = [
        (qualification, [(row, row.competences[index]) for row in rows])
        for index, qualification in enumerate(qualifications)
    ]
    return render(
        request,
        "verification/competence.html",
        {
            "centre": membership.centre,
            "tables": tables,
            "today": timezone.localdate(),
            "warn_days": WARN_DAYS,
        },
    )


@require_GET
@login_required
def report_csv(request: AuthedRequest) -> HttpResponse:
    membership, qualifications, rows = _report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Qualification",
            "Person",
            "E-mail",
            "Role",
            "Requirement",
            "Met",
            "Detail",
            "Lapses on",
            "Source",
        ]
    )
    for index, qualification in enumerate(qualifications):
        for row in rows:
            competence = row.competences[index]
            for item in competence.requirements:
                writer.writerow(
                    [
                        safe_cell(qualification.number),
                        safe_cell(row.person.get_full_name()),
                        safe_cell(row.person.email),
                        row.role_label,
                        item.rule,
                        "yes" if item.met else "no",
                        safe_cell(item.detail),
                        item.until.isoformat() if item.until else "",
                        safe_cell(item.source),
                    ]
                )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    centre = membership.centre
    name = f"staff-competence-{centre.number}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
