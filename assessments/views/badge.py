"""Open Badges in the browser: issue a record's badge, download it, and the two public
documents a verifier fetches: the centre's DID document (its public key) and its revocation
list; and the public page where anyone checks a badge they were given."""

from __future__ import annotations

import json

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Centre
from accounts.requests import AuthedRequest
from assessments import achievements, badges
from assessments.forms.badge import BadgeCheckForm
from assessments.models import IssuedBadge
from assessments.views.achievement import _record


@require_POST
@login_required
def issue(request: AuthedRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    if not request.user.has_perm("assessments.take_badge", record.registration):
        raise PermissionDenied
    try:
        _badge, issued = badges.issue_badge(actor=request.user, record=record)
    except badges.BadgeError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Open Badge issued: download it below."
            if issued
            else "This record's Open Badge was issued before: here it is.",
        )
    return redirect("assessments:achievements", pk=record.registration_id)


@require_GET
@login_required
def download(request: AuthedRequest, pk: int) -> HttpResponse:
    """The signed credential (a VC-JWT) as a file the learner keeps or puts in a wallet."""
    record = _record(request, pk)
    if not request.user.has_perm("assessments.take_badge", record.registration):
        raise PermissionDenied
    token = IssuedBadge.objects.filter(record=record).values_list("token", flat=True).first()
    if token is None:
        raise Http404("No Open Badge has been issued from this record.")
    response = HttpResponse(token, content_type="application/jwt")
    response["Content-Disposition"] = content_disposition_header(
        True, f"open-badge-{record.kind}-{record.registration_id}-{record.pk}.jwt"
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True)
    return response


def _centre_id(pk: int) -> int:
    if not Centre.objects.filter(pk=pk).exists():
        raise Http404("No such centre.")
    return pk


@require_GET
def did_document(request: HttpRequest, pk: int) -> HttpResponse:
    """did:web resolution of a centre (issuer) to the platform's public key. Public."""
    site = achievements.site_url(request)
    document = badges.did_document(site, _centre_id(pk))
    response = HttpResponse(json.dumps(document, indent=2), content_type="application/did+json")
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_GET
def status_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The centre's revocation list, signed now (a BitstringStatusListCredential as a VC-JWT).
    Public: a verifier reads the bit its badge names."""
    site = achievements.site_url(request)
    token = badges.status_list_token(site=site, centre_id=_centre_id(pk))
    response = HttpResponse(token, content_type="application/vc+jwt")
    response["Access-Control-Allow-Origin"] = "*"
    # Short: a withdrawal shows within minutes even through caches.
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    """Anyone may check an Open Badge they were given: is it this site's, unaltered, in force,
    and (if they give the address) the learner's? Nothing is stored; at most one query.

    Another site's badge makes this site fetch that site's key, limited per client and for the
    site: past a limit the page still answers, saying to try again in a minute, with 429 and
    Retry-After, so a script asking in a loop is told to stop as well as a person."""
    form = (
        BadgeCheckForm(request.POST, request.FILES)
        if request.method == "POST"
        else BadgeCheckForm()
    )
    result = None
    if form.is_bound and form.is_valid():
        result = badges.check_badge(
            form.cleaned_data["badge"],
            site=achievements.site_url(request),
            email=form.cleaned_data["email"],
            client=get_client_ip_address(request),
        )
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif result is not None and result.retry_after is not None:
        status = 429
    response = render(
        request,
        "assessments/achievement/verify_badge.html",
        {"form": form, "check": result},
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    if result is not None and result.retry_after is not None:
        response["Retry-After"] = str(result.retry_after)
    return response
