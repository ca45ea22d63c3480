"""The centre admin's page for importing a learner's portfolio ZIP from another centre (issue
20, portfolio transfer). The upload streams to a temporary file (never all in memory), the
archive is checked before anything is written (assessments.transfer), and a refusal is shown on
the page with its reason."""

from __future__ import annotations

from typing import Any, cast

import rules
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts.context import admin_centre
from accounts.models import Centre, Invitation
from accounts.requests import AuthedRequest
from assessments.transfer import (
    TransferRefused,
    hold_import,
    import_portfolio,
    max_archive_bytes,
    pending_learner_invitations,
    settle_held,
    withdraw_held,
)
from portfolios.models import HeldTransfer, HeldTransferStatus
from portfolios.uploads import EvidenceUploadHandler, megabytes

FIELD = "archive"


class InvitationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})"


class TransferForm(forms.Form):
    archive = forms.FileField(
        label="Portfolio ZIP",
        help_text="The portfolio ZIP the learner (or their earlier centre) downloaded with "
        "“Download the whole portfolio”, unchanged.",
    )
    email = forms.EmailField(
        label="The learner's e-mail address at this centre",
        required=False,
        help_text="Leave it blank to use the address in the export. The learner must already "
        "be a learner here (invite them from People first).",
    )
    invitation = InvitationChoice(
        label="Or a learner invited here who has not accepted yet",
        queryset=Invitation.objects.none(),
        required=False,
        empty_label="(none: the learner is here already)",
        help_text="The ZIP is checked now and imported when they accept the invitation.",
    )

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["invitation"])
        field.queryset = pending_learner_invitations(centre)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _centre(request: AuthedRequest) -> Centre:
    centre = admin_centre(request)
    if not rules.test_rule("portfolios.import_portfolio", request.user, centre):
        raise PermissionDenied("Only a centre admin imports a portfolio.")
    return centre


def _page(
    request: AuthedRequest, centre: Centre, form: TransferForm, *, refusal: str = "", status: int
) -> HttpResponse:
    # Held imports whose invitation expired unanswered are discarded, and any whose accepted
    # invitation's import did not run (the process stopped) imported, before they are listed.
    settle_held()
    held = list(
        HeldTransfer.objects.visible_to(request.user)
        .filter(centre=centre, status=HeldTransferStatus.WAITING)
        .select_related("invitation", "held_by")
    )
    return render(
        request,
        "assessments/transfer/import.html",
        {
            "centre": centre,
            "form": form,
            "refusal": refusal,
            "limit": megabytes(max_archive_bytes()),
            "held": held,
        },
        status=status,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@login_required
def import_page(request: AuthedRequest) -> HttpResponse:
    """CSRF is checked in _import: the upload handler must be in place before the body is read."""
    centre = _centre(request)
    if request.method != "POST":
        return _page(request, centre, TransferForm(centre=centre), status=200)
    handler = EvidenceUploadHandler(request, limit=max_archive_bytes())
    handler.install(request)
    try:
        return _import(request, centre, handler)
    finally:
        handler.discard()


@csrf_protect
def _import(request: AuthedRequest, centre: Centre, handler: EvidenceUploadHandler) -> HttpResponse:
    try:
        form = TransferForm(request.POST, request.FILES, centre=centre)
        refusal = handler.request_refusal or next(
            (r.refusal for r in handler.received if r.refusal), ""
        )
    except MultiPartParserError:
        form = TransferForm(centre=centre)
        refusal = "The upload was interrupted: nothing was imported."
    if handler.interrupted:
        refusal = "The upload was interrupted before it finished: nothing was imported."
    if refusal or not form.is_valid():
        return _page(request, centre, form, refusal=refusal, status=400)
    upload = form.cleaned_data["archive"]
    invitation = form.cleaned_data["invitation"]
    if invitation is not None:
        try:
            held = hold_import(
                actor=request.user,
                centre=centre,
                invitation=invitation,
                archive=upload.temporary_file_path(),
            )
        except TransferRefused as refused:
            return _page(request, centre, form, refusal=str(refused), status=400)
        messages.success(
            request,
            f"The ZIP passed every check: {held.learner_name}'s portfolio from "
            f"{held.source_centre_name} is held until {invitation.full_name} accepts the "
            "invitation, and imported then.",
        )
        return redirect("transfer:import")
    try:
        result = import_portfolio(
            actor=request.user,
            centre=centre,
            email=form.cleaned_data["email"] or "",
            archive=upload.temporary_file_path(),
        )
    except TransferRefused as refused:
        return _page(request, centre, form, refusal=str(refused), status=400)
    source = result.transfer.source_centre_name
    if result.already_on:
        # A newer export of a portfolio transferred before: only what is new came in.
        versions = f" ({result.new_versions} of them new versions)" if result.new_versions else ""
        superseding = (
            "a new version superseding the earlier copy"
            if result.changed == 1
            else "new versions superseding the earlier copies"
        )
        changed = (
            f"{_n(result.changed, 'piece')} changed at {source} since it was transferred "
            f"(submitted there, say, or given a new file) brought in as {superseding}, "
            if result.changed
            else ""
        )
        fresh = result.evidence - result.changed
        new = (
            f"{_n(fresh, 'new piece')} of evidence{versions}, "
            if fresh or not result.changed
            else ""
        )
        text = (
            f"Imported the newer export of {result.registration.learner.get_full_name()}'s "
            f"portfolio from {source}. {_n(result.already_evidence, 'piece')} of evidence and "
            f"{_n(result.already_decisions, 'decision')} already transferred on "
            f"{result.already_on} were left as they are; {new}{changed}"
            f"{_n(result.files, 'file')} and "
            f"{_n(result.decisions, 'new decision')} added, read-only and marked as theirs."
        )
    else:
        text = (
            f"Imported {result.registration.learner.get_full_name()}'s portfolio from {source}: "
            f"{result.evidence} pieces of evidence, {result.files} files and {result.decisions} "
            f"of {source}'s decisions, kept read-only and marked as theirs."
        )
    if result.skipped_criteria:
        text += (
            f" {result.skipped_criteria} criteria it names are not in this platform's catalogue "
            "and were left out."
        )
    messages.success(request, text)
    return redirect("evidence:portfolio", pk=result.registration.pk)


@require_POST
@login_required
def withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    """The centre withdraws an import held for an invitation: the held ZIP is discarded."""
    centre = _centre(request)
    held = get_object_or_404(HeldTransfer.objects.visible_to(request.user), pk=pk, centre=centre)
    try:
        withdraw_held(actor=request.user, held=held)
    except TransferRefused as refused:
        messages.info(request, str(refused))
    else:
        messages.success(
            request,
            f"The import of {held.learner_name}'s portfolio was withdrawn and its ZIP discarded.",
        )
    return redirect("transfer:import")
