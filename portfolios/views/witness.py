"""Witness requests, the witness's one-time page, and the portfolio export. Thin views."""

from __future__ import annotations

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from core.storage import missing_file
from portfolios.evidence import EvidenceError
from portfolios.export import MissingFile, export_filename, portfolio_zip
from portfolios.forms.witness import (
    WitnessRequestForm,
    WitnessTestimonyForm,
    employer_contacts,
    registration_criteria,
)
from portfolios.models import Registration, RegistrationStatus, WitnessRequest
from portfolios.queries import visible_registration_or_404
from portfolios.witness import (
    STATEMENT,
    WitnessLinkError,
    find_by_token,
    link_state,
    witness_request_create,
    witness_respond,
    witness_respond_as_contact,
)


def _registration(request: AuthedRequest, pk: int) -> Registration:
    return visible_registration_or_404(request.user, pk)


@require_GET
@login_required
def request_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """The witnesses asked for this registration, and whether each has answered."""
    registration = _registration(request, pk)
    requests = list(
        WitnessRequest.objects.filter(registration=registration)
        .select_related("requested_by", "evidence")
        .order_by("-created_at", "-pk")
    )
    for witness_request in requests:
        # For the template (not a model field).
        witness_request.state = link_state(witness_request)  # type: ignore[attr-defined]
    return render(
        request,
        "portfolios/witness_list.html",
        {
            "registration": registration,
            "requests": requests,
            "can_request": registration.status == RegistrationStatus.ACTIVE
            and rules.test_rule("portfolios.request_witness", request.user, registration),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def request_create(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    user = request.user
    if not rules.test_rule("portfolios.request_witness", user, registration):
        raise PermissionDenied
    criteria = registration_criteria(registration)
    form = WitnessRequestForm(
        request.POST or None, criteria=criteria, contacts=employer_contacts(registration)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asked = witness_request_create(
                actor=user,
                registration=registration,
                contact=data.get("contact"),
                witness_name=data["witness_name"],
                witness_email=data["witness_email"],
                job_title=data["job_title"],
                relationship=data["relationship"],
                is_expert=data["is_expert"],
                expert_competence=data["expert_competence"],
                activity=data["activity"],
                criteria=data["criteria"],
                context=data["context"],
                expires_in_days=data["expires_in_days"],
                link_for=lambda token: request.build_absolute_uri(
                    reverse("witness:respond", args=[token])
                ),
            )
        except EvidenceError as error:
            messages.error(request, str(error))
        else:
            until = date_format(localtime(asked.request.expires_at), "j F Y")
            if asked.request.witness_user_id is not None:
                messages.success(
                    request,
                    f"We have asked {asked.request.witness_name}: the request waits on their "
                    f"home page until {until}.",
                )
            else:
                messages.success(
                    request,
                    f"We have e-mailed {asked.request.witness_name} a link to write their "
                    f"testimony. It works once, until {until}.",
                )
            return redirect("witness:list", pk=registration.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portfolios/witness_request.html",
        {"registration": registration, "form": form},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The witness's page: no account, and nothing but the one request the token opens."""
    witness_request = find_by_token(token)
    if witness_request is None:
        raise Http404("No such link.")
    state = link_state(witness_request)
    if state != "open":
        return render(request, f"portfolios/witness_{state}.html", status=410)
    form = WitnessTestimonyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            witness_respond(
                token=token,
                testimony=form.cleaned_data["testimony"],
                signed_name=form.cleaned_data["signed_name"],
                confirmed=form.cleaned_data["confirmed"],
            )
        except WitnessLinkError as error:
            return render(request, f"portfolios/witness_{error.state}.html", status=410)
        except EvidenceError as error:
            messages.error(request, str(error))
        else:
            return redirect("witness:thanks")
    registration = witness_request.registration
    return render(
        request,
        "portfolios/witness_respond.html",
        {
            "witness_request": witness_request,
            "learner_first_name": registration.learner.get_short_name(),
            "qualification_title": registration.qualification.title,
            "criteria": list(
                witness_request.criteria.select_related("unit").order_by("unit__key", "position")
            ),
            "statement": STATEMENT,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- employer contacts (issue 19)


@require_GET
@login_required
def asked_of_me(request: AuthedRequest) -> HttpResponse:
    """An employer contact's witness requests at the centre of the role worn now: those
    waiting for their testimony, then those answered or expired, newest first."""
    membership = working_membership(request, "portfolios.work_witness_requests")
    asked = list(
        WitnessRequest.objects.asked_of(request.user)
        .filter(registration__centre_id=membership.centre_id)
        .select_related("registration__learner", "registration__qualification", "requested_by")
        .order_by("-created_at", "-pk")
    )
    for witness_request in asked:
        # For the template (not a model field).
        witness_request.state = link_state(witness_request)  # type: ignore[attr-defined]
    return render(
        request,
        "portfolios/witness_asked.html",
        {
            "waiting": [r for r in asked if r.state == "open"],  # type: ignore[attr-defined]
            "done": [r for r in asked if r.state != "open"],  # type: ignore[attr-defined]
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def testify(request: AuthedRequest, pk: int) -> HttpResponse:
    """The employer contact writes and signs the testimony asked of them, signed in: the link
    page's form and statement, without a link."""
    witness_request = get_object_or_404(
        WitnessRequest.objects.asked_of(request.user).select_related(
            "registration__learner", "registration__qualification", "registration__centre"
        ),
        pk=pk,
    )
    if not rules.test_rule("portfolios.answer_witness_request", request.user, witness_request):
        raise PermissionDenied
    state = link_state(witness_request)
    if state != "open":
        messages.info(
            request,
            "This testimony has already been signed."
            if state == "used"
            else "This request has expired: ask the apprentice's assessor to ask again.",
        )
        return redirect("witness:asked")
    form = WitnessTestimonyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            witness_respond_as_contact(
                actor=request.user,
                witness_request=witness_request,
                testimony=form.cleaned_data["testimony"],
                signed_name=form.cleaned_data["signed_name"],
                confirmed=form.cleaned_data["confirmed"],
            )
        except WitnessLinkError:
            # Signed a moment ago (a double submit): it stands, once.
            messages.info(request, "This testimony has already been signed.")
            return redirect("witness:asked")
        except EvidenceError as error:
            messages.error(request, str(error))
        else:
            learner = witness_request.registration.learner.get_full_name()
            messages.success(request, f"Signed: your testimony is in {learner}'s portfolio.")
            return redirect("witness:asked")
    registration = witness_request.registration
    return render(
        request,
        "portfolios/witness_testify.html",
        {
            "witness_request": witness_request,
            "registration": registration,
            "criteria": list(
                witness_request.criteria.select_related("unit").order_by("unit__key", "position")
            ),
            "statement": STATEMENT,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolios/witness_thanks.html")


@require_GET
@login_required
def export(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The learner's whole portfolio as a ZIP, streamed. Only the learner (or a superuser)."""
    registration = _registration(request, pk)
    if not request.user.has_perm("portfolios.export_portfolio", registration):
        # Staff who can see the registration still may not take the learner's copy.
        raise Http404("No such portfolio.")
    try:
        archive = portfolio_zip(registration.pk)
    except MissingFile as missing:
        return missing_file(request, missing.file.path, missing.file.storage_name)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = f'attachment; filename="{export_filename(registration)}"'
    response["Cache-Control"] = "no-store"
    return response
