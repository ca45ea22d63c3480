"""did:web resolution connects to the address it checked (assessments.did_web): a name that
answers a public address when checked and a private one a moment later (DNS rebinding) cannot
turn the fetch onto a host on this site's own network. The name's look-ups and the connections
out of this machine are what the test stands in for; the TLS server is real."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any

import pytest

from assessments import did_web
from tests.support.did_web_site import REBINDING_NAME, AnotherSite

# A global address (documentation ranges are not global, so the check would refuse them); no
# connection to it leaves this machine (`outside`).
PUBLIC = "93.184.215.14"


class Rebinding:
    """The test's resolver for REBINDING_NAME: `first` the first time, `later` every time after
    (None: no answer). Every other name is the system's to resolve."""

    def __init__(self, monkeypatch: Any, first: str, later: str | None) -> None:
        self.answers = [first]
        self.later = later
        self.lookups = 0
        system = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != REBINDING_NAME:
                return system(host, port, *args, **kwargs)
            self.lookups += 1
            address = self.answers.pop() if self.answers else self.later
            if address is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def outside(monkeypatch: Any) -> list[tuple[str, int]]:
    """Connections to any address but this machine's are refused here (as an unreachable host
    would), and noted: the test leaves the machine no more than the resolver does."""
    asked: list[tuple[str, int]] = []
    system = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        try:
            leaves = not ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            leaves = False  # a name: the system resolves it (through the test's resolver)
        if leaves:
            asked.append(address)
            raise ConnectionRefusedError(111, "Connection refused")
        return system(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return asked


def url(site: AnotherSite, name: str = REBINDING_NAME) -> str:
    return f"https://{name}:{site.server.server_address[1]}/badges/centres/7/did.json"


def test_a_name_that_turns_private_after_the_check_is_not_fetched_from_the_private_address(
    another_site: AnotherSite, settings: Any, monkeypatch: Any, outside: list[tuple[str, int]]
) -> None:
    settings.DID_WEB_ALLOW_PRIVATE_HOSTS = False
    another_site.publish(another_site.did("badges", "centres", "7"))
    # Public to the check, this machine's loopback (where the other site listens) afterwards.
    resolver = Rebinding(monkeypatch, first=PUBLIC, later="127.0.0.1")

    with pytest.raises(did_web.Unresolved) as refused:
        did_web.fetch_document(url(another_site))

    # The one address checked is the one asked; the name was looked up once, and the server
    # on this machine never heard of it.
    assert refused.value.reason == "ConnectionRefusedError"
    assert outside == [(PUBLIC, another_site.server.server_address[1])]
    assert resolver.lookups == 1
    assert another_site.asked == []


def test_a_name_that_is_private_when_checked_is_not_asked_at_all(
    another_site: AnotherSite, settings: Any, monkeypatch: Any, outside: list[tuple[str, int]]
) -> None:
    settings.DID_WEB_ALLOW_PRIVATE_HOSTS = False
    resolver = Rebinding(monkeypatch, first="127.0.0.1", later=PUBLIC)

    with pytest.raises(did_web.Unresolved) as refused:
        did_web.fetch_document(url(another_site))

    assert refused.value.reason == "a private address"
    assert resolver.lookups == 1
    assert outside == []
    assert another_site.asked == []


def test_the_document_is_read_from_the_checked_address_under_the_hosts_own_name(
    another_site: AnotherSite, monkeypatch: Any
) -> None:
    """The connection goes to the address found once, while the request and the TLS handshake
    still name the host: its certificate (issued for that name) is checked, and it is asked for
    the document by that name."""
    did = another_site.did("badges", "centres", "7")
    another_site.publish(did)
    # The name answers once; any second look-up would find nothing and fail the fetch.
    resolver = Rebinding(monkeypatch, first="127.0.0.1", later=None)

    document = did_web.fetch_document(url(another_site))

    assert document["id"] == did
    assert resolver.lookups == 1
    assert another_site.hosts == [f"{REBINDING_NAME}:{another_site.server.server_address[1]}"]


def test_a_certificate_for_another_name_is_refused_at_the_checked_address(
    another_site: AnotherSite, monkeypatch: Any
) -> None:
    # The same server and address, asked as a name its certificate does not carry.
    system = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "did.another-name.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
        return system(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(did_web.Unresolved) as refused:
        did_web.fetch_document(url(another_site, "did.another-name.test"))

    assert refused.value.reason == "SSLCertVerificationError"
    assert another_site.asked == []


def test_a_redirect_is_not_followed(another_site: AnotherSite) -> None:
    # Served where the DID says, the document would be read; sent elsewhere, it is not.
    another_site.publish(another_site.did("badges", "centres", "8"))
    another_site.redirects["/badges/centres/7/did.json"] = "/badges/centres/8/did.json"

    with pytest.raises(did_web.Unresolved) as refused:
        did_web.fetch_document(url(another_site, "localhost"))

    assert refused.value.reason == "HTTP 302"
    assert another_site.asked == ["/badges/centres/7/did.json"]


@pytest.mark.parametrize("drip_head", [False, True], ids=["body", "status line and headers"])
def test_a_server_answering_a_byte_at_a_time_is_given_up_on_at_the_deadline(
    another_site: AnotherSite, settings: Any, drip_head: bool
) -> None:
    """A byte every 0.3 s comes well within each read's timeout (5 s), so only the lookup's
    own deadline ends it: without one the fetch would wait out the whole answer, 10 s or more."""
    settings.DID_WEB_TOTAL_SECONDS = 1
    path = "/badges/centres/7/did.json"
    # A document, once whole: 34 bytes of body, or the 40 of the whole answer.
    body = b"{}" if drip_head else b"{" + b" " * 32 + b"}"
    another_site.drips[path] = (0.3, body)
    another_site.drip_head = drip_head
    address = url(another_site, "localhost")

    started = time.monotonic()
    with pytest.raises(did_web.Unresolved) as refused:
        did_web.fetch_document(address)
    took = time.monotonic() - started

    assert took < 3
    assert refused.value.reason == "too slow"
    assert str(refused.value) == f"{address}: too slow"
    assert another_site.asked == [path]
