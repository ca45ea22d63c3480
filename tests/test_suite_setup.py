"""The suite's own set-up: after a flush every table is empty but the catalogue's.

A transactional test ends with Django's flush (as `manage.py flush` runs it); tests/conftest.py
puts the catalogue back from its copy. These tests flush in the middle, to see both halves.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from qualifications.models import AssessmentCriterion, AwardingBody, Qualification, Unit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def catalogue_rows() -> dict[str, list[tuple]]:
    return {
        model.__name__: list(model.objects.order_by("pk").values_list())
        for model in (AwardingBody, Qualification, Unit, AssessmentCriterion)
    }


def test_a_flush_empties_every_table_but_the_catalogue_which_comes_back_as_loaded() -> None:
    loaded = catalogue_rows()
    assert all(loaded.values())
    UserFactory()
    # A test may change the catalogue too: what comes back is the catalogue as loaded.
    Qualification.objects.update(title="Changed by a test")
    AwardingBody.objects.create(name="Made by a test", code="TESTAB")

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    assert not User.objects.exists()
    assert catalogue_rows() == loaded


def test_after_a_flush_that_resets_sequences_new_catalogue_rows_get_new_ids() -> None:
    highest = AwardingBody.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert highest is not None

    call_command("flush", interactive=False, verbosity=0, reset_sequences=True)

    made = AwardingBody.objects.create(name="A new awarding body", code="NEWAB")
    assert made.pk > highest
