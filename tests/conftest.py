from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection, connections
from django.db.models.signals import post_migrate

from accounts.models import User
from qualifications.models import Qualification
from tests.factories import UserFactory
from tests.support import catalogue_copy

pytest_plugins = ["tests.support.setup_counts", "tests.support.did_web_site"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """The test database holds the whole catalogue, loaded once, as `make run` loads it.

    A transactional test (the browser's live server, the worker's) ends with Django emptying
    every table; Django then sends post_migrate, as after `manage.py flush`. The suite listens
    to that signal and puts the catalogue back from a copy taken here, so every test starts with
    the catalogue and nothing else, and the catalogue is never loaded twice.
    """
    with django_db_blocker.unblock():
        call_command("load_catalogue", verbosity=0)
        catalogue_copy.take(connection)
    post_migrate.connect(
        _restore_catalogue,
        sender=django_apps.get_app_config("qualifications"),
        dispatch_uid="tests.restore_catalogue",
    )


def _restore_catalogue(using: str, **kwargs: object) -> None:
    catalogue_copy.restore(connections[using])


def ensure_catalogue() -> None:
    """Kept for the tests that call it: the catalogue is always there now (see above)."""
    if not Qualification.objects.exists():
        catalogue_copy.restore(connection)


@pytest.fixture
def catalogue(db: None) -> None:
    """Says that a test reads the catalogue (present in every test; see django_db_setup)."""
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


@pytest.fixture(autouse=True)
def _default_competence(request: pytest.FixtureRequest) -> object:
    """Issue 17: every assessor or IV role a test creates comes competent (tests/factories.py),
    except in modules that set OWN_COMPETENCE and in the demo's tests (the demo gives its own)."""
    from django.db.models.signals import post_save

    from accounts.models import Membership
    from tests.factories import _competent_staff

    if getattr(request.module, "OWN_COMPETENCE", False) or "/tests/demo/" in str(request.node.path):
        yield
        return
    post_save.connect(_competent_staff, sender=Membership, dispatch_uid="tests.competent_staff")
    try:
        yield
    finally:
        post_save.disconnect(sender=Membership, dispatch_uid="tests.competent_staff")
