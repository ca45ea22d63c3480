"""The centre admin's employers (issue 19: apprenticeships), under the People area.

An employer is kept by one centre (accounts.models.Employer): the list and the pages show the
centre of the admin's active role only, and another centre's employer answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.context import admin_centre
from accounts.forms.centre import EmployerForm
from accounts.models import Centre, Employer
from accounts.queries import current_contacts
from accounts.requests import AuthedRequest
from accounts.services import EMPLOYER_FIELDS, employer_create, employer_update


def _employer(request: AuthedRequest, centre: Centre, pk: int) -> Employer:
    employer = get_object_or_404(
        Employer.objects.visible_to(request.user)
        .filter(centre=centre)
        .prefetch_related(current_contacts()),
        pk=pk,
    )
    if not request.user.has_perm("accounts.change_employer", employer):
        raise PermissionDenied("Only the centre's admins change its employers.")
    return employer


@require_GET
@login_required
def employers(request: AuthedRequest) -> HttpResponse:
    centre = admin_centre(request)
    rows = (
        Employer.objects.manageable_by(request.user)
        .filter(centre=centre)
        .order_by("name", "pk")
        .prefetch_related(current_contacts())
    )
    return render(request, "accounts/employers.html", {"centre": centre, "employers": rows})


@require_http_methods(["GET", "POST"])
@login_required
def employer_add(request: AuthedRequest) -> HttpResponse:
    centre = admin_centre(request)
    form = EmployerForm(request.POST or None, centre=centre)
    if request.method == "POST" and form.is_valid():
        try:
            employer = employer_create(
                actor=request.user,
                centre=centre,
                **{name: form.cleaned_data[name] for name in EMPLOYER_FIELDS},
            )
        except ValueError as error:
            # Everything typed stays in the form shown again.
            form.add_error("name", str(error))
        else:
            messages.success(request, f"{employer.name} is added to {centre.name}'s employers.")
            return redirect("centre:employers")
    return render(
        request,
        "accounts/employer_form.html",
        {"centre": centre, "form": form, "employer": None},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def employer_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    employer = _employer(request, centre, pk)
    form = EmployerForm(request.POST or None, instance=employer, centre=centre)
    if request.method == "POST" and form.is_valid():
        try:
            employer_update(
                actor=request.user,
                employer=employer,
                **{name: form.cleaned_data[name] for name in EMPLOYER_FIELDS},
            )
        except ValueError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"{form.cleaned_data['name']} is saved.")
            return redirect("centre:employers")
    return render(
        request,
        "accounts/employer_form.html",
        {"centre": centre, "form": form, "employer": employer},
        status=400 if form.is_bound and form.errors else 200,
    )
