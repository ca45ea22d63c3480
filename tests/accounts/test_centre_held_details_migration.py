"""accounts 0004 moves what a centre keeps about a person to the centre that wrote it.

Run for real: the database goes back to accounts 0003, rows and audit events are made with the
historical models, and the migration runs forward (and back) on them.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import CompetenceRecord, LearnerProfile, StaffCredential

BEFORE = ("accounts", "0003_eqa_membership_qualifications")
AFTER = ("accounts", "0004_centre_held_details")

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(target: tuple[str, str]) -> Any:
    """Migrate to `target`; the historical apps registry as it stands there."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


@pytest.fixture
def old_apps() -> Iterator[Any]:
    apps = _migrate(BEFORE)
    try:
        yield apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


class _Old:
    """Shortcuts for making rows with the historical models."""

    def __init__(self, apps: Any) -> None:
        self.apps = apps
        self.hashes = itertools.count()
        self.day = itertools.count(1)

    def model(self, name: str) -> Any:
        app = "core" if name == "AuditEvent" else "accounts"
        return self.apps.get_model(app, name)

    def centre(self, number: str) -> Any:
        return self.model("Centre").objects.create(name=f"Centre {number}", number=number)

    def person(self, email: str, *roles: tuple[Any, str]) -> Any:
        user = self.model("User").objects.create(email=email, full_name=email.split("@")[0])
        for centre, role in roles:
            # Memberships made in order, a day apart: the first is the earliest.
            self.model("Membership").objects.create(
                user=user,
                centre=centre,
                role=role,
                created_at=datetime.datetime(2025, 1, next(self.day), tzinfo=datetime.UTC),
            )
        return user

    def event(self, action: str, target: Any, centre: Any, **data: Any) -> None:
        n = next(self.hashes)
        model = self.model("AuditEvent")
        # core's chain sequence (core 0002) may already be in place: this test rolls back
        # accounts alone, and core does not depend on it.
        numbered = (
            {"sequence": n + 1} if any(f.name == "sequence" for f in model._meta.fields) else {}
        )
        model.objects.create(
            **numbered,
            action=action,
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
            centre_id=centre.pk,
            data=data,
            previous_hash=f"{n:064d}",
            hash=f"{n + 1:064d}",
        )


def test_each_centre_gets_the_details_it_wrote_and_the_rest_go_to_the_earliest_centre(
    old_apps: Any,
) -> None:
    old = _Old(old_apps)
    a, b = old.centre("A1"), old.centre("B2")
    both = old.person("both@x.example", (a, "learner"), (b, "learner"))
    profile = old.model("LearnerProfile").objects.create(
        user=both,
        uln="2222222222",  # B wrote it last
        date_of_birth=datetime.date(1990, 1, 1),  # A wrote it
        phone="0700 B",  # A, then B
        employer="Nobody said",  # no event: the earliest learner centre, A
    )
    old.event("learner_profile.updated", profile, a, fields=["date_of_birth", "phone", "uln"])
    old.event("learner_profile.updated", profile, b, fields=["phone", "uln"])
    only_b = old.person("b@x.example", (b, "learner"))
    old.model("LearnerProfile").objects.create(user=only_b, uln="3333333333")
    nowhere = old.person("gone@x.example")
    old.model("LearnerProfile").objects.create(user=nowhere, uln="4444444444")

    _migrate(AFTER)

    at_a = LearnerProfile.objects.get(user_id=both.pk, centre_id=a.pk)
    at_b = LearnerProfile.objects.get(user_id=both.pk, centre_id=b.pk)
    assert (at_a.uln, at_a.date_of_birth, at_a.phone, at_a.employer) == (
        "",
        datetime.date(1990, 1, 1),
        "",
        "Nobody said",
    )
    assert (at_b.uln, at_b.date_of_birth, at_b.phone, at_b.employer) == (
        "2222222222",
        None,
        "0700 B",
        "",
    )
    # The row keeps its id with the centre that wrote it last: its events still describe it.
    assert at_b.pk == profile.pk
    assert LearnerProfile.objects.get(user_id=only_b.pk).centre_id == b.pk
    assert not LearnerProfile.objects.filter(user_id=nowhere.pk).exists()
    assert LearnerProfile.objects.count() == 3

    # Back: one profile per person again, each field as it was last written.
    _migrate(BEFORE)

    merged = old_apps.get_model("accounts", "LearnerProfile").objects.get(user_id=both.pk)
    assert (merged.uln, merged.date_of_birth, merged.phone, merged.employer) == (
        "2222222222",
        datetime.date(1990, 1, 1),
        "0700 B",
        "Nobody said",
    )


def test_credentials_and_competence_go_to_the_centre_that_added_them(old_apps: Any) -> None:
    old = _Old(old_apps)
    a, b = old.centre("A1"), old.centre("B2")
    # A learner at A first, then staff at B: unattributed staff records go to B.
    staff = old.person("staff@x.example", (a, "learner"), (b, "assessor"), (a, "iv"))
    learner_only = old.person("learner@x.example", (a, "learner"))
    nowhere = old.person("gone@x.example")
    Credential = old.model("StaffCredential")
    Record = old.model("CompetenceRecord")

    def credential(user: Any, title: str) -> Any:
        return Credential.objects.create(user=user, kind="assessor", title=title, status="held")

    def record(user: Any, activity: str) -> Any:
        return Record.objects.create(
            user=user, kind="cpd", date=datetime.date(2025, 3, 1), activity=activity
        )

    added_at_a = credential(staff, "Added at A")
    old.event("credential.added", added_at_a, a, kind="assessor", status="held")
    unattributed = credential(staff, "No event")
    learner_credential = credential(learner_only, "A learner's")
    credential(nowhere, "Nobody's")
    cpd_at_a = record(staff, "CPD at A")
    old.event("competence.added", cpd_at_a, a, kind="cpd", date="2025-03-01")
    cpd_unattributed = record(staff, "CPD, no event")
    record(nowhere, "Nobody's CPD")

    _migrate(AFTER)

    centre_of = dict(StaffCredential.objects.values_list("title", "centre_id"))
    assert centre_of == {
        added_at_a.title: a.pk,
        unattributed.title: b.pk,  # the earliest staff membership
        learner_credential.title: a.pk,  # no staff role anywhere: any membership
    }
    assert dict(CompetenceRecord.objects.values_list("activity", "centre_id")) == {
        cpd_at_a.activity: a.pk,
        cpd_unattributed.activity: b.pk,
    }
