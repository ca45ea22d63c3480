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


def send(method: str, path: str, secret: str | None, body: Any = None, **headers: str) -> Any:
    """A JSON write (POST by default) to /api/v1<path>."""
    sent = {} if secret is None else {"Authorization": f"Bearer {secret}"}
    sent.update(headers)
    return getattr(Client(), method.lower())(
        f"/api/v1{path}", body or {}, content_type="application/json", headers=sent
    )


IMI = "601/3456/2"


def register(centre: Centre, admin: Any, learner: Any = None) -> Any:
    """A registration on the IMI qualification at `centre`, through the register service."""
    import datetime

    from accounts.models import Role
    from portfolios.services import register_learner
    from qualifications.models import Qualification
    from tests.factories import member

    learner = learner or member(centre, Role.LEARNER)
    qualification = Qualification.objects.get(number=IMI)
    centre.qualifications.add(qualification)
    if not learner.memberships.filter(centre=centre, role=Role.LEARNER).exists():
        learner.memberships.create(centre=centre, role=Role.LEARNER)
    return register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2027, 1, 5),
    )


def decide(registration: Any, assessor: Any, criterion: Any, outcome: str, **fields: Any) -> Any:
    """A decision row, made directly (the API only reads them; assessments' tests cover the
    service that makes them)."""
    from assessments.models import Decision
    from tests.support import clock

    return Decision.objects.create(
        registration=registration,
        criterion=criterion,
        outcome=outcome,
        method="observation",
        assessed_on=clock.today(),
        assessor=assessor,
        feedback=fields.pop("feedback", "Well done."),
        **fields,
    )
