"""Forms sent back with errors: each error beside its field, a summary at the top counting
them, what was typed kept, and a 400 (see tests/support/forms.py)."""

# ruff: noqa: F811 (fixtures imported from the pages' own tests are the test parameters)

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from tests.portfolios.test_registration_pages import (  # noqa: F401 (fixtures)
    IMI,
    World,
    registered,
    step1,
    world,
)
from tests.support.forms import error_beside, parse, summary, value_of

pytestmark = pytest.mark.usefixtures("catalogue")


def test_withdrawing_without_a_reason_shows_the_error_beside_the_reason(
    client: Client, world: World
) -> None:
    registration = registered(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:withdraw", args=[registration.pk]), {"withdraw-reason": "  "}
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [("id_withdraw-reason", "Reason: Say why the learner is withdrawn.")]
    assert error_beside(html, "id_withdraw-reason") == "Say why the learner is withdrawn."
    # Not a second copy of it in the messages at the top.
    assert html.count("Say why the learner is withdrawn.") == 2


def test_a_bulk_assignment_with_nobody_chosen_keeps_the_ticks_and_says_why(
    client: Client, world: World
) -> None:
    """BulkAssignForm's cross-field rule: an assessor or an IV must be chosen."""
    first, second = registered(world), registered(world, "600/1686/3")
    client.force_login(world.admin)

    response = client.post(
        reverse("centre:assign_bulk") + "?status=active",
        {"registrations": [first.pk], "assessor": "", "internal_verifier": ""},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [("", "Choose an assessor or an internal verifier to assign.")]
    page = parse(html)
    assert "checked" in page.by_id[f"select-{first.pk}"].attrs
    assert "checked" not in page.by_id[f"select-{second.pk}"].attrs
    # The error sits at the top of the form, and the form posts back to the same list.
    form = next(e for e in page.all if e.tag == "form" and "assign" in e.attrs.get("action", ""))
    assert form.attrs["action"].endswith("?status=active")
    assert "Choose an assessor or an internal verifier to assign." in form.text


def test_a_bulk_assignment_with_nothing_ticked_links_to_the_list(
    client: Client, world: World
) -> None:
    registered(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("centre:assign_bulk"), {"registrations": [], "assessor": world.assessor.pk}
    )

    assert response.status_code == 400
    heading, items = summary(response.content.decode())
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == ["bulk_registrations"]


def test_registering_with_the_end_before_the_start_keeps_what_was_typed(
    client: Client, world: World
) -> None:
    """RegisterStartForm's cross-field rule: the planned end is not before the start."""
    client.force_login(world.admin)
    today = datetime.date.today()
    data = step1(
        world,
        IMI,
        planned_end_date=(today - datetime.timedelta(days=1)).isoformat(),
        awarding_body_number="AB-KEPT",
    )

    response = client.post(reverse("centre:register"), data)

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [
        ("id_planned_end_date", "Planned end date: The planned end date is before the start date.")
    ]
    assert "before the start date" in error_beside(html, "id_planned_end_date")
    assert value_of(html, "id_awarding_body_number") == "AB-KEPT"
    assert value_of(html, "id_start_date") == today.isoformat()


def test_a_unit_choice_that_cannot_be_read_is_shown_beside_the_units(
    client: Client, world: World
) -> None:
    registration = registered(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:registration_units", args=[registration.pk]),
        {"units": ["no-such-unit"]},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items[0][0] == "id_units"
    assert "no-such-unit" in error_beside(html, "id_units")
