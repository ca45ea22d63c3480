from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Centre
from api.models import ApiToken
from api.scopes import Scope
from api.services import token_create

ALL = list(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> None:
    # The per-token call counts live in the cache; each test starts from none.
    cache.clear()


def make_token(
    actor: Any, *, centre: Centre | None = None, scopes: list[str] | None = None, **kwargs: Any
) -> tuple[ApiToken, str]:
    return token_create(
        actor=actor, name="Test token", scopes=scopes or ALL, centre=centre, **kwargs
    )


def call(path: str, secret: str | None, **params: Any) -> Any:
    headers = {} if secret is None else {"Authorization": f"Bearer {secret}"}
    return Client().get(f"/api/v1{path}", params, headers=headers)
