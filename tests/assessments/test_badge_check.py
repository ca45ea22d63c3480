"""The public page where anyone checks an Open Badge they were given (/verify/badge/): pasted or
as its .jwt file, optionally with the learner's e-mail address. What it says for a genuine badge,
an altered one, one signed by another key, another site's, a revoked one, and for bad input."""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments import achievements, badges
from assessments.models import IssuedBadge
from core import rate_limit
from core.models import AuditEvent
from tests.assessments.test_achievement_records import Case, ask, make_case, sign
from tests.assessments.test_badges import tampered
from tests.support.did_web_site import AnotherSite, decode_part, sign_compact

URL = "verify_badge"


@pytest.fixture
def done(catalogue: None) -> Case:
    case = make_case()
    for unit in case.units:
        sign(case, unit)
    return case


def issued(case: Case, kind: str = "full") -> IssuedBadge:
    record = ask(case, kind, case.units[0] if kind == "unit" else None)
    return badges.issue_badge(actor=case.learner, record=record)[0]


def check(client: Client, **data) -> tuple[int, str]:
    response = client.post(reverse(URL), data)
    return response.status_code, response.content.decode()


def test_a_genuine_badge_pasted_is_described_and_linked_to_its_record(
    done: Case, client: Client, django_assert_num_queries
) -> None:
    badge = issued(done)
    events = AuditEvent.objects.count()

    # Signed out, as an employer would be: the one query finds the issued badge.
    with django_assert_num_queries(1):
        status, page = check(client, token=f"\n  {badge.token}  \n")

    assert status == 200
    assert "This is a genuine Open Badge, issued here and not revoked." in page
    assert done.registration.qualification.title in page
    assert done.centre.name in page
    assert badge.record.verify_path in page
    assert AuditEvent.objects.count() == events  # a check changes nothing


def test_the_badge_file_can_be_chosen_instead(done: Case, client: Client) -> None:
    badge = issued(done, kind="unit")
    upload = SimpleUploadedFile("open-badge.jwt", badge.token.encode(), "application/jwt")

    status, page = check(client, file=upload)

    assert status == 200
    assert "genuine Open Badge" in page
    assert done.units[0].title in page


def test_the_learners_address_is_matched_against_the_hashed_one(done: Case, client: Client) -> None:
    badge = issued(done)

    _, page = check(client, token=badge.token, email=done.learner.email.upper())
    assert "It was issued to the e-mail address you gave." in page

    _, page = check(client, token=badge.token, email="someone.else@example.com")
    assert "It was <strong>not</strong> issued to the e-mail address you gave." in page
    assert "genuine Open Badge" in page  # the badge itself still stands


def test_an_altered_badge_is_refused_and_its_claims_not_repeated(
    done: Case, client: Client
) -> None:
    badge = issued(done)

    def grander(claims: dict) -> None:
        claims["credentialSubject"]["achievement"]["name"] = "Diploma in Something Grander"

    status, page = check(client, token=tampered(badge.token, grander))

    assert status == 200
    assert "The signature does not match" in page
    assert "Something Grander" not in page
    assert 'data-testid="badge-facts"' not in page


def test_a_badge_signed_by_another_key_is_refused(done: Case, client: Client, settings) -> None:
    badge = issued(done)
    settings.BADGE_SIGNING_KEY = badges.new_key_pem()
    forged = badges.sign_jwt(badge.credential, kid=badge.credential["iss"] + "#key-1")
    settings.BADGE_SIGNING_KEY = ""

    _, page = check(client, token=forged)

    assert "The signature does not match" in page


def test_a_badge_our_key_signed_but_this_site_never_issued_is_not_vouched_for(
    done: Case, client: Client
) -> None:
    badge = issued(done)
    claims = dict(badge.credential, name="Something never issued")
    copy = badges.sign_jwt(claims, kid=claims["iss"] + "#key-1")

    _, page = check(client, token=copy)

    assert "this site holds no such badge" in page
    assert 'data-testid="badge-facts"' not in page


def test_another_sites_badge_is_sent_to_its_own_issuer(done: Case, client: Client) -> None:
    badge = issued(done)
    other = "did:web:badges.example.org:badges:centres:1"

    def elsewhere(claims: dict) -> None:
        claims["iss"] = other

    _, page = check(client, token=tampered(badge.token, elsewhere))

    assert f"names its issuer as {other}, which is not a centre of this site" in page


def test_a_revoked_badge_says_when(done: Case, client: Client) -> None:
    badge = issued(done)
    achievements.withdraw_record(actor=done.admin, record=badge.record, reason="Issued in error")

    _, page = check(client, token=badge.token, email=done.learner.email)

    assert "revoked on" in page
    assert "do not rely on it" in page
    assert "alert-danger" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"token": "not a badge at all"}, "This is not an Open Badge"),
        ({"token": "a.b.c"}, "This is not an Open Badge"),
    ],
)
def test_text_that_is_no_badge_gets_a_reason(
    client: Client, db: None, data: dict, message: str
) -> None:
    status, page = check(client, **data)
    assert status == 200
    assert message in page


def test_the_service_refuses_a_token_far_larger_than_a_badge() -> None:
    # The form stops a long paste first; the service says why to any other caller.
    check = badges.check_badge("x" * (badges.MAX_TOKEN_BYTES + 1), site="http://testserver")
    assert not check.genuine
    assert "far larger than an Open Badge" in check.verdict


def test_bad_input_is_sent_back_with_a_reason(done: Case, client: Client) -> None:
    badge = issued(done)

    status, page = check(client)
    assert status == 400
    assert "Paste the badge, or choose its .jwt file." in page

    both = SimpleUploadedFile("b.jwt", badge.token.encode())
    status, page = check(client, token=badge.token, file=both)
    assert status == 400
    assert "Paste the badge or choose its file, not both." in page

    status, page = check(client, token="x" * (badges.MAX_TOKEN_BYTES + 1))
    assert status == 400
    assert "at most 65536 characters" in page

    big = SimpleUploadedFile("b.jwt", b"x" * (badges.MAX_TOKEN_BYTES + 1))
    status, page = check(client, file=big)
    assert status == 400
    assert "A badge file is a few kilobytes" in page

    binary = SimpleUploadedFile("b.jwt", b"\xff\xfe\x00binary")
    status, page = check(client, file=binary)
    assert status == 400
    assert "This file is not a badge" in page

    status, page = check(client, token=badge.token, email="not an address")
    assert status == 400
    assert "valid email address" in page


def test_the_form_is_public_and_linked_from_the_record_check(client: Client, db: None) -> None:
    page = client.get(reverse(URL))
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex"
    assert reverse(URL) in client.get(reverse("verify_form")).content.decode()


# ---------------------------------------------------------------- another site's badge


def issued_at(
    site: AnotherSite, badge: IssuedBadge, key: Any = None, centre: str = "7"
) -> tuple[str, str]:
    """`badge` as another site running this platform would have issued it: its issuer that
    site's did:web for a centre of its own, signed with that site's key (or `key`)."""
    did = site.did("badges", "centres", centre)
    head, body, _ = badge.token.split(".")
    header, claims = decode_part(head), decode_part(body)
    claims = {**claims, "iss": did, "issuer": {**claims["issuer"], "id": did}}
    return sign_compact({**header, "kid": f"{did}#key-1"}, claims, key or site.key), did


def test_another_sites_badge_is_checked_against_its_did_document_and_said_valid(
    done: Case, client: Client, another_site: AnotherSite
) -> None:
    token, did = issued_at(another_site, issued(done))
    another_site.publish(did)

    status, page = check(client, token=token, email=done.learner.email)

    assert status == 200
    assert (
        f"This badge was issued by another site, {did}, and its signature is valid: it is as "
        "that site signed it. Whether it still stands or was revoked is for that site to say."
    ) in html.unescape(page)
    assert "alert-info" in page
    assert "It was issued to the e-mail address you gave." in page
    # Its key was read over https from that site's document; nothing of ours is described.
    assert another_site.asked == ["/badges/centres/7/did.json"]
    assert 'data-testid="badge-facts"' not in page


@pytest.mark.parametrize("document", ["another key", "another DID's document", "none"])
def test_another_sites_badge_its_document_does_not_hold_is_not_said_valid(
    done: Case, client: Client, another_site: AnotherSite, document: str
) -> None:
    token, did = issued_at(another_site, issued(done))
    if document == "another key":
        another_site.publish(did, key=Ed25519PrivateKey.generate())
    elif document == "another DID's document":
        # Served at this DID's address, but the document of another (with the signing key).
        another_site.publish(another_site.did("badges", "centres", "8"))
        path = "/badges/centres/8/did.json"
        another_site.documents["/badges/centres/7/did.json"] = another_site.documents.pop(path)

    status, page = check(client, token=token)

    assert status == 200
    page = html.unescape(page)
    assert "signature is valid" not in page
    assert "alert-danger" in page
    if document == "another key":
        assert (
            f"This badge names another site, {did}, as its issuer, but the signature does not "
            "match the key that site publishes"
        ) in page
    else:
        assert "that site's key could not be read just now, so its signature was not checked" in (
            page
        )


# ---------------------------------------------------------------- lookups of other sites, limited

VALID = "and its signature is valid"
BUSY = (
    "Its signature cannot be checked against that site just now: too many checks have asked "
    "other sites in the last minute. Try again in a minute."
)


def test_another_sites_document_once_read_is_used_again_for_a_while(
    done: Case, client: Client, another_site: AnotherSite
) -> None:
    badge = issued(done)
    token, did = issued_at(another_site, badge)
    other_token, other_did = issued_at(another_site, badge, centre="8")
    another_site.publish(did)
    another_site.publish(other_did)

    for _ in range(3):
        assert VALID in check(client, token=token)[1]

    # Three checks of one issuer: its document was fetched once. Another issuer's is its own.
    assert another_site.asked == ["/badges/centres/7/did.json"]
    assert VALID in check(client, token=other_token)[1]
    assert another_site.asked == ["/badges/centres/7/did.json", "/badges/centres/8/did.json"]


def test_a_document_that_could_not_be_read_is_asked_again_next_time(
    done: Case, client: Client, another_site: AnotherSite
) -> None:
    token, did = issued_at(another_site, issued(done))

    assert "could not be read just now" in check(client, token=token)[1]
    another_site.publish(did)
    assert VALID in check(client, token=token)[1]

    assert another_site.asked == ["/badges/centres/7/did.json"] * 2


def test_past_a_clients_or_the_sites_lookups_a_minute_the_page_says_to_try_again(
    done: Case, client: Client, another_site: AnotherSite, settings: Any, monkeypatch: Any
) -> None:
    settings.DID_WEB_LOOKUPS_PER_CLIENT_PER_MINUTE = 2
    settings.DID_WEB_LOOKUPS_PER_MINUTE = 3
    # A fixed instant 15 s into a minute, so the counts all fall in one window.
    clock = SimpleNamespace(now=60 * 29_000_000 + 15.0)
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: clock.now))
    badge = issued(done)
    tokens = {}
    for centre in ["7", "8", "9", "10"]:
        tokens[centre], did = issued_at(another_site, badge, centre=centre)
        another_site.publish(did)

    def check_from(ip: str, centre: str) -> Any:
        return client.post(reverse(URL), {"token": tokens[centre]}, REMOTE_ADDR=ip)

    assert VALID in check_from("203.0.113.1", "7").content.decode()
    assert VALID in check_from("203.0.113.1", "8").content.decode()

    # Its third issuer in the minute: the page answers, with the form to try again, but the
    # other site is not asked.
    refused = check_from("203.0.113.1", "9")
    page = html.unescape(refused.content.decode())
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert BUSY in page
    assert "alert-warning" in page
    assert VALID not in page
    assert "Check the badge" in page
    assert another_site.asked == ["/badges/centres/7/did.json", "/badges/centres/8/did.json"]
    # An issuer read before needs no lookup: checked still.
    assert VALID in check_from("203.0.113.1", "7").content.decode()

    # Counted per client: another may look up, up to the site's cap of three a minute.
    assert VALID in check_from("203.0.113.2", "9").content.decode()
    refused = check_from("203.0.113.3", "10")
    assert refused.status_code == 429
    assert BUSY in html.unescape(refused.content.decode())
    assert len(another_site.asked) == 3

    # The next minute, as the page said.
    clock.now += 60
    assert VALID in check_from("203.0.113.3", "10").content.decode()
    assert another_site.asked[-1] == "/badges/centres/10/did.json"
