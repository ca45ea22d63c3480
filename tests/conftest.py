from __future__ import annotations

import pytest

from accounts.models import User
from tests.factories import UserFactory


@pytest.fixture
def user(db: None) -> User:
    return UserFactory()


@pytest.fixture
def staff_user(db: None) -> User:
    return UserFactory(is_staff=True, is_superuser=True)
