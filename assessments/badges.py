"""Open Badges 3.0: an achieved unit or qualification as a signed OpenBadgeCredential.

The credential is a W3C Verifiable Credential 2.0 secured as a VC-JWT (Open Badges 3.0, section
8.2: the JWT's payload is the credential itself, with `iss`, `jti` and `nbf` beside it), signed
EdDSA with the platform's Ed25519 key. The issuer is the record's centre, named by a did:web
whose DID document (served at /badges/centres/<id>/did.json) publishes the platform's public
key, so any verifier finds the key from the credential alone. Each badge holds one bit of its
centre's revocation list (Bitstring Status List v1.0), served signed at a stable address;
withdrawing the record sets the bit.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import math
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import Centre, User
from assessments import did_web
from assessments.models import AchievementKind, AchievementRecord, BuildStatus, RecordState
from assessments.models.badge import IssuedBadge
from assessments.rules import can_take_badge
from core.audit import record_event
from portfolios.models import Registration

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# The JSON Schema an issued credential meets (tests/assessments/test_badges.py checks it).
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
# Bitstring Status List v1.0: at least 16 KiB of bits, so one set bit says little about whom.
STATUS_LIST_BITS = 131_072
# The status list is signed when asked for; a copy older than this is refused by verifiers, so
# an old copy cannot be replayed to un-revoke a badge.
STATUS_LIST_LIFETIME = timedelta(days=1)
KEY_FRAGMENT = "key-1"


class BadgeError(Exception):
    """A badge the rules refuse; the message is for the person asking."""


# ---------------------------------------------------------------- the platform's key


@cache
def _key_from(pem: str, path: str, generate: bool) -> Ed25519PrivateKey:
    if pem.strip():
        data = pem.encode()
    else:
        file = Path(path)
        if not file.exists():
            if not generate:
                raise ImproperlyConfigured(
                    "Set BADGE_SIGNING_KEY (an Ed25519 private key as PEM) or put the key at "
                    f"BADGE_SIGNING_KEY_FILE ({file}); `python manage.py badge_key` makes one."
                )
            file.parent.mkdir(parents=True, exist_ok=True)
            # Written whole beside it, then linked into place (which fails if the file is
            # there): two processes starting at once both read the first one's whole key.
            draft = file.with_name(f".{file.name}.{secrets.token_hex(8)}")
            draft.write_text(new_key_pem())
            draft.chmod(0o600)
            try:
                os.link(draft, file)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        data = file.read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("The badge signing key must be an Ed25519 private key.")
    return key


def signing_key() -> Ed25519PrivateKey:
    return _key_from(
        settings.BADGE_SIGNING_KEY,
        str(settings.BADGE_SIGNING_KEY_FILE),
        settings.BADGE_SIGNING_KEY_GENERATE,
    )


def new_key_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk() -> dict[str, str]:
    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign_jwt(claims: dict[str, Any], *, kid: str) -> str:
    """A compact JWS (RFC 7515) of the claims, EdDSA over Ed25519 (RFC 8037)."""
    header = {"alg": "EdDSA", "kid": kid, "typ": "JWT"}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    )
    return signing_input + "." + _b64url(signing_key().sign(signing_input.encode()))


# ---------------------------------------------------------------- names


def issuer_did(site: str, centre_id: int) -> str:
    """did:web of a centre: resolves to <site>/badges/centres/<id>/did.json. did:web names a
    host, not a scheme (resolvers read it over https); a port is percent-encoded."""
    host = quote(urlsplit(site).netloc, safe="")
    return f"did:web:{host}:badges:centres:{centre_id}"


def did_document(site: str, centre_id: int) -> dict[str, Any]:
    did = issuer_did(site, centre_id)
    key_id = f"{did}#{KEY_FRAGMENT}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [
            {"id": key_id, "type": "JsonWebKey", "controller": did, "publicKeyJwk": public_jwk()}
        ],
        "assertionMethod": [key_id],
    }


def status_list_url(site: str, centre_id: int) -> str:
    return site.rstrip("/") + reverse("badge_status_list", args=[centre_id])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity_hash(email: str, salt: str) -> str:
    """Open Badges' hashed identity: "sha256$" and the hex SHA-256 of the address and salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


# ---------------------------------------------------------------- the credential


def _achievement(record: AchievementRecord) -> dict[str, Any]:
    """The unit or qualification as an Open Badges Achievement, from the record's content
    (exactly what its PDF prints)."""
    content = record.content
    site = record.site_url.rstrip("/")
    qualification = content["qualification"]
    if record.kind == AchievementKind.UNIT:
        unit = content["units"][0]
        outcomes = "; ".join(f"{o['number']}. {o['text']}" for o in unit["outcomes"])
        achievement: dict[str, Any] = {
            "id": site + reverse("qualifications:unit", args=[unit["key"]]),
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": unit["title"],
            "description": (
                f"Unit {unit['label']} ({unit['level']}) of {qualification['number']} "
                f"{qualification['title']}."
            ),
            "criteria": {
                "narrative": "Every assessment criterion of the unit judged met by a qualified "
                "assessor on the learner's evidence, and the unit signed off. Learning "
                f"outcomes: {outcomes}"
            },
            "humanCode": unit["reference"] or unit["key"],
        }
        if unit.get("credit"):
            achievement["creditsAvailable"] = unit["credit"]
        return achievement
    rules = content.get("rules") or {}
    achievement = {
        "id": site + reverse("qualifications:detail", args=[qualification["number"]]),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": qualification["title"],
        "description": f"{qualification['number']} {qualification['title']}, "
        f"{qualification['level']}.",
        "criteria": {
            "narrative": "Units signed off by a qualified assessor that meet the qualification's "
            "rules of combination: " + " ".join(rules.get("lines", []))
        },
        "humanCode": qualification["number"],
    }
    if qualification.get("credits"):
        achievement["creditsAvailable"] = qualification["credits"]
    return achievement


def build_credential(
    record: AchievementRecord, *, email: str, status_index: int, issued_at: datetime
) -> dict[str, Any]:
    """The OpenBadgeCredential's body and its JWT claims (no database access)."""
    site = record.site_url.rstrip("/")
    did = issuer_did(site, cast(int, record.centre_id))
    list_url = status_list_url(site, cast(int, record.centre_id))
    achievement = _achievement(record)
    salt = secrets.token_hex(16)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        # The record's public page: whoever holds the badge can open its id and see its state.
        "id": record.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": record.content["centre"]["name"],
        },
        "validFrom": _iso(issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # The learner's e-mail address, hashed with a salt: the badge proves who earned it
            # to whoever knows the address, without publishing it.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(email, salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{list_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": list_url,
        },
        # No credentialSchema: the type 1EdTech's validator names (1EdTechJsonSchemaValidator2019)
        # is a term the Open Badges 3.0.3 context does not define, so it would not survive as
        # linked data. The tests validate every badge against that JSON Schema instead.
        # VC-JWT's registered claims (Open Badges 3.0, 8.2.4.1), beside the credential.
        "iss": did,
        "jti": record.verify_url,
        "nbf": int(issued_at.timestamp()),
    }


# ---------------------------------------------------------------- issuing and revoking


def can_be_badged(record: AchievementRecord) -> bool:
    """A built, current record of a unit or a whole qualification."""
    return (
        record.kind in (AchievementKind.UNIT, AchievementKind.FULL)
        and record.status == BuildStatus.READY
        and record.state == RecordState.CURRENT
    )


@transaction.atomic
def issue_badge(
    *, actor: User | None, record: AchievementRecord, check_access: bool = True
) -> tuple[IssuedBadge, bool]:
    """The record's badge: issued now, or the one issued before. Returns (badge, issued)."""
    record = (
        AchievementRecord.objects.select_for_update(of=("self",))
        .select_related("registration__learner")
        .get(pk=record.pk)
    )
    if check_access and not can_take_badge.test(actor, record.registration):
        raise BadgeError("Only the learner, their assessor or IV, or a centre admin may ask.")
    existing = IssuedBadge.objects.filter(record=record).first()
    if existing is not None:
        return existing, False
    if not can_be_badged(record):
        raise BadgeError(
            "A badge is issued from the current, built record of a unit or of the whole "
            "qualification."
        )
    # A unit or full record always has a registration (a database constraint).
    registration = cast(Registration, record.registration)
    # The centre's row serialises the choice of the next free bit in its list.
    centre_id = cast(int, record.centre_id)  # every learner's record names its centre
    Centre.objects.select_for_update().filter(pk=centre_id).first()
    last = IssuedBadge.objects.filter(centre_id=centre_id).aggregate(last=Max("status_index"))[
        "last"
    ]
    index = 0 if last is None else last + 1
    issued_at = timezone.now().replace(microsecond=0)
    credential = build_credential(
        record, email=registration.learner.email, status_index=index, issued_at=issued_at
    )
    token = sign_jwt(credential, kid=f"{credential['iss']}#{KEY_FRAGMENT}")
    badge = IssuedBadge.objects.create(
        record=record,
        centre_id=centre_id,
        status_index=index,
        credential=credential,
        token=token,
        issued_at=issued_at,
        issued_by=actor,
    )
    record_event(
        actor=actor,
        action="badge.issued",
        target=badge,
        centre_id=record.centre_id,
        data={
            "record": record.pk,
            "kind": record.kind,
            "status_index": index,
            "sha256": hashlib.sha256(token.encode()).hexdigest(),
        },
    )
    return badge, True


def revoke_for_record(*, actor: User | None, record: AchievementRecord, reason: str) -> None:
    """Called by withdraw_record, in its transaction: the record's badge, if any, is revoked
    (its bit in the centre's status list is set from now on)."""
    badge = IssuedBadge.objects.select_for_update().filter(record=record, revoked_at=None).first()
    if badge is None:
        return
    badge.revoked_at = timezone.now()
    badge.save(update_fields=["revoked_at"])
    record_event(
        actor=actor,
        action="badge.revoked",
        target=badge,
        centre_id=record.centre_id,
        data={"record": record.pk, "status_index": badge.status_index, "reason": reason},
    )


# ---------------------------------------------------------------- the status list


def encoded_list(revoked: list[int]) -> str:
    """Bitstring Status List's encodedList: the bits (index 0 the first byte's highest bit),
    GZIP-compressed, base64url with the multibase "u" prefix."""
    size = STATUS_LIST_BITS
    while revoked and max(revoked) >= size:
        size += STATUS_LIST_BITS
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + _b64url(gzip.compress(bytes(bits), mtime=0))


def status_list_token(*, site: str, centre_id: int) -> str:
    """The centre's revocation list as a signed BitstringStatusListCredential (VC-JWT). One
    query."""
    revoked = list(
        IssuedBadge.objects.filter(centre_id=centre_id, revoked_at__isnull=False).values_list(
            "status_index", flat=True
        )
    )
    did = issuer_did(site, centre_id)
    url = status_list_url(site, centre_id)
    now = timezone.now().replace(microsecond=0)
    claims = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": _iso(now),
        "validUntil": _iso(now + STATUS_LIST_LIFETIME),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked),
        },
        "iss": did,
        "jti": url,
        "nbf": int(now.timestamp()),
        "exp": int((now + STATUS_LIST_LIFETIME).timestamp()),
    }
    return sign_jwt(claims, kid=f"{did}#{KEY_FRAGMENT}")


# ---------------------------------------------------------------- checking a badge someone holds

# A badge of ours is about 3 KiB; anything much larger is not one, and is not worth decoding.
MAX_TOKEN_BYTES = 64 * 1024
_DID = re.compile(r"^did:web:(?P<host>[^:]+):badges:centres:(?P<centre>[0-9]{1,12})$")


@dataclass(frozen=True)
class BadgeCheck:
    """What the public check found. `genuine` is True only when the signature is this site's,
    the badge is one it issued, and it is in force; `verdict` says why in one sentence."""

    genuine: bool
    verdict: str
    badge: IssuedBadge | None = None
    claims: dict[str, Any] | None = None
    # None when no address was given; otherwise whether the badge names that address.
    email_matches: bool | None = None
    # Another site's badge whose signature its issuer's published key holds.
    signed_elsewhere: bool = False
    # Seconds to wait when the other site's key was not looked up for too many lookups of late.
    retry_after: int | None = None


def _part(segment: str) -> dict[str, Any]:
    value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _names_email(claims: dict[str, Any], email: str) -> bool:
    subject = claims.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(identifier, dict) or identifier.get("identityType") != "emailAddress":
            continue
        expected = identity_hash(email, str(identifier.get("salt", "")))
        if hmac.compare_digest(expected, str(identifier.get("identityHash", ""))):
            return True
    return False


def _check_elsewhere(
    header: dict[str, Any],
    claims: dict[str, Any],
    signing_input: bytes,
    signature: bytes,
    email: str,
    client: str | None,
) -> BadgeCheck:
    """Another site's badge: its signature checked against the key its issuer's did:web
    publishes (assessments.did_web). Whether it still stands is that site's to say: its status
    list is not read here."""
    issuer = str(claims.get("iss", ""))
    kid = str(header.get("kid", ""))
    not_ours = (
        f"This badge names its issuer as {issuer or 'no one'}, which is not a centre of this site"
    )
    if not issuer.startswith("did:web:") or header.get("alg") != "EdDSA":
        return BadgeCheck(False, f"{not_ours}: check it with a verifier that resolves that issuer.")
    if not kid.startswith(issuer + "#"):
        return BadgeCheck(
            False,
            f"{not_ours}, and its signature names a key that is not that issuer's: do not rely "
            "on it.",
        )
    try:
        key = did_web.resolve_ed25519(kid, public=True, client=client)
    except did_web.Busy as busy:
        return BadgeCheck(
            False,
            f"This badge names another site, {issuer}, as its issuer. Its signature cannot be "
            "checked against that site just now: too many checks have asked other sites in the "
            "last minute. Try again in a minute.",
            retry_after=max(1, math.ceil(busy.wait)),
        )
    except (did_web.Unresolved, ValueError):
        return BadgeCheck(
            False,
            f"{not_ours}, and that site's key could not be read just now, so its signature was "
            "not checked: try again later, or check it with a verifier that resolves that issuer.",
        )
    try:
        key.verify(signature, signing_input)
    except InvalidSignature:
        return BadgeCheck(
            False,
            f"This badge names another site, {issuer}, as its issuer, but the signature does not "
            "match the key that site publishes: the badge has been altered, or that site did not "
            "sign it. Do not rely on it.",
        )
    return BadgeCheck(
        False,
        f"This badge was issued by another site, {issuer}, and its signature is valid: it is as "
        "that site signed it. Whether it still stands or was revoked is for that site to say.",
        claims=claims,
        email_matches=_names_email(claims, email) if email.strip() else None,
        signed_elsewhere=True,
    )


def check_badge(token: str, *, site: str, email: str = "", client: str | None = None) -> BadgeCheck:
    """Check an Open Badge (VC-JWT) someone holds, as an outside verifier would, plus what only
    the issuer knows: the signature against this site's key for the issuer its did:web names,
    then the issued badge it must be (by the centre and bit it names, byte for byte), then its
    revocation bit and dates. At most one query. The e-mail, when given, is compared with the
    badge's salted hash of the learner's address, so an employer can ask "is it hers?".
    Another site's badge is checked against that site's published key, its lookups limited per
    `client` (the asker's IP address) and for the site (assessments.did_web)."""
    token = token.strip()
    if len(token.encode()) > MAX_TOKEN_BYTES:
        return BadgeCheck(False, "This is far larger than an Open Badge: nothing was checked.")
    try:
        header_part, payload_part, signature_part = token.split(".")
        header, claims = _part(header_part), _part(payload_part)
        signature = base64.urlsafe_b64decode(signature_part + "=" * (-len(signature_part) % 4))
    except ValueError:
        return BadgeCheck(
            False,
            "This is not an Open Badge: a badge from this site is a signed credential (the "
            ".jwt file), three parts separated by dots.",
        )
    issuer = str(claims.get("iss", ""))
    match = _DID.match(issuer)
    signing_input = f"{header_part}.{payload_part}".encode("ascii", "replace")
    if match is None:
        return _check_elsewhere(header, claims, signing_input, signature, email, client)
    # The badge it claims to be: its centre's bit, which no other badge of that centre has.
    status = claims.get("credentialStatus")
    index = str(status.get("statusListIndex", "")) if isinstance(status, dict) else ""
    badge = (
        IssuedBadge.objects.filter(centre_id=int(match["centre"]), status_index=int(index))
        .select_related("record")
        .first()
        if index.isdigit() and len(index) < 12
        else None
    )
    # Another installation's centres have names of the same shape but their own key: only a
    # name this site gave (its badge's, or one on its own address) is ours to judge.
    ours = (badge is not None and badge.credential.get("iss") == issuer) or match["host"] == quote(
        urlsplit(site).netloc, safe=""
    )
    if not ours:
        return _check_elsewhere(header, claims, signing_input, signature, email, client)
    try:
        if header.get("alg") != "EdDSA" or header.get("kid") != f"{issuer}#{KEY_FRAGMENT}":
            raise InvalidSignature
        signing_key().public_key().verify(
            signature, f"{header_part}.{payload_part}".encode("ascii")
        )
    except (InvalidSignature, UnicodeEncodeError):
        return BadgeCheck(
            False,
            "The signature does not match: the badge has been altered since it was issued, "
            "or this site did not sign it. Do not rely on it.",
        )
    # Signed with our key but not a badge we hold: a key shared with another installation, or a
    # record restored from an old backup. Either way this site cannot vouch for it.
    if badge is None or not hmac.compare_digest(badge.token, token):
        return BadgeCheck(
            False,
            "The signature is this site's, but this site holds no such badge: ask the centre.",
        )
    email_matches = _names_email(claims, email) if email.strip() else None
    if badge.revoked_at is not None:
        when = dateformat.format(timezone.localtime(badge.revoked_at), "j F Y")
        return BadgeCheck(
            False,
            f"This badge was issued here, but revoked on {when} when its achievement record "
            "was withdrawn: do not rely on it.",
            badge,
            claims,
            email_matches,
        )
    if int(claims.get("nbf", 0)) > timezone.now().timestamp():
        return BadgeCheck(False, "This badge is not valid yet.", badge, claims, email_matches)
    return BadgeCheck(
        True,
        "This is a genuine Open Badge, issued here and not revoked.",
        badge,
        claims,
        email_matches,
    )
