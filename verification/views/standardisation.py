"""Standardisation records: the centre's list, recording a meeting, its page, finalising it.

Thin: load through visible_to (another centre's meeting answers 404), check who may act (403:
internal verifiers and centre admins record, an EQA reads, an assessor reads the meetings they
attended, a learner reads none), bind a form, call one service, redirect.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from verification import standardisation as services
from verification.forms.standardisation import MeetingFilterForm, MeetingForm, OutcomeForm
from verification.models.standardisation import StandardisationMeeting, StandardisationOutcome


def _meeting(request: AuthedRequest, pk: int, *, record: bool = False) -> StandardisationMeeting:
    meeting = get_object_or_404(
        StandardisationMeeting.objects.visible_to(request.user)
        .select_related("centre", "qualification", "recorded_by", "finalised_by")
        .prefetch_related("attendees"),
        pk=pk,
    )
    allowed = (
        rules.test_rule("verification.record_standardisation", request.user, meeting.centre_id)
        if record
        else request.user.has_perm("verification.view_meeting", meeting)
    )
    if not allowed:
        raise PermissionDenied
    return meeting


@require_GET
@login_required
def meeting_list(request: AuthedRequest) -> HttpResponse:
    """The active centre's meetings, newest first, optionally for one qualification."""
    membership = working_membership(request, "verification.work_standardisation")
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
            "can_record": rules.test_rule(
                "verification.record_standardisation", request.user, centre_id
            ),
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
    membership = working_membership(request, "verification.work_recording")
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
    can_record = meeting.is_draft and rules.test_rule(
        "verification.record_standardisation", request.user, meeting.centre_id
    )
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
