"""Progress reviews of an apprenticeship (issue 19), under /portfolio/reviews/. Thin views: load,
check the rule, bind the form, call one service of portfolios.reviews, redirect."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from core.prepared import Prepared
from core.storage import missing_file
from portfolios import reviews
from portfolios.forms.reviews import (
    ReviewForm,
    ReviewIntervalForm,
    ReviewLinkForm,
    ReviewLinkSignForm,
)
from portfolios.models import (
    ProgressReview,
    Registration,
    ReviewPdfStatus,
    ReviewSignature,
    ReviewStatus,
    SignerRole,
)
from portfolios.queries import (
    registration_with_people,
    review_on_page,
    visible_registration_or_404,
)


def _registration(request: AuthedRequest, pk: int) -> Registration:
    return visible_registration_or_404(request.user, pk)


def _review(request: AuthedRequest, pk: int) -> ProgressReview:
    return get_object_or_404(
        ProgressReview.objects.visible_to(request.user).select_related(
            "registration__learner",
            "registration__centre",
            "registration__qualification",
            "registration__apprenticeship__employer",
            "registration__apprenticeship__standard",
            "written_by",
            "superseded_by",
        ),
        pk=pk,
    )


def _signatures() -> Prefetch:
    return Prefetch("signatures", queryset=ReviewSignature.objects.order_by("signed_at", "pk"))


def _listed_registration(request: AuthedRequest, pk: int) -> tuple[Registration, bool]:
    """The registration if the person may see it (portfolios.view_registration, which
    Registration.objects.visible_to mirrors), else 404, and whether they write its reviews.
    Loaded by id (compiled once) and asked of the predicates, as the portfolio page does;
    whoever writes reviews sees the registration (write_review's arms are arms of
    view_registration), so the second rule is asked only of those who do not write."""
    registration = registration_with_people(pk)
    if registration is None:
        raise Http404("No registration you may see has that id.")
    can_write = rules.test_rule("portfolios.write_review", request.user, registration)
    if not can_write and not request.user.has_perm("portfolios.view_registration", registration):
        raise Http404("No registration you may see has that id.")
    return registration, can_write


@require_GET
@login_required
def review_list(request: AuthedRequest, pk: int) -> HttpResponse:
    registration, can_write = _listed_registration(request, pk)
    listing = reviews.review_list(registration)
    return render(
        request,
        "portfolios/reviews/list.html",
        {
            "registration": registration,
            "employer": listing.employer,
            "reviews": listing.lines,
            "due": listing.due,
            "can_write": listing.employer is not None and can_write,
        },
    )


def _form_page(
    request: AuthedRequest,
    registration: Registration,
    form: ReviewForm,
    *,
    review: ProgressReview | None = None,
    supersedes: ProgressReview | None = None,
) -> HttpResponse:
    return render(
        request,
        "portfolios/reviews/form.html",
        {"registration": registration, "form": form, "review": review, "supersedes": supersedes},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def review_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """Write a review, or (?supersedes=<id>) the correction of a signed one."""
    registration = _registration(request, pk)
    if not rules.test_rule("portfolios.write_review", request.user, registration):
        raise PermissionDenied(
            "Only the apprentice's assessor or the centre's admin writes reviews."
        )
    supersedes = None
    if request.GET.get("supersedes", "").isdigit():
        supersedes = get_object_or_404(
            ProgressReview.objects.filter(registration=registration),
            pk=int(request.GET["supersedes"]),
        )
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.review_create(
                actor=request.user,
                registration=registration,
                supersedes=supersedes,
                **form.cleaned_data,
            )
        except reviews.ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The review is written. It is signed below.")
            return redirect("reviews:detail", pk=review.pk)
    return _form_page(request, registration, form, supersedes=supersedes)


@require_http_methods(["GET", "POST"])
@login_required
def review_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    registration = review.registration
    if not rules.test_rule("portfolios.write_review", request.user, registration):
        raise PermissionDenied(
            "Only the apprentice's assessor or the centre's admin writes reviews."
        )
    if review.status != ReviewStatus.DRAFT:
        messages.info(request, "This review has been signed, so it can no longer change.")
        return redirect("reviews:detail", pk=review.pk)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                reviews.review_update(actor=request.user, review=review, **form.cleaned_data)
            except reviews.ReviewError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The review is changed.")
                return redirect("reviews:detail", pk=review.pk)
    else:
        form = ReviewForm(
            initial={
                "review_date": review.review_date,
                "progress_comment": review.progress_comment,
                "targets": review.targets,
                "staff_notes": review.staff_notes,
            }
        )
    return _form_page(request, registration, form, review=review)


def _signatures_of(*, review: int) -> QuerySet:
    return (
        ReviewSignature.objects.filter(review_id=review)
        .order_by("signed_at", "pk")
        .values_list("role", "signed_name", "link_id", "signed_at", "content_hash")
    )


SIGNATURES = Prepared(_signatures_of)


@dataclass(frozen=True)
class SignatureLine:
    role: str
    role_label: str
    signed_name: str
    link_id: int | None
    signed_at: datetime.datetime
    content_hash: str


@require_GET
@login_required
def review_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The review by id, then asked of the predicates (as _listed_registration): two queries
    compiled once where the joined visible_to query was built and compiled on every request."""
    found = review_on_page(pk)
    if found is None:
        raise Http404("No review you may see has that id.")
    review = found.review
    registration = review.registration
    user = request.user
    can_write = rules.test_rule("portfolios.write_review", user, registration)
    if not can_write and not user.has_perm("portfolios.view_registration", registration):
        raise Http404("No review you may see has that id.")
    signatures = [
        SignatureLine(role, SignerRole(role).label, *rest)
        for role, *rest in SIGNATURES.rows(review=review.pk)
    ]
    signed = {signature.role for signature in signatures}
    signable = review.status in (ReviewStatus.DRAFT, ReviewStatus.SIGNING)
    context: dict[str, Any] = {
        "registration": registration,
        "review": review,
        "written_by": found.written_by,
        "employer": found.employer,
        "signatures": signatures,
        "waiting_for": [
            label for role, label in SignerRole.choices if role not in signed and signable
        ],
        "sign_as": [
            (role, SignerRole(role).label)
            for role in reviews.may_sign(user, review)
            if role not in signed
        ],
        "can_write": can_write,
        # Whoever writes reviews reads the notes (view_review_notes = write_review | the IV),
        # so the rule is asked only of those who do not write.
        "can_see_notes": can_write
        or rules.test_rule("portfolios.view_review_notes", user, registration),
        "link_form": ReviewLinkForm()
        if can_write and signable and SignerRole.EMPLOYER not in signed
        else None,
        "superseded_by": found.superseded_by,
    }
    return render(request, "portfolios/reviews/detail.html", context)


@require_POST
@login_required
def review_sign(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    role = str(request.POST.get("role", ""))
    try:
        signature = reviews.review_sign(actor=request.user, review=review, role=role)
    except reviews.ReviewError as error:
        # A second click on Sign lands here: it says so, and nothing changes.
        messages.info(request, str(error))
    else:
        review.refresh_from_db(fields=["status"])
        locked = (
            " All three have signed: the review is locked."
            if review.status == ReviewStatus.LOCKED
            else ""
        )
        messages.success(request, f"Signed as the {signature.get_role_display().lower()}.{locked}")
    return redirect("reviews:detail", pk=review.pk)


@require_POST
@login_required
def review_link(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    if not rules.test_rule("portfolios.write_review", request.user, review.registration):
        raise PermissionDenied(
            "Only the apprentice's assessor or the centre's admin sends the link."
        )
    form = ReviewLinkForm(request.POST)
    if not form.is_valid():
        messages.info(request, "Give the name and e-mail address of the person who signs.")
        return redirect("reviews:detail", pk=review.pk)
    try:
        sent = reviews.review_link_send(
            actor=request.user,
            review=review,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            link_for=lambda token: request.build_absolute_uri(
                reverse("reviews:sign_link", args=[token])
            ),
        )
    except reviews.ReviewError as error:
        messages.info(request, str(error))
    else:
        until = date_format(localtime(sent.link.expires_at), "j F Y")
        messages.success(
            request,
            f"We have e-mailed {sent.link.name} a link to sign this review. "
            f"It works once, until {until}.",
        )
    return redirect("reviews:detail", pk=review.pk)


@require_GET
@login_required
def review_pdf(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The signed review's PDF, for whoever may read the review (it carries no staff notes)."""
    review = _review(request, pk)
    if review.pdf_status != ReviewPdfStatus.READY or not review.pdf:
        raise Http404("The PDF is not ready.")
    try:
        handle = review.pdf.open("rb")
    except FileNotFoundError:
        return missing_file(request, "the review's PDF", review.pdf.name or "")
    name = f"progress-review-{review.registration_id}-{review.review_date.isoformat()}.pdf"
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=name
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def review_pdf_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    try:
        reviews.review_pdf_request(actor=request.user, review=review)
    except reviews.ReviewError as error:
        messages.info(request, str(error))
    else:
        messages.success(request, "The PDF is being built again.")
    return redirect("reviews:detail", pk=review.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_link(request: HttpRequest, token: str) -> HttpResponse:
    """The employer's page: no account, and nothing but the one review the token opens."""
    link = reviews.find_link(token)
    if link is None:
        raise Http404("No such link.")
    state = reviews.link_state(link)
    if state != "open":
        return render(request, f"portfolios/reviews/link_{state}.html", status=410)
    form = ReviewLinkSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.review_sign_by_link(
                token=token,
                signed_name=form.cleaned_data["signed_name"],
                confirmed=form.cleaned_data["confirmed"],
            )
        except reviews.ReviewLinkError as error:
            return render(request, f"portfolios/reviews/link_{error.state}.html", status=410)
        except reviews.ReviewError as error:
            form.add_error(None, str(error))
        else:
            return redirect("reviews:signed")
    review = (
        ProgressReview.objects.select_related(
            "registration__learner",
            "registration__centre",
            "registration__apprenticeship__employer",
            "registration__apprenticeship__standard",
            "written_by",
        )
        .prefetch_related(_signatures())
        .get(pk=link.review_id)
    )
    return render(
        request,
        "portfolios/reviews/link_sign.html",
        {"link": link, "review": review, "form": form, "token": token},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def signed(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolios/reviews/link_thanks.html")


@require_http_methods(["GET", "POST"])
@login_required
def interval(request: AuthedRequest) -> HttpResponse:
    """The centre admin sets the centre's interval between progress reviews."""
    membership = working_membership(
        request, "accounts.work_as_centre_admin", "The review interval is the centre admin's."
    )
    centre = membership.centre
    if not rules.test_rule("portfolios.set_review_interval", request.user, centre):
        raise PermissionDenied("The review interval is the centre admin's.")
    form = ReviewIntervalForm(
        request.POST or None, initial={"weeks": reviews.interval_weeks(centre.pk)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            reviews.review_interval_set(
                actor=request.user, centre=centre, weeks=form.cleaned_data["weeks"]
            )
        except reviews.ReviewError as error:
            form.add_error("weeks", str(error))
        else:
            messages.success(
                request, f"Progress reviews are due every {form.cleaned_data['weeks']} weeks."
            )
            return redirect("reviews:interval")
    return render(
        request,
        "portfolios/reviews/interval.html",
        {"centre": centre, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )
