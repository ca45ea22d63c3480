"""did:web resolution (W3C did:web method): an issuer's Ed25519 public key read from its DID
document over HTTPS, for a portfolio export signed at another site (assessments.transfer) and
an Open Badge another site issued (assessments.badges.check_badge).

`did:web:host%3Aport:a:b` is read from `https://host:port/a/b/did.json`, a bare host from
`https://host/.well-known/did.json`. The server's certificate is checked against the system's
trusted authorities, or the bundle DID_WEB_CA_BUNDLE names (the tests' own authority). Since
anyone can hand the site a document naming any host, and the badge check page is public:
https only, no redirect followed, a few seconds (for each read, and DID_WEB_TOTAL_SECONDS for
the whole lookup, so a server answering a byte at a time cannot hold a web process), 64 KiB at
most, and no host on a private, loopback or link-local address unless
DID_WEB_ALLOW_PRIVATE_HOSTS (tests only), the connection made to the very address checked.
From the public page, a document is read again only after a few minutes, and lookups are
limited per client and for the site.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import io
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.cache import cache

from core import rate_limit

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


def _addresses(url: str) -> list[tuple[str, int]]:
    """The host's addresses, resolved once: the connection goes to one of these, so a name that
    answers a public address to this check and a private one a moment later (DNS rebinding)
    still reaches only the public one."""
    parts = urlsplit(url)
    port = parts.port or 443
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Unresolved(url, error.__class__.__name__) from None
    addresses = [(str(address[4][0]), port) for address in found]
    if not settings.DID_WEB_ALLOW_PRIVATE_HOSTS and any(
        not ipaddress.ip_address(host).is_global for host, _ in addresses
    ):
        raise Unresolved(url, "a private address")
    return addresses


class _TooSlow(Exception):
    """The lookup's DID_WEB_TOTAL_SECONDS ran out."""


class _Deadline:
    """The whole lookup's end (connect, TLS, request, headers and body): the socket timeout is
    per read, so a server dripping a byte every few seconds would otherwise never time out."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    @contextmanager
    def step(self) -> Iterator[float]:
        """The timeout for one socket operation: RESOLVE_TIMEOUT, or the time left when less;
        _TooSlow when none is left, or when an operation given only the time left runs out."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise _TooSlow
        timeout = min(RESOLVE_TIMEOUT, left)
        try:
            yield timeout
        except TimeoutError:
            if timeout < RESOLVE_TIMEOUT:
                raise _TooSlow from None
            raise


class _DeadlineReader(io.RawIOBase):
    """The response's bytes off the socket, each read given only the time left: http.client
    reads the status line, the headers and the body through this."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        # Read through the socket's own file, as http.client does: the connection closes the
        # socket after the headers of a "Connection: close" answer, and an open file keeps it
        # open for the body.
        self._file = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        with self._deadline.step() as timeout:
            self._sock.settimeout(timeout)
            return self._file.readinto(buffer)

    def close(self) -> None:
        self._file.close()
        super().close()


class _DeadlineSocket:
    """What http.client.HTTPResponse asks of its socket: only makefile("rb"). The connection
    closes the socket itself."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the name in the Host header, in the TLS server
    name and in the certificate check: never a second look-up of the name. Every step ends by
    `deadline`."""

    def __init__(
        self,
        host: str,
        addresses: list[tuple[str, int]],
        context: ssl.SSLContext,
        deadline: _Deadline,
    ) -> None:
        super().__init__(host, addresses[0][1], timeout=RESOLVE_TIMEOUT, context=context)
        self._addresses = addresses
        self._tls = context
        self._deadline = deadline

    def connect(self) -> None:
        error: OSError = OSError("no address")
        for address in self._addresses:
            try:
                with self._deadline.step() as timeout:
                    sock = socket.create_connection(address, timeout)
                break
            except OSError as refused:
                error = refused
        else:
            raise error
        with self._deadline.step() as timeout:
            # The socket's timeout bounds the whole handshake, not each read (ssl's docs).
            sock.settimeout(timeout)
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)

    def response_class(  # type: ignore[override]
        self, sock: socket.socket, *args: Any, **kwargs: Any
    ) -> http.client.HTTPResponse:
        # Called by getresponse() in place of the class: the answer read through the deadline.
        return http.client.HTTPResponse(
            _DeadlineSocket(sock, self._deadline),  # type: ignore[arg-type]
            *args,
            **kwargs,
        )


def fetch_document(url: str) -> dict[str, Any]:
    """The DID document at `url`, over HTTPS with the certificate checked; Unresolved if not.
    Only a 200 is read: a redirect could lead anywhere, plain http included, and the document
    is where its DID says."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise Unresolved(url, "not https")
    # From before the name's look-up, whose time counts too.
    deadline = _Deadline(settings.DID_WEB_TOTAL_SECONDS)
    addresses = _addresses(url)
    context = ssl.create_default_context(cafile=settings.DID_WEB_CA_BUNDLE or None)
    connection = _PinnedHTTPSConnection(parts.hostname, addresses, context, deadline)
    try:
        connection.request(
            "GET",
            (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
            headers={"Accept": "application/did+json, application/json"},
        )
        answer = connection.getresponse()
        if answer.status != 200:
            raise Unresolved(url, f"HTTP {answer.status}")
        body = answer.read(MAX_DID_DOCUMENT_BYTES + 1)
        if len(body) > MAX_DID_DOCUMENT_BYTES:
            raise ValueError("too large")
        document = json.loads(body)
    except _TooSlow:
        raise Unresolved(url, "too slow") from None
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise Unresolved(url, error.__class__.__name__) from None
    finally:
        connection.close()
    if not isinstance(document, dict):
        raise Unresolved(url, "not a DID document")
    return document


class Busy(Exception):
    """Past the public lookups' limits: nothing was fetched; the minute ends in `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"too many did:web lookups; {wait:.0f} s to wait")
        self.wait = wait


def _count_lookup(client: str | None) -> None:
    # The client's count first, so one client past its own limit uses none of the site's.
    count, wait = rate_limit.hit(f"did-web:client:{client or 'unknown'}")
    if count > settings.DID_WEB_LOOKUPS_PER_CLIENT_PER_MINUTE:
        raise Busy(wait)
    count, wait = rate_limit.hit("did-web:site")
    if count > settings.DID_WEB_LOOKUPS_PER_MINUTE:
        raise Busy(wait)


def _public_document(url: str, client: str | None) -> dict[str, Any]:
    key = "did-web:document:" + hashlib.sha256(url.encode()).hexdigest()
    document = cache.get(key)
    if isinstance(document, dict):
        return document
    _count_lookup(client)
    document = fetch_document(url)
    cache.set(key, document, settings.DID_WEB_CACHE_SECONDS)
    return document


def resolve_ed25519(
    kid: str, *, public: bool = False, client: str | None = None
) -> Ed25519PublicKey:
    """The Ed25519 key `kid` (a did:web and a #fragment) names in its DID document.

    `public`: asked from the page anyone may use without signing in (the badge check), so for
    anyone to make this site fetch: a document read in the last DID_WEB_CACHE_SECONDS is used
    again, and a fetch counts against `client`'s (its IP address's) limit a minute and the
    site's (Busy past either). A signed-in import reads the document afresh, unlimited."""
    did, _, _ = kid.partition("#")
    url = document_url(did)
    document = _public_document(url, client) if public else fetch_document(url)
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
