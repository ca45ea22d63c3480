"""Reads of the portfolio page that run on every request, compiled once (core.prepared)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from core.prepared import Prepared
from portfolios.models import Evidence, EvidenceStatus, Registration


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


def _attnames(model: Any) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _registration(*, registration: int) -> QuerySet:
    related = [
        f"{field.name}__{attname}"
        for field in _JOINED
        for attname in _attnames(field.related_model)
    ]
    return (
        Registration.objects.filter(pk=registration)
        .order_by()
        .values_list(*_attnames(Registration), *related)
    )


REGISTRATION = Prepared(_registration)


def registration_with_people(pk: int) -> Registration | None:
    """Registration.objects.select_related("learner", "centre", "qualification").get(pk=pk),
    or None: one query, compiled once."""
    rows = REGISTRATION.rows(registration=pk)
    if not rows:
        return None
    row = rows[0]
    names = _attnames(Registration)
    registration = Registration.from_db("default", names, row[: len(names)])
    at = len(names)
    for field in _JOINED:
        related_names = _attnames(field.related_model)
        related = field.related_model.from_db(
            "default", related_names, row[at : at + len(related_names)]
        )
        field.set_cached_value(registration, related)
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
