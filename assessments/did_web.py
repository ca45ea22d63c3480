"""did:web resolution (W3C did:web method): an issuer's Ed25519 public key read from its DID
document over HTTPS, for a portfolio export signed at another site (assessments.transfer) and
an Open Badge another site issued (assessments.badges.check_badge).

`did:web:host%3Aport:a:b` is read from `https://host:port/a/b/did.json`, a bare host from
`https://host/.well-known/did.json`. The server's certificate is checked against the system's
trusted authorities, or the bundle DID_WEB_CA_BUNDLE names (the tests' own authority). Since
anyone can hand the site a document naming any host, and the badge check page is public:
https only, no redirect followed, a few seconds, 64 KiB at most, and no host on a private,
loopback or link-local address unless DID_WEB_ALLOW_PRIVATE_HOSTS (tests only).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import socket
import ssl
import urllib.request
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

RESOLVE_TIMEOUT = 5
MAX_DID_DOCUMENT_BYTES = 64 * 1024


class Unresolved(Exception):
    """The key could not be read: `url` is where it was looked for, `reason` why (short)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def document_url(did: str) -> str:
    """Where a did:web's document is; ValueError for a DID that is no did:web."""
    parts = did.split(":")
    if len(parts) < 3 or parts[:2] != ["did", "web"] or not parts[2]:
        raise ValueError(f"{did!r} is no did:web")
    url = "https://" + unquote(parts[2]) + "/" + "/".join(unquote(p) for p in parts[3:])
    return url.rstrip("/") + ("/did.json" if len(parts) > 3 else "/.well-known/did.json")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere, plain http included: the document is where its DID says.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _refuse_private(url: str) -> None:
    if settings.DID_WEB_ALLOW_PRIVATE_HOSTS:
        return
    parts = urlsplit(url)
    try:
        addresses = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Unresolved(url, error.__class__.__name__) from None
    for address in addresses:
        if not ipaddress.ip_address(address[4][0]).is_global:
            raise Unresolved(url, "a private address")


def fetch_document(url: str) -> dict[str, Any]:
    """The DID document at `url`, over HTTPS with the certificate checked; Unresolved if not."""
    if urlsplit(url).scheme != "https":
        raise Unresolved(url, "not https")
    _refuse_private(url)
    context = ssl.create_default_context(cafile=settings.DID_WEB_CA_BUNDLE or None)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect)
    try:
        with opener.open(url, timeout=RESOLVE_TIMEOUT) as answer:
            body = answer.read(MAX_DID_DOCUMENT_BYTES + 1)
        if len(body) > MAX_DID_DOCUMENT_BYTES:
            raise ValueError("too large")
        document = json.loads(body)
    except (OSError, ValueError) as error:
        raise Unresolved(url, error.__class__.__name__) from None
    if not isinstance(document, dict):
        raise Unresolved(url, "not a DID document")
    return document


def resolve_ed25519(kid: str) -> Ed25519PublicKey:
    """The Ed25519 key `kid` (a did:web and a #fragment) names in its DID document."""
    did, _, _ = kid.partition("#")
    url = document_url(did)
    document = fetch_document(url)
    try:
        if document.get("id") != did:
            raise ValueError("the document is another DID's")
        method = next(
            m
            for m in document.get("verificationMethod", [])
            if isinstance(m, dict)
            and m.get("id") == kid
            and m.get("publicKeyJwk", {}).get("kty") == "OKP"
            and m.get("publicKeyJwk", {}).get("crv") == "Ed25519"
        )
        x = str(method["publicKeyJwk"]["x"])
        return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    except StopIteration:
        raise Unresolved(url, "no such Ed25519 key") from None
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        raise Unresolved(url, error.__class__.__name__) from None
