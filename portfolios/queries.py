"""Reads of the portfolio page that run on every request, compiled once (core.prepared)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from core.prepared import Prepared, attnames
from portfolios.models import (
    Apprenticeship,
    Evidence,
    EvidenceStatus,
    ProgressReview,
    Registration,
)


@dataclass(frozen=True)
class RecordRow:
    """One evidence record as the portfolio's table lists it."""

    pk: int
    title: str
    version: int
    method: str
    evidence_date: datetime.date
    status: str
    assessor_record: int | None  # an assessor-made record (assessments app), if it is one
    acknowledged_at: datetime.datetime | None
    criteria_count: int


def _records(*, registration: int, drafts: bool = True) -> QuerySet:
    evidence = Evidence.objects.filter(registration_id=registration)
    if not drafts:
        evidence = evidence.exclude(status=EvidenceStatus.DRAFT)
    return (
        evidence.annotate(criteria_count=Count("mappings"))
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "title",
            "version",
            "method",
            "evidence_date",
            "status",
            # The assessments app's record of the piece, named only as a relation.
            "assessor_record__id",
            "assessor_record__acknowledged_at",
            "criteria_count",
        )
    )


def _records_seen_by_staff(*, registration: int) -> QuerySet:
    return _records(registration=registration, drafts=False)


def _records_with_drafts(*, registration: int) -> QuerySet:
    return _records(registration=registration)


RECORDS = Prepared(_records_seen_by_staff)
RECORDS_WITH_DRAFTS = Prepared(_records_with_drafts)


def portfolio_records(registration: Registration, user: Any) -> list[RecordRow]:
    """The registration's evidence records, newest first, as Evidence.objects.seen_in(
    registration, user) gives them: drafts are the learner's alone. One query."""
    sees_drafts = getattr(user, "is_superuser", False) or registration.learner_id == user.pk
    records = RECORDS_WITH_DRAFTS if sees_drafts else RECORDS
    return [RecordRow(*row) for row in records.rows(registration=registration.pk)]


# The registration with its learner, centre and qualification, as the portfolio's pages load
# it (select_related over the three), field by field in each model's order.
_JOINED = (Registration.learner.field, Registration.centre.field, Registration.qualification.field)


# The programme record's employer and standard, loaded with it (the gateway page names both).
_PROGRAMME: tuple[Any, ...] = (Apprenticeship.employer.field, Apprenticeship.standard.field)


def _registration_joined(*, registration: int, apprenticeship: bool, programme: bool) -> QuerySet:
    related = [
        f"{field.name}__{attname}" for field in _JOINED for attname in attnames(field.related_model)
    ]
    if apprenticeship:
        related += [f"apprenticeship__{attname}" for attname in attnames(Apprenticeship)]
    if programme:
        related += [
            f"apprenticeship__{field.name}__{attname}"
            for field in _PROGRAMME
            for attname in attnames(field.related_model)
        ]
    return (
        Registration.objects.filter(pk=registration)
        .order_by()
        .values_list(*attnames(Registration), *related)
    )


def _registration(*, registration: int) -> QuerySet:
    return _registration_joined(registration=registration, apprenticeship=False, programme=False)


def _registration_with_apprenticeship(*, registration: int) -> QuerySet:
    return _registration_joined(registration=registration, apprenticeship=True, programme=False)


def _registration_with_programme(*, registration: int) -> QuerySet:
    return _registration_joined(registration=registration, apprenticeship=True, programme=True)


REGISTRATION = Prepared(_registration)
REGISTRATION_WITH_APPRENTICESHIP = Prepared(_registration_with_apprenticeship)
# With the employer and standard too: seven tables, whose plan PostgreSQL makes afresh on each
# request (about 0.4 ms more than the five the off-the-job log needs, measured on the scale
# centre), so only the page that names them (the gateway) asks for them.
REGISTRATION_WITH_PROGRAMME = Prepared(_registration_with_programme)


def registration_with_people(
    pk: int, *, apprenticeship: bool = False, programme: bool = False
) -> Registration | None:
    """Registration.objects.select_related("learner", "centre", "qualification").get(pk=pk),
    or None: one query, compiled once. With `apprenticeship`, its programme record too (as
    select_related("apprenticeship") caches it; None where there is none); with `programme`,
    the record's employer and standard as well (select_related("apprenticeship__employer",
    "apprenticeship__standard"))."""
    apprenticeship = apprenticeship or programme
    if programme:
        query = REGISTRATION_WITH_PROGRAMME
    elif apprenticeship:
        query = REGISTRATION_WITH_APPRENTICESHIP
    else:
        query = REGISTRATION
    rows = query.rows(registration=pk)
    if not rows:
        return None
    row = rows[0]
    names = attnames(Registration)
    registration = Registration.from_db("default", names, row[: len(names)])
    at = len(names)
    for field in _JOINED:
        related_names = attnames(field.related_model)
        related = field.related_model.from_db(
            "default", related_names, row[at : at + len(related_names)]
        )
        field.set_cached_value(registration, related)
        at += len(related_names)
    if apprenticeship:
        record_names = attnames(Apprenticeship)
        values = row[at : at + len(record_names)]
        at += len(record_names)
        record = (
            None if values[0] is None else Apprenticeship.from_db("default", record_names, values)
        )
        relation = Registration.apprenticeship.related
        relation.set_cached_value(registration, record)
        if record is not None:
            relation.field.set_cached_value(record, registration)
        if record is not None and programme:
            for programme_field in _PROGRAMME:
                related_names = attnames(programme_field.related_model)
                programme_field.set_cached_value(
                    record,
                    programme_field.related_model.from_db(
                        "default", related_names, row[at : at + len(related_names)]
                    ),
                )
                at += len(related_names)
    return registration


def visible_registration_or_404(user: Any, pk: int, *, also: tuple[str, ...] = ()) -> Registration:
    """The registration with its learner, centre and qualification, if `user` may see it; else
    404, so its existence does not leak. For the pages that hang off one registration; `also`
    names more to load in the same query (the off-the-job log: its "apprenticeship")."""
    return get_object_or_404(
        Registration.objects.visible_to(user).select_related(
            "learner", "centre", "qualification", *also
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class ReviewOnPage:
    """A progress review as its page shows it, with its registration (learner, centre and
    qualification loaded), not yet asked whether the person may see it."""

    review: Any  # ProgressReview, its registration cached on it
    written_by: str
    employer: str
    superseded_by: dict[str, Any] | None  # pk and review_date of the review correcting it


def _review_on_page(*, review: int) -> QuerySet:
    joined = [
        f"registration__{field.name}__{attname}"
        for field in _JOINED
        for attname in attnames(field.related_model)
    ]
    return (
        ProgressReview.objects.filter(pk=review)
        .order_by()
        .values_list(
            *attnames(ProgressReview),
            *[f"registration__{attname}" for attname in attnames(Registration)],
            *joined,
            "written_by__full_name",
            "written_by__email",
            "registration__apprenticeship__employer__name",
            "superseded_by__pk",
            "superseded_by__review_date",
        )
    )


REVIEW_ON_PAGE = Prepared(_review_on_page)


def review_on_page(pk: int) -> ReviewOnPage | None:
    """ProgressReview.objects.select_related("registration__learner", "registration__centre",
    "registration__qualification", "written_by", "superseded_by") with the apprenticeship's
    employer, or None: one query, compiled once. Ask portfolios.view_registration of the
    registration before showing it (ProgressReview.objects.visible_to follows it)."""
    rows = REVIEW_ON_PAGE.rows(review=pk)
    if not rows:
        return None
    row = rows[0]
    names = attnames(ProgressReview)
    review = ProgressReview.from_db("default", names, row[: len(names)])
    at = len(names)
    registration_names = attnames(Registration)
    registration = Registration.from_db(
        "default", registration_names, row[at : at + len(registration_names)]
    )
    at += len(registration_names)
    for field in _JOINED:
        related_names = attnames(field.related_model)
        related = field.related_model.from_db(
            "default", related_names, row[at : at + len(related_names)]
        )
        field.set_cached_value(registration, related)
        at += len(related_names)
    ProgressReview.registration.field.set_cached_value(review, registration)
    full_name, email, employer, corrected_pk, corrected_on = row[at:]
    return ReviewOnPage(
        review=review,
        written_by=full_name or email,
        employer=employer or "",  # no apprenticeship: the page names none
        superseded_by={"pk": corrected_pk, "review_date": corrected_on} if corrected_pk else None,
    )
