from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.usefixtures("catalogue")

MODELS = [
    "awardingbody",
    "qualification",
    "unit",
    "learningoutcome",
    "assessmentcriterion",
    "standard",
    "statement",
]


@pytest.mark.parametrize("model", MODELS)
def test_staff_can_read_the_catalogue_in_the_admin_but_not_change_it(
    client: Client, staff_user: User, model: str
) -> None:
    client.force_login(staff_user)

    assert client.get(f"/admin/qualifications/{model}/").status_code == 200
    assert client.get(f"/admin/qualifications/{model}/add/").status_code == 403


def test_people_who_are_not_staff_are_sent_to_the_admin_sign_in(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get("/admin/qualifications/unit/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
