"""The centre admin's registrations: the list with its filters, assigning staff to many at
once, and registering a learner (learner, qualification and dates; then units and staff).

Under /centre/ and the `centre` namespace beside accounts' people pages (config/urls.py); the
centre is the one of the admin's active role (accounts.context.admin_centre), anyone else gets
403, and registrations of other centres are not there to find.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import admin_centre
from accounts.models import Centre, Invitation, User, includes_learner
from accounts.person_page import PersonLink
from accounts.queries import people_matching
from accounts.requests import AuthedRequest
from accounts.services import AccessError, InvitationError
from accounts.views.centre import invitation_link_for
from core.forms import sent_values
from portfolios import awarding_body
from portfolios.combination import rules_at_centre
from portfolios.forms.registration import (
    BulkAssignForm,
    RegisterForm,
    RegisterStartForm,
    RegistrationFilterForm,
)
from portfolios.models import Registration
from portfolios.services import (
    RegistrationError,
    assign_staff_bulk,
    check_eligibility,
    new_learner_eligibility,
    unit_choice_result,
)
from portfolios.views.registration import unit_groups
from qualifications.models import Qualification
from qualifications.queries import combination_rules

PAGE_SIZE = 25


def register_link(person: User, centre: Centre, roles: frozenset[str]) -> list[PersonLink]:
    """On a learner's page (accounts.person_page): register them, the learner already chosen."""
    if not includes_learner(roles):
        return []
    url = f"{reverse('centre:register')}?learner={person.pk}"
    return [PersonLink(f"Register {person.get_full_name()} on a qualification", url)]


def _centre_registrations(request: AuthedRequest, centre: Centre) -> QuerySet[Registration]:
    return Registration.objects.manageable_by(request.user).filter(centre=centre)


@require_GET
@login_required
def registrations(request: AuthedRequest) -> HttpResponse:
    return _registrations_page(request, admin_centre(request))


# The filter above the list has an assessor box too: the bulk form's ids keep apart from it.
BULK_IDS = "bulk_%s"


def _registrations_page(
    request: AuthedRequest,
    centre: Centre,
    *,
    bulk_form: BulkAssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The list (filtered by the query string) and, below it, the bulk assignment form: the
    one sent back with its errors when it was invalid."""
    form = RegistrationFilterForm(request.GET or None, centre=centre)
    rows = (
        _centre_registrations(request, centre)
        .select_related("learner", "qualification__awarding_body", "internal_verifier")
        .prefetch_related("assessors")
        .order_by("learner__full_name", "-created_at")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            # learner IN (the people matching): the trigram indexes find them, not a join
            # that tests every registration's learner.
            learners = User.objects.filter(people_matching(q, centre)).values("pk")
            qualifications = Qualification.objects.filter(
                Q(number__icontains=q) | Q(title__icontains=q)
            ).values("pk")
            rows = rows.filter(
                Q(learner__in=learners)
                | Q(qualification__in=qualifications)
                | Q(awarding_body_number__icontains=q)
            )
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["assessor"]:
            rows = rows.filter(assessors=data["assessor"])
        if data["awarding_body"]:
            bodies = awarding_body.periods()
            wanted = awarding_body.overdue_q if data["awarding_body"] == "overdue" else None
            rows = rows.filter((wanted or awarding_body.due_q)(bodies))
    if bulk_form is None:
        bulk_form = BulkAssignForm(
            centre=centre, registrations=_centre_registrations(request, centre), auto_id=BULK_IDS
        )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for registration in page_obj:
        # For the template (not a model field): registered with the body in its period?
        registration.ab_standing = awarding_body.standing(registration)  # type: ignore[attr-defined]
    return render(
        request,
        "portfolios/registrations.html",
        {
            "centre": centre,
            "form": form,
            "bulk_form": bulk_form,
            "ticked": set(sent_values(bulk_form, "registrations")) if bulk_form.is_bound else (),
            "page_obj": page_obj,
        },
        status=status,
    )


@require_POST
@login_required
def assign_bulk(request: AuthedRequest) -> HttpResponse:
    centre = admin_centre(request)
    form = BulkAssignForm(
        request.POST,
        centre=centre,
        registrations=_centre_registrations(request, centre),
        auto_id=BULK_IDS,
    )
    if not form.is_valid():
        return _registrations_page(request, centre, bulk_form=form, status=400)
    assessor = form.cleaned_data["assessor"]
    try:
        count = assign_staff_bulk(
            actor=request.user,
            registrations=form.cleaned_data["registrations"],
            assessors=[assessor] if assessor else None,
            internal_verifier=form.cleaned_data["internal_verifier"],
        )
    except RegistrationError as error:
        messages.error(request, f"Nothing was changed: {error}")
    else:
        messages.success(request, f"Staff assigned to {count} registration{'s' * (count != 1)}.")
    return redirect("centre:registrations")


def _register_step2(
    request: AuthedRequest,
    centre: Centre,
    start: RegisterStartForm,
    form: RegisterForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    qualification = start.cleaned_data["qualification"]
    rules = rules_at_centre(qualification, centre.pk)
    chosen = sent_values(form, "units") if form is not None else []
    if form is None:
        form = RegisterForm(initial=start.cleaned_data, centre=centre, unit_keys=list(rules.units))
    return render(
        request,
        "portfolios/register_units.html",
        {
            "centre": centre,
            "start": start,
            "form": form,
            "qualification": qualification,
            "learner": start.cleaned_data["learner"],
            "new_learner": start.is_new_learner,
            "groups": unit_groups(rules, chosen),
            "result": unit_choice_result(qualification, chosen, centre_id=centre.pk),
        },
        status=status,
    )


def _step1_problems(centre: Centre, start: RegisterStartForm) -> list[str]:
    data = start.cleaned_data
    if start.is_new_learner:
        return new_learner_eligibility(
            centre=centre,
            qualification=data["qualification"],
            start_date=data["start_date"],
            date_of_birth=data["new_date_of_birth"],
        )
    return check_eligibility(
        learner=data["learner"],
        centre=centre,
        qualification=data["qualification"],
        start_date=data["start_date"],
    )


@require_http_methods(["GET", "POST"])
@login_required
def register(request: AuthedRequest) -> HttpResponse:
    """Step 1: learner (one here, or a new one), qualification, dates. Step 2: units and staff.

    Step 1 is sent by POST with `step` (a new learner's name and address stay out of URLs and
    logs); by GET too, for links that choose the learner (a learner's page). Step 2's POST, with
    no `step`, registers.
    """
    centre = admin_centre(request)
    if request.method == "POST" and "step" not in request.POST:
        start = RegisterStartForm(request.POST, centre=centre)
        if not start.is_valid():
            return render(
                request, "portfolios/register.html", {"centre": centre, "form": start}, status=400
            )
        rules = combination_rules(start.cleaned_data["qualification"])
        form = RegisterForm(request.POST, centre=centre, unit_keys=list(rules.units))
        if not form.is_valid():
            return _register_step2(request, centre, start, form, status=400)
        try:
            made = form.register(actor=request.user, link_for=invitation_link_for(request))
        except (RegistrationError, AccessError, InvitationError, ValueError) as error:
            messages.error(request, str(error))
            return _register_step2(request, centre, start, form, status=400)
        qualification = form.cleaned_data["qualification"]
        on = (
            f"{qualification.number} {qualification.title} starting "
            f"{form.cleaned_data['start_date']:%-d %B %Y}"
        )
        if isinstance(made, Invitation):
            # Only what the admin typed, as the people page says it: the same words whether
            # or not the address has an account anywhere.
            messages.success(
                request,
                f"Invitation sent to {made.full_name} ({made.email}). Once they accept it they "
                f"are registered on {on}. Until then they are listed under invitations here.",
            )
            return redirect("centre:people")
        messages.success(request, f"{made.learner} is registered on {on}.")
        return redirect("portfolios:registration", pk=made.pk)

    data = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and set(data) == {"learner"}:
        # From a learner's page: the learner chosen, nothing else yet, so no errors either.
        start = RegisterStartForm(initial={"learner": data["learner"]}, centre=centre)
    else:
        start = RegisterStartForm(data or None, centre=centre)
    # "Continue" carries step=units; "change these" from step 2 does not.
    if data.get("step") == "units" and start.is_valid():
        problems = _step1_problems(centre, start)
        if not problems:
            return _register_step2(request, centre, start, None)
        for problem in problems:
            messages.error(request, problem)
    return render(request, "portfolios/register.html", {"centre": centre, "form": start})
