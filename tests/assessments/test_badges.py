"""Open Badges 3.0: issuing a record's badge, what it says, verifying it with a library this
project did not write (openbadgeslib: the signature, the issuer's did:web key, the revocation
list), against 1EdTech's JSON Schema and the JSON-LD contexts from packages, revoking it by
withdrawing the record, and the pages."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from jsonschema import Draft201909Validator
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
from openbadgeslib.ob3.contexts import document_loader
from pyld import jsonld

from accounts.models import Role
from assessments import achievements, badges
from assessments.models import IssuedBadge
from core.models import AuditEvent
from tests.assessments.test_achievement_records import PAGE_QUERIES, Case, ask, make_case, sign
from tests.factories import CentreFactory, member
from tests.support import ob_schemas

DOWNLOAD_QUERIES = 5

# --------------------------------------------------------------- helpers


@pytest.fixture
def done(catalogue: None) -> Case:
    """A learner who has finished: every unit signed off, the qualification's rules met."""
    case = make_case()
    for unit in case.units:
        sign(case, unit)
    return case


def fetcher(client: Client) -> Callable[[str], bytes]:
    """What the outside verifier downloads (the DID document, the status list), answered by
    this site through the test client instead of the network: the URL's host is kept, so the
    site signs and names itself as it would for that address."""

    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        response = client.get(parts.path, HTTP_HOST=parts.netloc)
        assert response.status_code == 200, url
        return response.content

    return fetch


def issue(case: Case, *, kind: str = "full") -> IssuedBadge:
    record = ask(case, kind, case.units[0] if kind == "unit" else None)
    badge, issued = badges.issue_badge(actor=case.learner, record=record)
    assert issued
    return badge


def verify(client: Client, token: str, *, status: bool = True):
    """Verify as an outside party would: resolve the issuer's did:web to the key, check the
    signature, the VC-JWT claims and (when asked) the signed revocation list."""
    fetch = fetcher(client)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    verifier = OB3Verifier.for_issuer_did(payload["iss"], download=fetch)
    return verifier.verify(token, check_status=status, download=fetch)


def tampered(token: str, change: Callable[[dict], None]) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    change(claims)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


# --------------------------------------------------------------- verifying


def test_a_finished_learners_badge_verifies_in_a_library_that_is_not_ours(
    done: Case, client: Client
) -> None:
    badge = issue(done)

    credential = verify(client, badge.token)

    assert credential.achievement.name == done.registration.qualification.title
    assert credential.issuer.name == done.centre.name
    assert credential.issuer.id == badges.issuer_did(badge.record.site_url, done.centre.pk)
    # The learner is named by their hashed address: whoever knows it can check it is theirs.
    (identity,) = badge.credential["credentialSubject"]["identifier"]
    expected = hashlib.sha256((done.learner.email.lower() + identity["salt"]).encode())
    assert identity["identityHash"] == "sha256$" + expected.hexdigest()
    assert done.learner.email not in badge.token


def test_a_unit_badge_verifies_and_names_the_unit(done: Case, client: Client) -> None:
    badge = issue(done, kind="unit")

    credential = verify(client, badge.token)

    unit = done.units[0]
    assert credential.achievement.name == unit.title
    assert credential.achievement.achievement_type == "Competency"
    assert credential.achievement.id.endswith(reverse("qualifications:unit", args=[unit.key]))
    assert "Learning outcomes: 1." in credential.achievement.criteria_narrative


def test_a_tampered_badge_fails_verification(done: Case, client: Client) -> None:
    badge = issue(done)

    def rename(claims: dict) -> None:
        claims["credentialSubject"]["achievement"]["name"] = "Diploma in Something Grander"

    with pytest.raises(OB3VerificationError, match="Invalid signature"):
        verify(client, tampered(badge.token, rename))


def test_a_badge_signed_by_another_key_fails(done: Case, client: Client, settings) -> None:
    badge = issue(done)
    # Another platform's key signs the same claims: the issuer's DID document names ours.
    settings.BADGE_SIGNING_KEY = badges.new_key_pem()
    forged = badges.sign_jwt(badge.credential, kid=badge.credential["iss"] + "#key-1")
    settings.BADGE_SIGNING_KEY = ""
    with pytest.raises(OB3VerificationError, match="Invalid signature"):
        verify(client, forged)


def test_withdrawing_the_record_revokes_its_badge(done: Case, client: Client) -> None:
    badge = issue(done)
    other = issue(done, kind="unit")
    verify(client, badge.token)

    achievements.withdraw_record(actor=done.admin, record=badge.record, reason="Issued in error")

    with pytest.raises(OB3VerificationError, match="revocation"):
        verify(client, badge.token)
    # The signature still holds: only the list says it is revoked. The other badge stands.
    verify(client, badge.token, status=False)
    verify(client, other.token)
    badge.refresh_from_db()
    assert badge.revoked_at is not None
    event = AuditEvent.objects.get(action="badge.revoked")
    assert event.data["status_index"] == badge.status_index
    assert event.data["reason"] == "Issued in error"


# --------------------------------------------------------------- the standard's files


def test_an_issued_badge_meets_the_open_badges_json_schema(done: Case) -> None:
    folder = ob_schemas.ensure()
    schema = json.loads((folder / ob_schemas.CREDENTIAL_SCHEMA).read_text())
    assert schema["$id"] == badges.OB_SCHEMA
    validator = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)

    for kind in ("full", "unit"):
        credential = issue(done, kind=kind).credential
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(credential)
        ]
        assert errors == [], kind

    # The schema is not a rubber stamp: a credential without an issuer fails it.
    broken = dict(credential)
    del broken["issuer"]
    assert not validator.is_valid(broken)


def test_every_term_of_a_badge_is_defined_by_the_packaged_contexts(done: Case) -> None:
    """Expanded with the VC 2.0 and Open Badges 3.0.3 contexts as openbadgeslib's wheel ships
    them (no network), then compacted again, the credential comes back whole: a term no context
    defines would be dropped, and so never signed as linked data."""
    credential = {
        key: value
        for key, value in issue(done).credential.items()
        # VC-JWT's registered claims live beside the credential, not in its vocabulary.
        if key not in ("iss", "jti", "nbf")
    }
    options = {"documentLoader": document_loader()}

    expanded = jsonld.expand(credential, options)
    compacted = jsonld.compact(expanded, {"@context": credential["@context"]}, options)

    compacted.pop("@context")
    original = dict(credential)
    original.pop("@context")
    differences = list(_differences(compacted, original, ""))
    assert differences == [], "\n".join(differences)


def _differences(ours, theirs, path: str):
    """Where two JSON values differ, as paths ("credentialSubject/achievement/name: ...")."""
    # JSON-LD treats a one-element array and its element alike (unless a context says @set).
    if isinstance(ours, list) and len(ours) == 1 and not isinstance(theirs, list):
        ours = ours[0]
    if isinstance(theirs, list) and len(theirs) == 1 and not isinstance(ours, list):
        theirs = theirs[0]
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            yield from _differences(ours.get(key), theirs.get(key), f"{path}/{key}")
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            yield from _differences(a, b, f"{path}/{index}")
    elif ours != theirs:
        yield f"{path}: {ours!r} != {theirs!r}"


# --------------------------------------------------------------- issuing


def test_issuing_twice_gives_the_same_badge_and_one_event(done: Case) -> None:
    record = ask(done)
    first, issued = badges.issue_badge(actor=done.learner, record=record)
    again, issued_again = badges.issue_badge(actor=done.assessor, record=record)

    assert issued
    assert not issued_again
    assert again.pk == first.pk
    assert again.token == first.token
    assert AuditEvent.objects.filter(action="badge.issued").count() == 1


def test_badges_take_the_next_bit_of_their_centres_list(done: Case) -> None:
    first = issue(done)
    second = issue(done, kind="unit")
    assert (first.status_index, second.status_index) == (0, 1)
    entry = second.credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusListIndex"] == "1"
    assert entry["statusListCredential"].endswith(
        reverse("badge_status_list", args=[done.centre.pk])
    )


@pytest.mark.parametrize("kind", ["progress"])
def test_a_progress_report_is_not_a_badge(done: Case, kind: str) -> None:
    record = ask(done, kind)
    with pytest.raises(badges.BadgeError, match="unit or of the whole qualification"):
        badges.issue_badge(actor=done.learner, record=record)
    assert not IssuedBadge.objects.exists()


def test_a_withdrawn_record_issues_no_badge(done: Case) -> None:
    record = ask(done)
    achievements.withdraw_record(actor=done.admin, record=record, reason="Wrong learner")
    with pytest.raises(badges.BadgeError, match="current, built record"):
        badges.issue_badge(actor=done.learner, record=record)


def test_someone_outside_the_registration_may_not_issue(done: Case) -> None:
    record = ask(done)
    stranger = member(CentreFactory(), Role.LEARNER)
    with pytest.raises(badges.BadgeError, match="Only the learner"):
        badges.issue_badge(actor=stranger, record=record)
    assert not IssuedBadge.objects.exists()


def test_the_status_list_sets_only_revoked_bits() -> None:
    encoded = badges.encoded_list([0, 9, 131_071])
    import gzip

    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=="))
    assert len(bits) * 8 == badges.STATUS_LIST_BITS
    assert bits[0] == 0x80
    assert bits[1] == 0x40
    assert bits[-1] == 0x01
    assert sum(bin(byte).count("1") for byte in bits) == 3
    # A list outgrowing 16 KiB grows by another 16 KiB.
    grown = gzip.decompress(base64.urlsafe_b64decode(badges.encoded_list([131_072])[1:] + "=="))
    assert len(grown) * 8 == 2 * badges.STATUS_LIST_BITS


# --------------------------------------------------------------- pages


def _login(client: Client, user) -> None:
    client.force_login(user)


def test_the_learner_issues_and_downloads_their_badge_from_the_records_page(
    done: Case, client: Client
) -> None:
    record = ask(done)
    _login(client, done.learner)
    page = client.get(reverse("assessments:achievements", args=[done.registration.pk]))
    assert f'data-testid="badge-issue-{record.pk}"' in page.content.decode()

    response = client.post(reverse("assessments:badge_issue", args=[record.pk]), follow=True)
    assert "Open Badge issued" in response.content.decode()
    assert f'data-testid="badge-download-{record.pk}"' in response.content.decode()

    download = client.get(reverse("assessments:badge_download", args=[record.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/jwt"
    assert "attachment" in download["Content-Disposition"]
    assert download.content.decode() == IssuedBadge.objects.get(record=record).token


def test_the_badge_pages_follow_the_take_badge_rule(done: Case, client: Client) -> None:
    """The learner, their assessor and IV and the centre's admin may; an EQA or an employer who
    reads the portfolio, or a stranger, may not (the truth table holds the rule itself)."""
    record = ask(done)
    badges.issue_badge(actor=done.learner, record=record)
    download = reverse("assessments:badge_download", args=[record.pk])
    for user in (done.learner, done.assessor, done.iv, done.admin):
        _login(client, user)
        assert client.get(download).status_code == 200, user
    stranger = member(CentreFactory(), Role.CENTRE_ADMIN)
    _login(client, stranger)
    # Not theirs to see at all: as if the record did not exist.
    assert client.get(download).status_code == 404
    assert client.post(reverse("assessments:badge_issue", args=[record.pk])).status_code == 404
    client.logout()
    assert client.get(download).status_code == 302  # to sign in


def test_download_before_issuing_is_not_found(done: Case, client: Client) -> None:
    record = ask(done)
    _login(client, done.learner)
    assert client.get(reverse("assessments:badge_download", args=[record.pk])).status_code == 404


def test_the_verify_page_says_whether_the_badge_is_revoked(done: Case, client: Client) -> None:
    badge = issue(done)
    record = badge.record
    page = client.get(record.verify_path).content.decode()
    assert "not revoked" in page
    assert badges.issuer_did(record.site_url, done.centre.pk) in page

    achievements.withdraw_record(actor=done.admin, record=record, reason="Issued in error")
    page = client.get(record.verify_path).content.decode()
    assert "was revoked on" in page


def test_the_did_document_publishes_the_platforms_key(done: Case, client: Client) -> None:
    response = client.get(reverse("badge_did", args=[done.centre.pk]), HTTP_HOST="testserver")
    document = response.json()
    assert response["Content-Type"] == "application/did+json"
    assert document["id"] == f"did:web:testserver:badges:centres:{done.centre.pk}"
    (method,) = document["verificationMethod"]
    assert method["publicKeyJwk"] == badges.public_jwk()
    assert "d" not in method["publicKeyJwk"]  # never the private half
    assert client.get(reverse("badge_did", args=[999_999])).status_code == 404
    assert client.get(reverse("badge_status_list", args=[999_999])).status_code == 404


def test_the_public_badge_documents_cost_fixed_queries(
    done: Case, client: Client, django_assert_num_queries
) -> None:
    for kind in ("full", "unit"):
        issue(done, kind=kind)
    achievements.withdraw_record(
        actor=done.admin, record=IssuedBadge.objects.first().record, reason="Error"
    )
    with django_assert_num_queries(1):  # the centre exists
        client.get(reverse("badge_did", args=[done.centre.pk]))
    with django_assert_num_queries(2):  # the centre exists; its revoked bits
        client.get(reverse("badge_status_list", args=[done.centre.pk]))


def test_the_badge_download_costs_fixed_queries(
    done: Case, client: Client, django_assert_num_queries
) -> None:
    _login(client, done.learner)
    for kind in ("full", "unit"):
        record = issue(done, kind=kind).record
        url = reverse("assessments:badge_download", args=[record.pk])
        # Session, user, memberships (the rule answers from them), the record, the token.
        with django_assert_num_queries(DOWNLOAD_QUERIES):
            assert client.get(url).status_code == 200


def test_badges_add_no_queries_to_the_records_and_verify_pages(
    done: Case, client: Client, django_assert_num_queries
) -> None:
    _login(client, done.assessor)
    page = reverse("assessments:achievements", args=[done.registration.pk])
    for kind in ("full", "unit"):
        record = issue(done, kind=kind).record
        with django_assert_num_queries(PAGE_QUERIES):
            client.get(page, headers={"HX-Request": "true"})
        # The public page, as anyone holding the code opens it (signed out).
        with django_assert_num_queries(1):
            Client().get(record.verify_path)


# --------------------------------------------------------------- the key


def test_without_a_key_production_refuses_to_sign(settings, tmp_path) -> None:
    settings.BADGE_SIGNING_KEY = ""
    settings.BADGE_SIGNING_KEY_FILE = tmp_path / "none.pem"
    settings.BADGE_SIGNING_KEY_GENERATE = False
    with pytest.raises(ImproperlyConfigured, match="Set BADGE_SIGNING_KEY"):
        badges.sign_jwt({}, kid="x")
    assert not (tmp_path / "none.pem").exists()


def test_development_makes_its_key_once(settings, tmp_path) -> None:
    settings.BADGE_SIGNING_KEY = ""
    settings.BADGE_SIGNING_KEY_FILE = tmp_path / "var" / "key.pem"
    first = badges.public_jwk()
    badges._key_from.cache_clear()  # a new process reads the same file
    assert badges.public_jwk() == first
    assert oct((tmp_path / "var" / "key.pem").stat().st_mode & 0o777) == "0o600"


def test_a_key_that_is_not_ed25519_is_refused(settings) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    settings.BADGE_SIGNING_KEY = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(ImproperlyConfigured, match="must be an Ed25519"):
        badges.public_jwk()
