"""Another site, for did:web: a real HTTPS server on this machine with a certificate from a
throwaway authority (trustme), serving the DID documents a test gives it, and signing with an
Ed25519 key of its own. The site under test trusts that authority through DID_WEB_CA_BUNDLE
(and may ask a host on this machine through DID_WEB_ALLOW_PRIVATE_HOSTS), so its did:web
resolution runs as it would against any site: TLS, certificate checked, the document parsed.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_of(key: Ed25519PrivateKey) -> dict[str, str]:
    raw = key.public_key().public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def sign_compact(header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """A compact JWS, EdDSA: what the other site's platform signs an export or a badge with."""
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    return signing_input + "." + b64url(key.sign(signing_input.encode()))


REBINDING_NAME = "did.rebinding.test"


def decode_part(segment: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


class AnotherSite:
    def __init__(self, tmp_path: Path) -> None:
        # Imported here: this module is a plugin of every test (tests/conftest.py), and only
        # these tests need it.
        import trustme

        self.authority = trustme.CA()
        # Also for a name only a test's resolver knows (DNS rebinding, test_did_web).
        certificate = self.authority.issue_cert("localhost", REBINDING_NAME)
        self.ca_bundle = tmp_path / "another-site-ca.pem"
        self.authority.cert_pem.write_to_path(str(self.ca_bundle))
        self.key = Ed25519PrivateKey.generate()
        # Path -> JSON document served at it.
        self.documents: dict[str, Any] = {}
        self.asked: list[str] = []
        # The Host header of each request, in order.
        self.hosts: list[str] = []
        # Path -> where a request for it is redirected instead.
        self.redirects: dict[str, str] = {}
        # Path -> the seconds between bytes and the body, for an answer sent a byte at a time
        # (each byte well within any read's timeout); `drip_head`: its status line and headers
        # too, not only its body.
        self.drips: dict[str, tuple[float, bytes]] = {}
        self.drip_head = False
        # Set when the test ends: a dripping answer stops.
        self.stopped = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.host = f"localhost:{self.server.server_address[1]}"

    def did(self, *path: str) -> str:
        return ":".join(["did:web", quote(self.host, safe=""), *path])

    def publish(
        self, did: str, key: Ed25519PrivateKey | None = None, fragment: str = "key-1"
    ) -> None:
        """Serve `did`'s document, naming `key` (the site's own by default) as `did#fragment`."""
        path = "/" + "/".join(did.split(":")[3:]) + "/did.json"
        self.documents[path] = {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "verificationMethod": [
                {
                    "id": f"{did}#{fragment}",
                    "type": "JsonWebKey",
                    "controller": did,
                    "publicKeyJwk": jwk_of(key or self.key),
                }
            ],
            "assertionMethod": [f"{did}#{fragment}"],
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site.asked.append(self.path)
                site.hosts.append(self.headers.get("Host", ""))
                if self.path in site.redirects:
                    self.send_response(302)
                    self.send_header("Location", site.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path in site.drips:
                    self.drip(*site.drips[self.path])
                    return
                if self.path not in site.documents:
                    self.send_error(404)
                    return
                body = json.dumps(site.documents[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/did+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def drip(self, interval: float, body: bytes) -> None:
                head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                slow = head + body if site.drip_head else body
                try:
                    if not site.drip_head:
                        self.wfile.write(head)
                    for at in range(len(slow)):
                        if site.stopped.wait(interval):
                            return
                        self.wfile.write(slow[at : at + 1])
                except OSError:
                    return  # the client hung up

        return Handler


@pytest.fixture
def another_site(tmp_path: Path, settings: Any) -> Iterator[AnotherSite]:
    site = AnotherSite(tmp_path)
    # The public badge check's lookup counts and cached documents start afresh: the cache is
    # this process's memory, shared by the tests it runs.
    cache.clear()
    settings.DID_WEB_CA_BUNDLE = str(site.ca_bundle)
    # The other site runs on this machine, on a loopback address.
    settings.DID_WEB_ALLOW_PRIVATE_HOSTS = True
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.stopped.set()
    site.server.shutdown()
    site.server.server_close()
