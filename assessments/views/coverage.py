"""Apprenticeship-standard coverage pages: one registration's KSB statements, and a cohort.

Thin: load through visible_to (404 for what the person may not see), check the role (403), compute
with assessments.coverage, render. Each page costs a fixed number of queries whatever the number
of statements, decisions or learners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.access import eqa_scope
from accounts.models import Role
from accounts.requests import AuthedRequest
from assessments.coverage import StandardCoverage, State, coverage_for
from assessments.forms.coverage import CohortFilterForm
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification, Standard, Statement
from qualifications.standards import qualifications_for, standards_for

# Staff who see a cohort, each over the learners the role gives them at the active centre.
COHORT_ROLES = {Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA}
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
    membership = request.membership
    if not membership or membership.role not in COHORT_ROLES:
        raise PermissionDenied
    return membership


def _qualifications_in_view(membership: Any) -> QuerySet[Qualification]:
    """The centre's qualifications, or only those of an EQA grant limited to some."""
    qualifications = membership.centre.qualifications.all()
    if membership.role == Role.EQA:
        limit = membership.qualifications.all()
        if limit.exists():
            return qualifications.filter(pk__in=limit.values("pk"))
    return qualifications


def cohort_registrations(user: Any, membership: Any) -> QuerySet[Registration]:
    """The learners the role at the active centre covers: as Registration.visible_to allows."""
    registrations = Registration.objects.filter(centre_id=membership.centre_id).exclude(
        status__in=GONE
    )
    if membership.role == Role.ASSESSOR:
        return registrations.filter(assessors=user).exclude(learner=user)
    if membership.role == Role.INTERNAL_VERIFIER:
        return registrations.filter(internal_verifier=user)
    if membership.role == Role.EQA:
        # The grant may be limited to some qualifications.
        return registrations.filter(eqa_scope(user))
    return registrations


@require_GET
@login_required
def standards_index(request: AuthedRequest) -> HttpResponse:
    """The standards the active centre's qualifications map to, each with its cohort link."""
    membership = _cohort_membership(request)
    standards = list(
        standards_for(_qualifications_in_view(membership).values("pk")).select_related(
            "qualification"
        )
    )
    return render(
        request,
        "assessments/standards.html",
        {"standards": standards, "membership": membership},
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
    if membership.role == Role.EQA:
        # A limited grant opens only the standards its qualifications map to.
        readable = set(_qualifications_in_view(membership).values_list("pk", flat=True))
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
