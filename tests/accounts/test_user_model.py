from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError
from django.test import RequestFactory

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_stored_in_lower_case() -> None:
    user = User.objects.create_user("Jo.Bloggs@Centre.Example", "s3cret-pass-word", full_name="Jo")

    assert user.email == "jo.bloggs@centre.example"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")


def test_it_signs_in_whatever_the_capitals_of_the_address() -> None:
    user = UserFactory(email="sam@centre.example")

    assert (
        authenticate(
            request=RequestFactory().post("/accounts/login/"),
            username="SAM@Centre.Example",
            password=DEFAULT_PASSWORD,
        )
        == user
    )


def test_the_database_refuses_a_second_account_differing_only_in_capitals() -> None:
    UserFactory(email="sam@centre.example")

    # Bypass the manager's lower-casing: the constraint itself must hold.
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="SAM@centre.example")])


def test_it_requires_an_email_address() -> None:
    with pytest.raises(ValueError, match="e-mail address is required"):
        User.objects.create_user("", "pw")


def test_a_superuser_is_staff() -> None:
    admin = User.objects.create_superuser("boss@centre.example", "pw-long-enough")

    assert admin.is_staff
    assert admin.is_superuser


def test_names_fall_back_to_the_email_address() -> None:
    nameless = UserFactory(full_name="", email="x@centre.example")
    named = UserFactory(full_name="Priya Shah")

    assert str(nameless) == "x@centre.example"
    assert nameless.get_short_name() == "x@centre.example"
    assert named.get_full_name() == "Priya Shah"
    assert named.get_short_name() == "Priya"
