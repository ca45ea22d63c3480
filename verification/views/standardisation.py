"""Standardisation records: the centre's list, recording a meeting, its page, finalising it.

Thin: load through visible_to (another centre's meeting answers 404), check who may act (403:
internal verifiers and centre admins record, an EQA reads, an assessor reads the meetings they
attended, a learner reads none), bind a form, call one service, redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import eqa_may_read, has_role_at
from accounts.models import Membership, Role
from accounts.requests import AuthedRequest
from verification import standardisation as services
from verification.forms.standardisation import MeetingFilterForm, MeetingForm, OutcomeForm
from verification.models.standardisation import StandardisationMeeting, StandardisationOutcome

READER_ROLES = (Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA)
# Assessors take part in standardisation, so they may read the record of a meeting they attended
# (to act on its decisions), but not the centre's other meetings.
LIST_ROLES = (*READER_ROLES, Role.ASSESSOR)


def _may_read(user: Any, meeting: StandardisationMeeting) -> bool:
    if user.is_superuser or has_role_at(
        user, meeting.centre_id, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN
    ):
        return True
    if eqa_may_read(user, meeting.centre_id, meeting.qualification_id):
        return True
    attended = any(person.pk == user.pk for person in meeting.attendees.all())
    return attended and has_role_at(user, meeting.centre_id, Role.ASSESSOR)


def _meeting(request: AuthedRequest, pk: int, *, record: bool = False) -> StandardisationMeeting:
    meeting = get_object_or_404(
        StandardisationMeeting.objects.visible_to(request.user)
        .select_related("centre", "qualification", "recorded_by", "finalised_by")
        .prefetch_related("attendees"),
        pk=pk,
    )
    allowed = (
        services.may_record(request.user, meeting.centre_id)
        if record
        else _may_read(request.user, meeting)
    )
    if not allowed:
        raise PermissionDenied
    return meeting


def _active_membership(request: AuthedRequest, roles: tuple[str, ...]) -> Membership:
    membership = request.membership
    if not membership or membership.role not in roles:
        raise PermissionDenied
    return membership


def _active_centre_id(request: AuthedRequest, roles: tuple[str, ...]) -> int:
    return _active_membership(request, roles).centre_id


@require_GET
@login_required
def meeting_list(request: AuthedRequest) -> HttpResponse:
    """The active centre's meetings, newest first, optionally for one qualification."""
    membership = _active_membership(request, LIST_ROLES)
    centre_id = membership.centre_id
    meetings = (
        StandardisationMeeting.objects.readable_by(request.user)
        .filter(centre_id=centre_id)
        .select_related("qualification")
        .annotate(
            decisions=Count("outcomes", distinct=True),
            present=Count("attendees", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )
    filter_form = MeetingFilterForm(request.GET or None, centre_id=centre_id)
    if filter_form.is_valid() and filter_form.cleaned_data["qualification"]:
        meetings = meetings.filter(qualification=filter_form.cleaned_data["qualification"])
    return render(
        request,
        "verification/standardisation_list.html",
        {
            "meetings": list(meetings),
            "filter_form": filter_form,
            "centre": membership.centre,
            "can_record": services.may_record(request.user, centre_id),
        },
    )


def _meeting_values(form: MeetingForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "qualification": data["qualification"],
        "title": data["title"],
        "held_on": data["held_on"],
        "location": data["location"],
        "attendees": list(data["attendees"]),
        "external_attendees": data["external_attendees"],
        "notes": data["notes"],
    }


@require_http_methods(["GET", "POST"])
@login_required
def meeting_create(request: AuthedRequest) -> HttpResponse:
    membership = _active_membership(request, services.RECORDER_ROLES)
    centre_id = membership.centre_id
    form = MeetingForm(request.POST or None, centre_id=centre_id)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = services.create_meeting(
                    actor=request.user,
                    centre=membership.centre,
                    **_meeting_values(form),
                )
            except services.StandardisationError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, "The meeting is recorded as a draft: now add its decisions."
                )
                return redirect("verification:standardisation_detail", pk=meeting.pk)
        status = 400
    return render(
        request,
        "verification/standardisation_form.html",
        {"form": form, "meeting": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def meeting_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, record=True)
    if not meeting.is_draft:
        messages.error(request, "This meeting is finalised: its record can no longer change.")
        return redirect("verification:standardisation_detail", pk=meeting.pk)
    form = MeetingForm(
        request.POST or None,
        centre_id=meeting.centre_id,
        initial=MeetingForm.initial_for(meeting),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_meeting(
                    actor=request.user, meeting=meeting, **_meeting_values(form)
                )
            except services.StandardisationError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "The meeting's details are saved.")
                return redirect("verification:standardisation_detail", pk=meeting.pk)
        status = 400
    return render(
        request,
        "verification/standardisation_form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


def _detail_page(
    request: AuthedRequest,
    meeting: StandardisationMeeting,
    *,
    status: int = 200,
    outcome_form: OutcomeForm | None = None,
) -> HttpResponse:
    outcomes = list(
        StandardisationOutcome.objects.filter(meeting=meeting)
        .select_related("action_owner")
        .prefetch_related("units")
        .order_by("position")
    )
    can_record = meeting.is_draft and services.may_record(request.user, meeting.centre_id)
    return render(
        request,
        "verification/standardisation_detail.html",
        {
            "meeting": meeting,
            "outcomes": outcomes,
            "can_record": can_record,
            "outcome_form": (outcome_form or OutcomeForm(meeting=meeting)) if can_record else None,
        },
        status=status,
    )


@require_GET
@login_required
def meeting_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _meeting(request, pk))


@require_POST
@login_required
def outcome_add(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, record=True)
    form = OutcomeForm(request.POST, meeting=meeting)
    if not form.is_valid():
        return _detail_page(request, meeting, status=400, outcome_form=form)
    try:
        outcome = services.add_outcome(actor=request.user, meeting=meeting, **form.cleaned_data)
    except services.StandardisationError as error:
        messages.error(request, str(error))
        return _detail_page(request, meeting, status=400, outcome_form=form)
    messages.success(request, f"Decision {outcome.position} is recorded.")
    return redirect("verification:standardisation_detail", pk=meeting.pk)


@require_POST
@login_required
def meeting_finalise(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, record=True)
    try:
        services.finalise_meeting(actor=request.user, meeting=meeting)
    except services.StandardisationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The meeting is finalised: its record can no longer change.")
    return redirect("verification:standardisation_detail", pk=meeting.pk)
