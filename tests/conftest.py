from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from qualifications.models import Qualification
from tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """The test database holds the whole catalogue, loaded once, as `make run` loads it."""
    with django_db_blocker.unblock():
        call_command("load_catalogue", verbosity=0)


def ensure_catalogue() -> None:
    # Transactional tests (the browser's live server) empty every table afterwards.
    if not Qualification.objects.exists():
        call_command("load_catalogue", verbosity=0)


@pytest.fixture
def catalogue(db: None) -> None:
    ensure_catalogue()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory()


@pytest.fixture
def staff_user(db: None) -> User:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def signed_in(client: pytest.FixtureRequest, user: User) -> User:
    client.force_login(user)
    return user
