"""The centre admin's single sign-on settings (issue 20), and the sign-in page's buttons."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import IdentityProvider, Role
from core.models import AuditEvent
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.django_db

SECRET = "the-centre-client-secret-9f8e7d6c"


@pytest.fixture(autouse=True)
def _no_cached_discovery() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def centre() -> Any:
    return CentreFactory(name="Northfield College")


@pytest.fixture
def admin(centre: Any) -> Any:
    return member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")


def _provider(centre: Any, **fields: Any) -> IdentityProvider:
    fields.setdefault("name", f"{centre.name} account")
    fields.setdefault("issuer", "https://login.northfield.example")
    fields.setdefault("client_id", "portfolio")
    fields.setdefault("client_secret", SECRET)
    return IdentityProvider.objects.create(centre=centre, **fields)


FORM = {
    "name": "Northfield College account",
    # Nothing listens on the discard port: saved all the same, with a warning.
    "issuer": "http://127.0.0.1:9",
    "client_id": "portfolio",
    "client_secret": SECRET,
    "enabled": "on",
}


def test_the_admin_adds_a_provider_and_the_audit_never_holds_the_secret(
    client: Client, centre: Any, admin: Any
) -> None:
    client.force_login(admin)

    response = client.post(reverse("centre:identity_provider_add"), FORM, follow=True)

    provider = IdentityProvider.objects.get()
    assert (provider.centre, provider.client_secret, provider.enabled) == (centre, SECRET, True)
    html = response.content.decode()
    assert "Northfield College account is saved" in html
    assert "could not be reached at http://127.0.0.1:9 just now" in html
    assert SECRET not in html
    assert f"ending …{SECRET[-4:]}" in html
    event = AuditEvent.objects.get(action="identity_provider.added")
    assert (event.actor_id, event.centre_id) == (admin.pk, centre.pk)
    assert SECRET not in str(event.data)
    assert "client_secret" in event.data["changed"]


def test_a_blank_secret_keeps_the_saved_one_and_the_audit_names_what_changed(
    client: Client, centre: Any, admin: Any
) -> None:
    provider = _provider(centre)
    client.force_login(admin)
    page = client.get(reverse("centre:identity_provider_edit", args=[provider.pk]))
    assert SECRET not in page.content.decode()

    client.post(
        reverse("centre:identity_provider_edit", args=[provider.pk]),
        {**FORM, "client_secret": "", "client_id": "portfolio-2"},
    )

    provider.refresh_from_db()
    assert (provider.client_id, provider.client_secret) == ("portfolio-2", SECRET)
    event = AuditEvent.objects.get(action="identity_provider.changed")
    assert event.data["changed"] == ["client_id", "issuer"]


def test_a_new_provider_needs_its_secret_and_a_secure_issuer_and_keeps_what_was_typed(
    client: Client, admin: Any
) -> None:
    client.force_login(admin)

    response = client.post(
        reverse("centre:identity_provider_add"),
        {**FORM, "issuer": "http://login.northfield.example", "client_secret": ""},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The issuer address must start with https://." in html
    assert "Enter the client secret the provider gave you." in html
    assert 'value="portfolio"' in html
    assert not IdentityProvider.objects.exists()


def test_two_providers_of_one_centre_have_two_names(
    client: Client, centre: Any, admin: Any
) -> None:
    _provider(centre, name="Northfield College account")
    client.force_login(admin)

    response = client.post(reverse("centre:identity_provider_add"), FORM)

    assert response.status_code == 400
    assert "Northfield College already has a provider called" in response.content.decode()


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.LEARNER, Role.EQA])
def test_only_the_centres_admins_reach_its_settings(centre: Any, role: str) -> None:
    provider = _provider(centre)
    client = Client()
    client.force_login(member(centre, role))

    for url in (
        reverse("centre:identity_providers"),
        reverse("centre:identity_provider_add"),
        reverse("centre:identity_provider_edit", args=[provider.pk]),
    ):
        assert client.get(url).status_code == 403


def test_another_centres_provider_is_not_found(client: Client, admin: Any) -> None:
    theirs = _provider(CentreFactory(name="Southfield"))
    client.force_login(admin)

    assert (
        client.get(reverse("centre:identity_providers")).content.decode().count("Southfield") == 0
    )
    edit = reverse("centre:identity_provider_edit", args=[theirs.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, FORM).status_code == 404
    theirs.refresh_from_db()
    assert theirs.client_id == "portfolio"


def test_the_settings_page_reads_the_same_queries_for_one_provider_or_four(
    client: Client, centre: Any, admin: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(admin)
    _provider(centre)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("centre:identity_providers")).status_code == 200
    for n in range(3):
        _provider(centre, name=f"Account {n}")
    with django_assert_num_queries(len(one)):
        client.get(reverse("centre:identity_providers"))


def test_the_sign_in_page_offers_each_enabled_provider_in_one_query(
    client: Client, django_assert_num_queries: Any
) -> None:
    _provider(CentreFactory(name="Northfield College"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("login"))
    _provider(CentreFactory(name="Southfield College"))
    _provider(CentreFactory(name="Eastfield College"), enabled=False)

    with django_assert_num_queries(len(one)):
        response = client.get(reverse("login"), {"next": "/centre/people/"})

    html = response.content.decode()
    assert "Sign in with Northfield College account" in html
    assert "Sign in with Southfield College account" in html
    assert "Eastfield" not in html
    # The page asked for comes after the provider too.
    assert "?next=/centre/people/" in html


def test_the_sign_in_page_without_providers_is_the_password_form_alone(client: Client) -> None:
    html = client.get(reverse("login")).content.decode()

    assert 'data-testid="sso-providers"' not in html
    assert "Forgotten your password?" in html


# ---------------------------------------------------------------- the secret at rest


def _stored_row(provider: IdentityProvider) -> tuple[Any, ...]:
    """The provider's row as the database holds it, every column, read with raw SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_identityprovider WHERE id = %s", [provider.pk])
        return tuple(cursor.fetchone())


def test_the_secret_saved_by_the_admin_is_not_in_the_database_in_clear(
    client: Client, admin: Any
) -> None:
    client.force_login(admin)

    client.post(reverse("centre:identity_provider_add"), FORM)

    provider = IdentityProvider.objects.get()
    row = _stored_row(provider)
    assert not any(SECRET in str(value) for value in row)
    # What is stored is a Fernet token that the site's key opens to the secret.
    assert provider.client_secret_encrypted.startswith("gAAAAA")
    assert provider.client_secret_encrypted in row
    assert IdentityProvider.objects.get().client_secret == SECRET


def test_an_old_key_kept_after_the_new_one_still_opens_the_secret_and_rotation_moves_it(
    centre: Any,
) -> None:
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command
    from django.test import override_settings

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        provider = _provider(centre)
        stored = provider.client_secret_encrypted

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert IdentityProvider.objects.get().client_secret == SECRET
        out = io.StringIO()
        call_command("rotate_field_encryption", stdout=out)
        assert out.getvalue() == "1 client secret(s) encrypted with the first key.\n"
        rotated = IdentityProvider.objects.get().client_secret_encrypted
    assert rotated != stored
    # The new key alone opens it now; the old alone no longer does.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert IdentityProvider.objects.get().client_secret == SECRET
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        assert not IdentityProvider.objects.get().secret_readable


def test_a_secret_no_key_opens_is_said_on_the_settings_page_and_must_be_entered_again(
    client: Client, centre: Any, admin: Any
) -> None:
    from cryptography.fernet import Fernet
    from django.test import override_settings

    provider = _provider(centre)
    client.force_login(admin)

    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        listing = client.get(reverse("centre:identity_providers"))
        edit = reverse("centre:identity_provider_edit", args=[provider.pk])
        page = client.get(edit)
        kept = client.post(edit, {**FORM, "client_secret": "", "enabled": ""})
        provider.refresh_from_db()
        assert provider.enabled  # nothing was saved
        mended = client.post(edit, {**FORM, "client_secret": "a-new-secret-from-the-provider"})
        assert IdentityProvider.objects.get().client_secret == "a-new-secret-from-the-provider"

    assert listing.status_code == 200
    assert "cannot be read with this site&#x27;s keys: enter it again" in listing.content.decode()
    assert page.status_code == 200
    assert "Saved, but it cannot be read with this site" in page.content.decode()
    assert kept.status_code == 400
    assert (
        "The saved secret cannot be read with this site&#x27;s keys: enter it again."
        in kept.content.decode()
    )
    assert mended.status_code == 302
    event = AuditEvent.objects.get(action="identity_provider.changed")
    assert "client_secret" in event.data["changed"]
    assert "a-new-secret" not in str(event.data)


def test_a_key_that_is_not_a_fernet_key_is_refused_by_name_not_shown() -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from core.encryption import encrypt

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=["not-a-key-at-all"]),
        pytest.raises(ImproperlyConfigured) as refused,
    ):
        encrypt("x")
    assert "key 1 is not a Fernet key" in str(refused.value)
    assert "not-a-key-at-all" not in str(refused.value)


def test_field_encryption_key_prints_a_key_that_encrypts_and_decrypts(centre: Any) -> None:
    import io

    from django.core.management import call_command
    from django.test import override_settings

    out = io.StringIO()
    call_command("field_encryption_key", stdout=out)
    key = out.getvalue().strip()

    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        provider = _provider(centre)
        assert IdentityProvider.objects.get(pk=provider.pk).client_secret == SECRET
