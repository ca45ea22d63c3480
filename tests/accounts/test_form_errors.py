"""The centre's forms sent back with errors: each beside its field, counted in a summary at
the top, what was typed kept, and a 400 (see tests/support/forms.py)."""

# ruff: noqa: F811 (fixtures imported from the pages' own tests are the test parameters)

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.test_centre_pages import World, as_admin, world  # noqa: F401 (fixtures)
from tests.factories import CentreFactory, invite
from tests.support.forms import error_beside, summary, value_of

pytestmark = pytest.mark.django_db


def test_adding_an_eqa_without_an_expiry_keeps_the_name_and_address(
    as_admin: Client, world: World
) -> None:
    """RoleGrantForm's cross-field rule, on the add-a-person page."""
    response = as_admin.post(
        reverse("centre:person_add"),
        {"full_name": "Erin Examiner", "email": "erin@example.com", "role": "eqa"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == ["id_expires_on"]
    assert "External quality assurers need an expiry date" in error_beside(html, "id_expires_on")
    assert value_of(html, "id_full_name") == "Erin Examiner"
    assert value_of(html, "id_email") == "erin@example.com"
    assert not User.objects.filter(email="erin@example.com").exists()


def test_two_problems_are_counted_and_each_sits_beside_its_field(
    as_admin: Client, world: World
) -> None:
    response = as_admin.post(
        reverse("centre:person_add"), {"full_name": "", "email": "not-an-address", "role": "iv"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "2 problems with this form"
    assert [target for target, _ in items] == ["id_full_name", "id_email"]
    assert error_beside(html, "id_full_name") == "This field is required."
    assert error_beside(html, "id_email") == "Enter a valid email address."
    assert value_of(html, "id_email") == "not-an-address"


def test_a_credential_worked_towards_without_a_deadline_is_shown_on_the_person_page(
    as_admin: Client, world: World
) -> None:
    """StaffCredentialForm's cross-field rule: working towards needs a deadline."""
    response = as_admin.post(
        reverse("centre:credential_add", args=[world.assessor.pk]),
        {
            "credential-kind": "assessor",
            "credential-title": "TAQA kept",
            "credential-status": "working_towards",
            # Issue 17: a trainee's start and countersigner, given here to test the deadline.
            "credential-started_on": "2026-01-05",
            "credential-countersigner": world.iv.pk,
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [
        (
            "id_credential-deadline",
            "Deadline to achieve it: Give the date by which it must be achieved.",
        )
    ]
    assert error_beside(html, "id_credential-deadline") == (
        "Give the date by which it must be achieved."
    )
    assert value_of(html, "id_credential-title") == "TAQA kept"


def test_a_held_credential_with_a_deadline_is_refused_beside_the_deadline(
    as_admin: Client, world: World
) -> None:
    response = as_admin.post(
        reverse("centre:credential_add", args=[world.assessor.pk]),
        {
            "credential-kind": "assessor",
            "credential-title": "TAQA",
            "credential-status": "held",
            "credential-deadline": "2030-01-01",
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "has no deadline" in error_beside(html, "id_credential-deadline")
    assert value_of(html, "id_credential-deadline") == "2030-01-01"


def test_an_invitation_answered_with_two_different_passwords_keeps_the_name(
    client: Client,
) -> None:
    """The invitation form's cross-field rule: the two passwords agree."""
    invitation = invite(CentreFactory(), "new@example.com", role="learner")

    response = client.post(
        reverse("invitations:respond", args=[invitation.token]),
        {"full_name": "Nia New", "password1": "a-long-new-pass-42", "password2": "different-42"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == ["id_password2"]
    assert error_beside(html, "id_password2") == "The two passwords differ."
    assert value_of(html, "id_full_name") == "Nia New"
