"""Progress reviews of apprenticeships (issue 19, point 4): when they are due, writing them,
signing them (three ways), locking them, and their PDF.

Due dates: the first review is due the centre's interval (ReviewSchedule, 12 weeks unless it
says otherwise) after the practical period starts; each next one the interval after the date of
the last locked (fully signed) review. A review is overdue once today is past its due date.

Each state change is one service here: keyword-only, in one transaction, with its audit event
(core.audit), refusing what the rules (portfolios.rules) or the review's state do not allow with
a ReviewError the page shows. The KSB coverage comes from the assessment decisions, which live
above this app: assessments registers its snapshot function in `coverage_sources`, and the PDF
renderer in `pdf_renderers`, at start-up (assessments.apps), as the portfolio page's decisions
do.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import rules
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Centre, Membership, User
from core.audit import record_event
from core.charts import long_date
from core.prepared import Prepared
from portfolios import off_the_job
from portfolios.models import (
    DEFAULT_REVIEW_INTERVAL_WEEKS,
    MAX_REVIEW_INTERVAL_WEEKS,
    REVIEW_LIFECYCLE,
    REVIEW_PDF_LIFECYCLE,
    Apprenticeship,
    ProgressReview,
    Registration,
    ReviewPdfStatus,
    ReviewSchedule,
    ReviewSignature,
    ReviewSignatureLink,
    ReviewStatus,
    SignerRole,
)

logger = logging.getLogger(__name__)

LINK_EXPIRY_DAYS = 14
PDF_TEMPLATE = "pdf/progress_review.html"
# What the employer's named person confirms on the one-time page.
LINK_STATEMENT = (
    "I confirm that I took part in this progress review on behalf of the employer and that it "
    "records what was discussed and agreed."
)

# Filled by apps above this one at start-up (assessments.apps): a registration's KSB coverage of
# its apprenticeship's standard as JSON-ready data, and render_pdf(template, context) -> bytes.
coverage_sources: list[Callable[[Registration, Apprenticeship], dict[str, Any]]] = []
pdf_renderers: list[Callable[[str, dict[str, Any]], bytes]] = []


class ReviewError(Exception):
    """The review cannot be written or signed as asked; the message says why."""


class ReviewLinkError(ReviewError):
    """The one-time link can no longer be used; `state` says why ("used" or "expired")."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state


# ---------------------------------------------------------------- the schedule


def interval_weeks(centre_id: int) -> int:
    schedule = ReviewSchedule.objects.filter(centre_id=centre_id).first()
    return schedule.interval_weeks if schedule else DEFAULT_REVIEW_INTERVAL_WEEKS


@transaction.atomic
def review_interval_set(*, actor: User, centre: Centre, weeks: int) -> ReviewSchedule:
    """The centre admin sets the centre's interval between reviews."""
    if not rules.test_rule("portfolios.set_review_interval", actor, centre):
        raise ReviewError("Only the centre's admins set the interval between reviews.")
    if not 1 <= weeks <= MAX_REVIEW_INTERVAL_WEEKS:
        raise ReviewError(f"Give a number of weeks from 1 to {MAX_REVIEW_INTERVAL_WEEKS}.")
    schedule, _ = ReviewSchedule.objects.select_for_update().get_or_create(centre=centre)
    before = schedule.interval_weeks
    if before == weeks and schedule.updated_by_id is not None:
        return schedule
    schedule.interval_weeks, schedule.updated_by = weeks, actor
    schedule.save(update_fields=["interval_weeks", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action="review.interval_set",
        target=schedule,
        centre_id=centre.pk,
        data={"from": before, "to": weeks},
    )
    return schedule


@dataclass(frozen=True)
class ReviewDue:
    due: datetime.date
    overdue: bool
    days_overdue: int
    last_signed: datetime.date | None
    interval_weeks: int

    # The dates as the templates write them ("j F Y"), for reviews/_due.html: the cohort shows
    # one per row, and a date filter per cell cost it more than reading the dates (measured).
    @property
    def due_text(self) -> str:
        return long_date(self.due)

    @property
    def last_signed_text(self) -> str:
        return long_date(self.last_signed) if self.last_signed else ""


def due_from(
    *,
    practical_start: datetime.date,
    last_signed: datetime.date | None,
    weeks: int,
    today: datetime.date,
) -> ReviewDue:
    """The rule in the module's docstring, for one apprenticeship. No database."""
    due = (last_signed or practical_start) + timedelta(weeks=weeks)
    late = (today - due).days
    return ReviewDue(due, late > 0, max(late, 0), last_signed, weeks)


# What due_from needs of an apprenticeship besides its practical start, as annotations: the date
# of its last signed review, and its centre's interval (or the default).
def _last_signed() -> Subquery:
    return Subquery(
        ProgressReview.objects.filter(
            registration_id=OuterRef("registration_id"), status=ReviewStatus.LOCKED
        )
        .order_by("-review_date")
        .values("review_date")[:1]
    )


def _interval_weeks() -> Coalesce:
    weeks = ReviewSchedule.objects.filter(centre_id=OuterRef("registration__centre_id")).values(
        "interval_weeks"
    )[:1]
    return Coalesce(
        Subquery(weeks), Value(DEFAULT_REVIEW_INTERVAL_WEEKS), output_field=IntegerField()
    )


def reviews_due(
    registrations: Iterable[Registration | int], *, today: datetime.date | None = None
) -> dict[int, ReviewDue]:
    """Per registration id (those with an apprenticeship), when the next review is due and
    whether it is overdue. One query whatever the number of registrations."""
    ids = [r if isinstance(r, int) else r.pk for r in registrations]
    today = today or timezone.localdate()
    rows = (
        Apprenticeship.objects.filter(registration_id__in=ids)
        .annotate(last_signed=_last_signed(), weeks=_interval_weeks())
        .values_list("registration_id", "practical_start", "last_signed", "weeks")
    )
    return {
        pk: due_from(practical_start=start, last_signed=last_signed, weeks=weeks, today=today)
        for pk, start, last_signed, weeks in rows
    }


# ---------------------------------------------------------------- the list of one apprentice


def _programme(*, registration: int) -> Any:
    """The apprenticeship's employer and what reviews_due reads, for one registration."""
    return (
        Apprenticeship.objects.filter(registration_id=registration)
        .annotate(last_signed=_last_signed(), weeks=_interval_weeks())
        .values_list("employer__name", "practical_start", "last_signed", "weeks")
    )


def _listed(*, registration: int) -> Any:
    return (
        ProgressReview.objects.filter(registration_id=registration)
        .order_by("-review_date", "-pk")
        .values_list(
            "pk",
            "review_date",
            "status",
            "supersedes_id",
            "written_by__full_name",
            "written_by__email",
            "superseded_by__review_date",
        )
    )


def _signers(*, registration: int) -> Any:
    return (
        ReviewSignature.objects.filter(review__registration_id=registration)
        .order_by("review_id", "signed_at", "pk")
        .values_list("review_id", "role")
    )


PROGRAMME = Prepared(_programme)
LISTED = Prepared(_listed)
SIGNERS = Prepared(_signers)


@dataclass(frozen=True)
class ReviewLine:
    """One review as the list shows it, with its dates as the page writes them."""

    pk: int
    date_text: str
    written_by: str
    signed_by: list[str]  # the roles' labels, in the order they signed
    status: str
    superseded_on: str  # the date of the review correcting it, if one does
    supersedes_id: int | None


@dataclass(frozen=True)
class ReviewList:
    employer: str | None  # None: no apprenticeship is recorded
    due: ReviewDue | None
    lines: list[ReviewLine]


def review_list(registration: Registration, *, today: datetime.date | None = None) -> ReviewList:
    """The progress reviews list of one registration, newest first, with its employer and when
    the next review is due (as reviews_due gives it). Three queries, each compiled once."""
    today = today or timezone.localdate()
    employer, due = None, None
    for name, start, last_signed, weeks in PROGRAMME.rows(registration=registration.pk):
        employer = name
        due = due_from(practical_start=start, last_signed=last_signed, weeks=weeks, today=today)
    signers: dict[int, list[str]] = {}
    for review_id, role in SIGNERS.rows(registration=registration.pk):
        signers.setdefault(review_id, []).append(SignerRole(role).label)
    lines = [
        ReviewLine(
            pk=pk,
            date_text=long_date(review_date),
            written_by=full_name or email,
            signed_by=signers.get(pk, []),
            status=ReviewStatus(status).label,
            superseded_on=long_date(corrected_on) if corrected_on else "",
            supersedes_id=supersedes_id,
        )
        for pk, review_date, status, supersedes_id, full_name, email, corrected_on in (
            LISTED.rows(registration=registration.pk)
        )
    ]
    return ReviewList(employer=employer, due=due, lines=lines)


# ---------------------------------------------------------------- what a review holds


def _apprenticeship(registration: Registration) -> Apprenticeship:
    record = (
        Apprenticeship.objects.filter(registration_id=registration.pk)
        .select_related("employer", "standard")
        .first()
    )
    if record is None:
        raise ReviewError("Record the apprenticeship before its progress reviews.")
    return record


def snapshot(registration: Registration, apprenticeship: Apprenticeship) -> dict[str, Any]:
    """Where the apprentice stands today: KSB coverage and off-the-job hours against the plan."""
    coverage: dict[str, Any] = {"statements": []}
    for source in coverage_sources:
        coverage = source(registration, apprenticeship)
    today = timezone.localdate()
    approved = off_the_job.totals(registration).approved
    planned = apprenticeship.planned_otj_hours
    start, end = apprenticeship.practical_start, apprenticeship.practical_planned_end
    return {
        "ksb_snapshot": coverage,
        "otj_approved_hours": approved,
        "otj_planned_to_date": off_the_job.planned_to_date(planned, start, end, today),
        "otj_planned_total": planned,
        "otj_behind": off_the_job.behind(planned, approved, start, end, today),
    }


def _hours(value: Decimal) -> str:
    return off_the_job.hours_text(Decimal(value))


def signed_content(review: ProgressReview) -> dict[str, Any]:
    """Exactly what the three sign and the PDF prints: never the staff-only notes."""
    registration = review.registration
    apprenticeship = registration.apprenticeship
    return {
        "review": review.pk,
        "registration": registration.pk,
        "apprentice": registration.learner.get_full_name(),
        "centre": registration.centre.name,
        "qualification": f"{registration.qualification.number} {registration.qualification.title}",
        "employer": apprenticeship.employer.name,
        "standard": f"{apprenticeship.standard.title} ({apprenticeship.standard.reference})",
        "review_date": review.review_date.isoformat(),
        "written_by": review.written_by.get_full_name(),
        "ksbs": review.ksb_snapshot,
        "progress": review.progress_comment,
        "off_the_job": {
            "approved": _hours(review.otj_approved_hours),
            "planned_to_date": _hours(review.otj_planned_to_date),
            "planned_total": _hours(review.otj_planned_total),
            "behind": review.otj_behind,
        },
        "targets": review.target_list,
        "supersedes": review.supersedes_id,
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _load(pk: int, *, lock: bool = False) -> ProgressReview:
    rows = ProgressReview.objects.select_related(
        "registration__learner",
        "registration__centre",
        "registration__qualification",
        "registration__apprenticeship__employer",
        "registration__apprenticeship__standard",
        "written_by",
    )
    if lock:
        # The review's row alone (PostgreSQL refuses FOR UPDATE over the nullable joins).
        ProgressReview.objects.select_for_update().filter(pk=pk).values_list("pk").first()
    return rows.get(pk=pk)


# ---------------------------------------------------------------- writing


def _clean(progress_comment: str, targets: str, review_date: datetime.date) -> tuple[str, str]:
    progress_comment, targets = progress_comment.strip(), targets.strip()
    if not progress_comment:
        raise ReviewError("Say how the apprentice is progressing against the KSBs.")
    if not targets:
        raise ReviewError("Write the targets agreed, one a line.")
    if review_date > timezone.localdate():
        raise ReviewError("Record the review once it has taken place: the date is in the future.")
    return progress_comment, targets


@transaction.atomic
def review_create(
    *,
    actor: User,
    registration: Registration,
    review_date: datetime.date,
    progress_comment: str,
    targets: str,
    staff_notes: str = "",
    supersedes: ProgressReview | None = None,
) -> ProgressReview:
    """The provider writes a review (a draft until someone signs it). With `supersedes`, it is
    the correction of a signed review: that one stays on record; one still being signed can no
    longer be signed."""
    if not rules.test_rule("portfolios.write_review", actor, registration):
        raise ReviewError("Only the apprentice's assessor or the centre's admin writes reviews.")
    # The registration's row serialises two writers (a double submit of a correction).
    Registration.objects.select_for_update().filter(pk=registration.pk).values_list("pk").first()
    apprenticeship = _apprenticeship(registration)
    progress_comment, targets = _clean(progress_comment, targets, review_date)
    if supersedes is not None:
        supersedes = _load(supersedes.pk, lock=True)
        if supersedes.registration_id != registration.pk:
            raise ReviewError("A correction is of a review of the same apprenticeship.")
        if supersedes.status not in (ReviewStatus.SIGNING, ReviewStatus.LOCKED):
            raise ReviewError("A draft is changed, not corrected: edit it instead.")
        if ProgressReview.objects.filter(supersedes=supersedes).exists():
            raise ReviewError("This review has already been corrected by a later one.")
    review = ProgressReview.objects.create(
        registration=registration,
        review_date=review_date,
        written_by=actor,
        progress_comment=progress_comment,
        targets=targets,
        staff_notes=staff_notes.strip(),
        supersedes=supersedes,
        **snapshot(registration, apprenticeship),
    )
    record_event(
        actor=actor,
        action="review.written",
        target=review,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "review_date": review_date.isoformat(),
            "supersedes": supersedes.pk if supersedes else None,
        },
    )
    if supersedes is not None and supersedes.status == ReviewStatus.SIGNING:
        REVIEW_LIFECYCLE.move(
            supersedes,
            ReviewStatus.SUPERSEDED,
            actor=actor,
            action="review.superseded",
            centre_id=registration.centre_id,
            data={"by": review.pk},
        )
    return review


@transaction.atomic
def review_update(
    *,
    actor: User,
    review: ProgressReview,
    review_date: datetime.date,
    progress_comment: str,
    targets: str,
    staff_notes: str = "",
) -> ProgressReview:
    """The provider changes a draft; the snapshot is taken again, as of today."""
    registration = review.registration
    if not rules.test_rule("portfolios.write_review", actor, registration):
        raise ReviewError("Only the apprentice's assessor or the centre's admin writes reviews.")
    review = _load(review.pk, lock=True)
    if review.status != ReviewStatus.DRAFT:
        raise ReviewError(
            "This review has been signed, so it can no longer change: write a correction."
        )
    progress_comment, targets = _clean(progress_comment, targets, review_date)
    values = {
        "review_date": review_date,
        "progress_comment": progress_comment,
        "targets": targets,
        "staff_notes": staff_notes.strip(),
        **snapshot(registration, registration.apprenticeship),
    }
    for name, value in values.items():
        setattr(review, name, value)
    review.save(update_fields=[*values, "updated_at"])
    record_event(
        actor=actor,
        action="review.changed",
        target=review,
        centre_id=registration.centre_id,
        data={"review_date": review_date.isoformat()},
    )
    return review


# ---------------------------------------------------------------- signing

SIGN_RULES: dict[str, str] = {
    SignerRole.APPRENTICE: "portfolios.sign_review_as_apprentice",
    SignerRole.EMPLOYER: "portfolios.sign_review_as_employer",
    SignerRole.PROVIDER: "portfolios.sign_review_as_provider",
}


def may_sign(user: Any, review: ProgressReview) -> list[str]:
    """The roles in which `user` may sign this review (none once it is no longer signable)."""
    if review.status not in (ReviewStatus.DRAFT, ReviewStatus.SIGNING):
        return []
    return [
        role
        for role, rule in SIGN_RULES.items()
        if rules.test_rule(rule, user, review.registration)
    ]


def _sign(
    review: ProgressReview,
    *,
    role: str,
    actor: User | None,
    signed_name: str,
    link: ReviewSignatureLink | None = None,
) -> ReviewSignature:
    """Add one signature to a locked (select_for_update) review; the third locks it."""
    if review.status == ReviewStatus.LOCKED:
        raise ReviewError("This review is already signed by all three and locked.")
    if review.status == ReviewStatus.SUPERSEDED:
        raise ReviewError("This review was corrected by a later one: sign that one instead.")
    done = dict(ReviewSignature.objects.filter(review=review).values_list("role", "signed_name"))
    if role in done:
        raise ReviewError(
            f"This review is already signed for the {SignerRole(role).label.lower()} "
            f"by {done[role]}."
        )
    signed = content_hash(signed_content(review))
    if review.content_hash and review.content_hash != signed:
        # Frozen content cannot differ; if it does, the data were changed behind the services.
        raise ReviewError("This review's content has changed since it was first signed.")
    signature = ReviewSignature.objects.create(
        review=review,
        role=role,
        user=actor,
        link=link,
        signed_name=signed_name,
        content_hash=signed,
    )
    centre_id = review.registration.centre_id
    data = {
        "role": role,
        "signed_name": signed_name,
        "content_hash": signed,
        "link": link.pk if link else None,
    }
    if review.status == ReviewStatus.DRAFT:
        # The first signature freezes the content.
        review.content_hash = signed
        REVIEW_LIFECYCLE.move(
            review,
            ReviewStatus.SIGNING,
            actor=actor,
            action="review.signed",
            centre_id=centre_id,
            data=data,
            update_fields=["content_hash"],
        )
    else:
        record_event(
            actor=actor, action="review.signed", target=review, centre_id=centre_id, data=data
        )
    if len(done) + 1 == len(SignerRole.values):
        review.locked_at = timezone.now()
        REVIEW_LIFECYCLE.move(
            review,
            ReviewStatus.LOCKED,
            actor=actor,
            action="review.locked",
            centre_id=centre_id,
            data={"content_hash": signed},
            update_fields=["locked_at"],
        )
        _queue_pdf(review, actor=actor)
    return signature


@transaction.atomic
def review_sign(*, actor: User, review: ProgressReview, role: str) -> ReviewSignature:
    """A signed-in person signs as the apprentice, the employer or the provider. The review's
    row is locked first: a double click, or two people at once, sign one after the other, and
    the second in the same role is refused (the database's one-per-role constraint holds it
    too)."""
    if role not in SIGN_RULES:
        raise ReviewError("Choose whether you sign as the apprentice, employer or provider.")
    if not rules.test_rule(SIGN_RULES[role], actor, review.registration):
        raise ReviewError(f"You may not sign this review as the {SignerRole(role).label.lower()}.")
    review = _load(review.pk, lock=True)
    return _sign(review, role=role, actor=actor, signed_name=actor.get_full_name())


# ---------------------------------------------------------------- the employer's one-time link


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_link(token: str) -> ReviewSignatureLink | None:
    """The one link this token opens, or None: nothing else is reachable from it."""
    return (
        ReviewSignatureLink.objects.select_related("review")
        .filter(token_hash=token_hash(token))
        .first()
    )


def link_state(link: ReviewSignatureLink) -> str:
    """ "open", "used" (signed through it, or the employer's signature is given, or the review
    can no longer be signed) or "expired"."""
    if link.used_at is not None or link.review.status not in (
        ReviewStatus.DRAFT,
        ReviewStatus.SIGNING,
    ):
        return "used"
    if link.expires_at <= timezone.now():
        return "expired"
    return "open"


@dataclass(frozen=True)
class LinkSent:
    link: ReviewSignatureLink
    token: str  # e-mailed; never stored


def send_link_email(*, link: ReviewSignatureLink, url: str) -> None:
    review = link.review
    registration = review.registration
    context = {
        "name": link.name,
        "apprentice": registration.learner.get_full_name(),
        "centre": registration.centre.name,
        "review_date": review.review_date,
        "link": url,
        "expires_at": link.expires_at,
    }
    subject = render_to_string("portfolios/reviews/link_email_subject.txt", context)
    body = render_to_string("portfolios/reviews/link_email.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [link.email])


def review_link_send(
    *,
    actor: User,
    review: ProgressReview,
    name: str,
    email: str,
    link_for: Callable[[str], str] | None = None,
    expires_in_days: int = LINK_EXPIRY_DAYS,
) -> LinkSent:
    """The provider asks a named person at an employer with no account to sign, by a one-time
    link e-mailed once the transaction commits (`link_for(token)` builds its address; without
    it nothing is sent, as in the demo)."""
    if not rules.test_rule("portfolios.write_review", actor, review.registration):
        raise ReviewError("Only the apprentice's assessor or the centre's admin sends the link.")
    name, email = " ".join(name.split()), email.strip()
    if not name or not email:
        raise ReviewError("Name the person at the employer who signs, and give their e-mail.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        review = _load(review.pk, lock=True)
        if review.status not in (ReviewStatus.DRAFT, ReviewStatus.SIGNING):
            raise ReviewError("This review can no longer be signed.")
        if ReviewSignature.objects.filter(review=review, role=SignerRole.EMPLOYER).exists():
            raise ReviewError("The employer has already signed this review.")
        _refuse_contacts_with_accounts(review.registration, email)
        link = ReviewSignatureLink.objects.create(
            review=review,
            name=name,
            email=email,
            token_hash=token_hash(token),
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        record_event(
            actor=actor,
            action="review.link_sent",
            target=link,
            centre_id=review.registration.centre_id,
            data={"review": review.pk, "name": name, "expires_at": link.expires_at.isoformat()},
        )
        if link_for is not None:
            url = link_for(token)
            transaction.on_commit(lambda: send_link_email(link=link, url=url))
    return LinkSent(link, token)


def _refuse_contacts_with_accounts(registration: Registration, email: str) -> None:
    """The link is for someone at the employer with no account (issue 19). A contact who has
    one signs on their own home page, where the signature names their login: a link e-mailed to
    them would be a second, weaker way to sign as them."""
    contact = (
        Membership.objects.current()
        .contacts()
        .filter(
            centre_id=registration.centre_id,
            employer__apprenticeships__registration_id=registration.pk,
            user__email__iexact=email,
            user__is_active=True,
        )
        .select_related("user", "employer")
        .first()
    )
    if contact is not None:
        raise ReviewError(
            f"{contact.user.get_full_name()} has an account as a contact of "
            f"{contact.employer}: they sign the review on their own home page, so no link is "
            "sent. A link is for someone at the employer who has no account."
        )


@transaction.atomic
def review_sign_by_link(*, token: str, signed_name: str, confirmed: bool) -> ReviewSignature:
    """The employer's named person signs through their link: once, before it expires."""
    found = find_link(token)
    if found is None:
        raise ReviewError("This link is not valid.")
    # The review first, then the link: the order every signing path takes its locks in.
    review = _load(found.review_id, lock=True)
    link = ReviewSignatureLink.objects.select_for_update().get(pk=found.pk)
    link.review = review
    state = link_state(link)
    if state == "used":
        raise ReviewLinkError("This link has already been used.", state=state)
    if state == "expired":
        raise ReviewLinkError("This link has expired.", state=state)
    signed_name = " ".join(signed_name.split())
    if not signed_name:
        raise ReviewError("Type your name to sign the review.")
    if not confirmed:
        raise ReviewError("Tick the box to confirm the statement.")
    if ReviewSignature.objects.filter(review=review, role=SignerRole.EMPLOYER).exists():
        raise ReviewLinkError("The employer has already signed this review.", state="used")
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return _sign(review, role=SignerRole.EMPLOYER, actor=None, signed_name=signed_name, link=link)


# ---------------------------------------------------------------- the PDF

# While pdf_builds_held is in force, the ids of the reviews queued meanwhile; None otherwise.
_held_builds: ContextVar[list[int] | None] = ContextVar("review_pdf_builds_held", default=None)


@contextmanager
def pdf_builds_held() -> Iterator[list[int]]:
    """Within the block, a review locked (or its PDF asked for again) is queued as always (its
    status, its audit event), but its build is not sent to the worker: its id is added to the
    list yielded, and the caller sends them (send_pdf_builds) or leaves them queued, a state the
    review pages show. For loading reviews in bulk, where a build each would take the worker
    minutes (the scale seed: hundreds of PDFs with WeasyPrint took over three minutes), never
    for a page. The hold is decided when the review is queued, so the block need not span the
    transaction's commit."""
    held: list[int] = []
    token = _held_builds.set(held)
    try:
        yield held
    finally:
        _held_builds.reset(token)


def send_pdf_builds(review_ids: Iterable[int]) -> None:
    """Send held builds (pdf_builds_held) to the worker once the transaction commits."""
    from portfolios.tasks import build_review_pdf

    for pk in review_ids:
        transaction.on_commit(partial(build_review_pdf.delay, review_id=pk))


def _queue_pdf(review: ProgressReview, *, actor: User | None) -> None:
    REVIEW_PDF_LIFECYCLE.move(
        review,
        ReviewPdfStatus.QUEUED,
        actor=actor,
        action="review.pdf_queued",
        centre_id=review.registration.centre_id,
    )
    held = _held_builds.get()
    if held is not None:
        held.append(review.pk)
        return
    send_pdf_builds([review.pk])


@transaction.atomic
def review_pdf_request(*, actor: User, review: ProgressReview) -> ProgressReview:
    """Ask again for a PDF whose build failed (the provider)."""
    if not rules.test_rule("portfolios.write_review", actor, review.registration):
        raise ReviewError("Only the apprentice's assessor or the centre's admin asks for it.")
    review = _load(review.pk, lock=True)
    if review.pdf_status != ReviewPdfStatus.FAILED:
        raise ReviewError("The PDF is not failed: nothing to build again.")
    review.pdf_error = ""
    review.save(update_fields=["pdf_error"])
    _queue_pdf(review, actor=actor)
    return review


def pdf_context(review: ProgressReview) -> dict[str, Any]:
    signatures = list(review.signatures.order_by("signed_at", "pk"))
    return {
        "content": signed_content(review),
        "review": review,
        "signatures": [
            {
                "role": s.get_role_display(),
                "name": s.signed_name,
                "at": timezone.localtime(s.signed_at),
                "through_link": s.link_id is not None,
                "hash": s.content_hash,
            }
            for s in signatures
        ],
    }


def build_pdf(*, review_id: int) -> str:
    """Build a locked review's PDF (the worker's task): its status afterwards. Idempotent: a
    review whose PDF is not queued is left as it is."""
    review = _load(review_id)
    if review.pdf_status != ReviewPdfStatus.QUEUED:
        return review.pdf_status
    if not pdf_renderers:
        raise RuntimeError("No PDF renderer is registered (assessments.apps)")
    data = pdf_renderers[-1](PDF_TEMPLATE, pdf_context(review))
    with transaction.atomic():
        review = _load(review_id, lock=True)
        if review.pdf_status != ReviewPdfStatus.QUEUED:
            return review.pdf_status
        review.pdf.save(f"{review.pk}.pdf", ContentFile(data), save=False)
        REVIEW_PDF_LIFECYCLE.move(
            review,
            ReviewPdfStatus.READY,
            actor=None,
            action="review.pdf_built",
            centre_id=review.registration.centre_id,
            data={"sha256": hashlib.sha256(data).hexdigest()},
            update_fields=["pdf"],
        )
    return review.pdf_status


@transaction.atomic
def mark_pdf_failed(*, review_id: int, error: str) -> None:
    review = _load(review_id, lock=True)
    if review.pdf_status != ReviewPdfStatus.QUEUED:
        return
    review.pdf_error = error[:500]
    REVIEW_PDF_LIFECYCLE.move(
        review,
        ReviewPdfStatus.FAILED,
        actor=None,
        action="review.pdf_failed",
        centre_id=review.registration.centre_id,
        data={"error": review.pdf_error},
        update_fields=["pdf_error"],
    )
