"""accounts 0013 encrypts each provider's client secret saved in clear, and back again.

Run for real: the database goes back to accounts 0012, a provider is made with the historical
model (its secret in plain text), and the migration runs forward, then back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.encryption import decrypt

BEFORE = ("accounts", "0012_identity_providers")
AFTER = ("accounts", "0013_identity_provider_secret_encrypted")
SECRET = "a-secret-saved-before-it-was-encrypted-42"

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(target: tuple[str, str]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def _columns() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_identityprovider")
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


@pytest.fixture
def old_apps() -> Iterator[Any]:
    apps = _migrate(BEFORE)
    try:
        yield apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_secret_saved_in_clear_is_encrypted_and_decrypted_back(old_apps: Any) -> None:
    centre = old_apps.get_model("accounts", "Centre").objects.create(name="Northfield", number="1")
    old_apps.get_model("accounts", "IdentityProvider").objects.create(
        centre=centre,
        name="Northfield account",
        issuer="https://login.northfield.example",
        client_id="portfolio",
        client_secret=SECRET,
    )

    _migrate(AFTER)

    row = _columns()
    assert "client_secret" not in row
    assert not any(SECRET in str(value) for value in row.values())
    assert decrypt(row["client_secret_encrypted"]) == SECRET

    _migrate(BEFORE)

    row = _columns()
    assert row["client_secret"] == SECRET
    assert "client_secret_encrypted" not in row
