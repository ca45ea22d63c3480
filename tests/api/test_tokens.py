"""API tokens: stored as a hash only, refused when wrong, revoked or expired, held to their
scopes and to a rate limit; making and revoking one is audited."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import Membership, Role
from api.models import ApiToken
from api.scopes import Scope
from api.services import TokenError, hash_secret, token_revoke
from core.models import AuditEvent
from tests.api.conftest import call, make_token
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_secret_is_kept_and_the_event_names_no_secret() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    token, secret = make_token(person)
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in str(stored.__dict__)
    assert stored.secret_hash == hash_secret(secret)
    assert secret.startswith(f"ept_{stored.prefix}_")
    event = AuditEvent.objects.get(action="api.token_created")
    assert event.object_id == str(token.pk)
    assert secret not in str(event.data)
    assert event.data["scopes"] == sorted(Scope.values)


def test_no_header_a_wrong_secret_and_a_malformed_one_answer_401_with_a_reason() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    _, secret = make_token(person)
    missing = call("/registrations", None)
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert missing["WWW-Authenticate"].startswith("Bearer")
    wrong = call("/registrations", secret[:-4] + "AAAA")
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "This token is not accepted: unknown, revoked or expired."}
    garbled = call("/registrations", "ept_\x00" + "x" * 5000)
    assert garbled.status_code == 401
    assert call("/registrations", secret).status_code == 200


def test_a_revoked_token_is_refused_and_revoking_is_audited_once() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    token, secret = make_token(person)
    token_revoke(actor=person, token=token)
    assert call("/registrations", secret).status_code == 401
    assert AuditEvent.objects.filter(action="api.token_revoked").count() == 1
    with pytest.raises(TokenError, match="revoked already"):
        token_revoke(actor=person, token=token)
    assert ApiToken.objects.filter(pk=token.pk).exists()  # kept, never deleted


def test_an_expired_token_is_refused() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    token, secret = make_token(person, expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert call("/registrations", secret).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert call("/registrations", secret).status_code == 401


def test_no_token_is_made_without_a_scope_or_with_an_expiry_passed() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    with pytest.raises(TokenError, match="at least one"):
        make_token(person, scopes=["people:write"])
    with pytest.raises(TokenError, match="future"):
        make_token(person, expires_at=timezone.now())
    assert not ApiToken.objects.exists()


def test_a_missing_scope_answers_403_naming_it() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    _, secret = make_token(person, scopes=[Scope.CATALOGUE_READ])
    response = call("/registrations", secret)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token does not carry the scope 'registrations:read'."
    }
    assert call("/catalogue/qualifications", secret).status_code == 200


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_past_the_rate_limit_the_answer_is_429_with_retry_after() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    _, secret = make_token(person)
    _, other = make_token(person)
    for _ in range(3):
        assert call("/registrations", secret).status_code == 200
    refused = call("/registrations", secret)
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many requests."}
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Counted per token: another token of the same person is not held back.
    assert call("/registrations", other).status_code == 200


def test_a_centre_token_stops_when_its_maker_stops_administering_the_centre() -> None:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    _, secret = make_token(admin, centre=centre)
    assert call("/registrations", secret).status_code == 200
    Membership.objects.filter(user=admin).update(is_active=False)
    response = call("/registrations", secret)
    assert response.status_code == 401
    assert "no longer administers" in response.json()["detail"]


def test_a_person_token_stops_when_its_owner_can_no_longer_sign_in() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    _, secret = make_token(person)
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert call("/registrations", secret).status_code == 401


def test_last_used_is_written_at_most_once_a_minute() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    token, secret = make_token(person)
    call("/registrations", secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    call("/registrations", secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
