"""The employer contact's home reads its apprentices by queries compiled once
(home.roles.APPRENTICE_COUNT and the page slices), not through Registration.objects.visible_to:
the same apprentices visible_to gives the contact, page by page, and none once their role ends."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from home.roles import APPRENTICE_COUNT
from portfolios.models import Registration
from tests.factories import CentreFactory, EmployerFactory, RegistrationFactory, apprentice, member

pytestmark = pytest.mark.usefixtures("catalogue")


def _names(response) -> list[str]:
    return [row.name for row in response.context["page"].object_list]


def test_the_contact_sees_their_employers_apprentices_at_the_centre_as_visible_to_does(
    client: Client,
) -> None:
    centre = CentreFactory()
    acme, bolt = EmployerFactory(centre=centre), EmployerFactory(centre=centre)
    contact = member(centre, Role.EMPLOYER, employer=acme)
    for index in range(27):
        apprentice(RegistrationFactory(centre=centre, learner__full_name=f"A{index:02}"), acme)
    apprentice(RegistrationFactory(centre=centre, learner__full_name="Bolt's"), bolt)
    RegistrationFactory(centre=centre, learner__full_name="Not an apprentice")
    elsewhere = CentreFactory()
    apprentice(
        RegistrationFactory(centre=elsewhere, learner__full_name="Elsewhere"),
        EmployerFactory(centre=elsewhere),
    )
    client.force_login(contact)

    first = client.get(reverse("home"))
    second = client.get(reverse("home") + "?page=2")

    expected = list(
        Registration.objects.visible_to(contact)
        .filter(centre=centre, apprenticeship__employer=acme)
        .order_by("learner__full_name", "learner__email", "pk")
        .values_list("learner__full_name", flat=True)
    )
    assert expected == [f"A{index:02}" for index in range(27)]
    assert _names(first) + _names(second) == expected
    assert first.context["page"].paginator.count == 27
    assert second.context["page"].number == 2
    assert "A26" in second.content.decode()
    assert "Bolt" not in first.content.decode()

    # The role ends: the middleware no longer lets them work as the contact, and the page's
    # own query would find nothing either.
    Membership.objects.filter(user=contact, role=Role.EMPLOYER).update(is_active=False)
    assert "A00" not in client.get(reverse("home")).content.decode()
    assert (
        APPRENTICE_COUNT.rows(
            centre=centre.pk,
            employer=acme.pk,
            user=contact.pk,
            today=timezone.localdate(),
        )
        == []
    )
