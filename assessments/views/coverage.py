"""Apprenticeship-standard coverage pages: one registration's KSB statements, and a cohort.

Thin: load through visible_to (404 for what the person may not see), check the role (403), compute
with assessments.coverage, render. Each page costs a fixed number of queries whatever the number
of statements, decisions or learners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rules
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from assessments.coverage import StandardCoverage, State, coverage_for
from assessments.forms.coverage import CohortFilterForm
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Standard, Statement
from qualifications.standards import qualifications_for, standards_for

# A withdrawn or transferred registration no longer works towards the standard here.
GONE = [RegistrationStatus.WITHDRAWN, RegistrationStatus.TRANSFERRED]


@require_GET
@login_required
def registration_coverage(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = get_object_or_404(
        Registration.objects.visible_to(request.user).select_related(
            "learner", "centre", "qualification"
        ),
        pk=pk,
    )
    standards = list(standards_for([registration.qualification_id]).select_related("qualification"))
    if not standards:
        raise Http404("This qualification maps to no apprenticeship standard.")
    coverage = coverage_for([registration], standards)[registration.pk]
    return render(
        request,
        "assessments/coverage.html",
        {"registration": registration, "coverage": coverage},
    )


def _cohort_membership(request: AuthedRequest) -> Any:
    # Staff who see a cohort, each over the learners the role gives them at the active centre.
    return working_membership(request, "assessments.view_cohort")


def cohort_registrations(user: Any, membership: Any) -> QuerySet[Registration]:
    """The learners the role worn at the active centre covers, as Registration.visible_to
    gives them to that role (an EQA's grant may be limited to some qualifications); never the
    person's own."""
    return (
        Registration.objects.visible_to(user, roles=[membership.role])
        .filter(centre_id=membership.centre_id)
        .exclude(status__in=GONE)
        .exclude(learner_id=user.pk)
    )


@require_GET
@login_required
def standards_index(request: AuthedRequest) -> HttpResponse:
    """The standards the active centre's qualifications map to, each with its cohort link."""
    membership = _cohort_membership(request)
    standards = list(
        standards_for(membership.qualifications_in_view().values("pk")).select_related(
            "qualification"
        )
    )
    return render(
        request,
        "assessments/standards.html",
        {
            "standards": standards,
            "membership": membership,
            "can_export_off_the_job": rules.test_rule(
                "portfolios.export_off_the_job", request.user, membership
            ),
        },
    )


@dataclass
class StatementTally:
    """How many learners in the cohort cover (or partly cover) one statement."""

    statement: Statement
    covered: int = 0
    partly: int = 0
    not_mapped: int = 0


@require_GET
@login_required
def cohort(request: AuthedRequest, pk: int) -> HttpResponse:
    membership = _cohort_membership(request)
    standard = get_object_or_404(Standard.objects.select_related("qualification"), pk=pk)
    qualifications = list(qualifications_for(standard))
    if rules.test_rule("accounts.work_as_eqa", request.user, membership):
        # A limited grant opens only the standards its qualifications map to.
        readable = set(membership.qualifications_in_view().values_list("pk", flat=True))
        qualifications = [q for q in qualifications if q.pk in readable]
        if not qualifications:
            raise Http404("No qualification of your access maps to this standard.")
    form = CohortFilterForm(request.GET or None, qualifications=qualifications)
    chosen = [q.pk for q in qualifications]
    if form.is_bound and form.is_valid() and form.cleaned_data["qualification"]:
        chosen = [form.cleaned_data["qualification"]]
    registrations = list(
        cohort_registrations(request.user, membership)
        .filter(qualification_id__in=chosen)
        .select_related("learner", "qualification")
        .order_by("learner__full_name", "learner__email", "pk")
    )
    by_registration = coverage_for(registrations, [standard])
    rows: list[tuple[Registration, StandardCoverage]] = [
        (registration, by_registration[registration.pk][0]) for registration in registrations
    ]
    tallies: list[StatementTally] = []
    if rows:
        tallies = [StatementTally(s.statement) for s in rows[0][1].statements]
        for _, coverage in rows:
            for tally, statement in zip(tallies, coverage.statements, strict=True):
                tally.covered += statement.state == State.COVERED
                tally.partly += statement.state == State.PARTLY
                tally.not_mapped += not statement.is_mapped
    return render(
        request,
        "assessments/cohort.html",
        {
            "standard": standard,
            "membership": membership,
            "form": form,
            "rows": rows,
            "tallies": tallies,
            "filtered": len(chosen) == 1 and len(qualifications) > 1,
        },
    )
