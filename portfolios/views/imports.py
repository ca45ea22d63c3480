"""The centre admin's CSV import of learners and registrations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.context import working_membership
from accounts.models import Centre
from accounts.requests import AuthedRequest
from portfolios.imports import (
    COLUMNS,
    MAX_BYTES,
    ImportRejected,
    ImportResult,
    decode_upload,
    import_registrations,
)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A .csv file of at most 2 MB, UTF-8, with a header row.",
        allow_empty_file=True,  # clean_file says "empty" in words of its own
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                "Choose a .csv file: save the spreadsheet as CSV (UTF-8) first."
            )
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                "The file is larger than 2 MB: split it into smaller files."
            )
        try:
            return decode_upload(upload.read())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def _administered_centre(request: AuthedRequest) -> Centre:
    membership = working_membership(
        request, "accounts.work_as_centre_admin", "Only a centre admin can import learners."
    )
    if not request.user.has_perm("accounts.manage_centre", membership.centre):
        raise PermissionDenied("Only a centre admin can import learners.")
    return membership.centre


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def import_summary(result: ImportResult, centre: Centre) -> str:
    """The same words whoever the addresses belong to elsewhere: only counts at this centre."""
    registered = len(result.registrations)
    invited = len(result.invitations)
    text = f"Imported at {centre.name}: {_plural(registered, 'registration')} made now"
    if invited:
        text += (
            f"; {_plural(invited, 'learner')} invited, with "
            f"{_plural(result.invited_rows, 'registration')} made when they accept "
            "(see Invitations on the people page)"
        )
    return text + "."


@require_http_methods(["GET", "POST"])
@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    centre = _administered_centre(request)
    problems: list[str] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = import_registrations(
                    actor=request.user,
                    centre=centre,
                    text=form.cleaned_data["file"],
                    link_for=lambda token: request.build_absolute_uri(
                        reverse("invitations:respond", args=[token])
                    ),
                )
            except ImportRejected as exc:
                problems = exc.problems
                messages.error(
                    request,
                    f"Nothing was imported: the file has {len(problems)} "
                    f"problem{'s' if len(problems) != 1 else ''}, listed below.",
                )
            else:
                messages.success(request, import_summary(result, centre))
                return redirect("imports:upload")
    else:
        form = UploadForm()
    return render(
        request,
        "imports/upload.html",
        {"form": form, "centre": centre, "columns": COLUMNS, "problems": problems},
    )
