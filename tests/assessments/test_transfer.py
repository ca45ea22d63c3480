"""Portfolio transfer (issue 20): centre B imports the portfolio ZIP a learner's earlier centre A
exported (the learner moved). The export is the real one (the learner's download); the import
is the centre admin's page. Every refusal says why and leaves no rows and no stored files."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rules
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Centre, Invitation, Role, User
from assessments import badges
from assessments.models import Decision, Outcome
from assessments.services import record_decision
from core.models import AuditEvent
from portfolios.models import (
    HELD_PREFIX,
    Evidence,
    EvidenceFile,
    HeldTransfer,
    HeldTransferStatus,
    PortfolioTransfer,
    PriorDecision,
    Registration,
    RegistrationStatus,
)
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.factories import CentreFactory, MembershipFactory, member
from tests.portfolios.test_export import IMI, World, a_full_portfolio, add_evidence, criteria
from tests.support import clock
from tests.support.did_web_site import AnotherSite, decode_part, sign_compact

pytestmark = pytest.mark.usefixtures("catalogue")

URL = "/centre/transfer/"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@dataclass
class Move:
    a: Centre
    b: Centre
    world: World  # centre A, its learner Nadia Brook and her registration
    admin_b: User
    assessor_b: User
    other_registration: Registration  # another learner of A
    archive: bytes


def stored(media: Path) -> set[str]:
    """Every file in storage, by its path under the storage's folder."""
    if not media.exists():
        return set()
    return {
        str(p.relative_to(media))
        for p in media.rglob("*")
        if p.is_file() and ".incoming" not in p.parts
    }


def export_of(client: Client, world: World) -> bytes:
    client.force_login(world.learner)
    response = client.get(reverse("witness:export", args=[world.registration.pk]))
    assert response.status_code == 200
    client.logout()
    return b"".join(response.streaming_content)


@pytest.fixture
def move(client: Client, media: Path) -> Move:
    return build_move(client)


def build_move(client: Client) -> Move:
    """Centre A with Nadia Brook's portfolio (decisions included) and another learner's, and
    centre B, where Nadia is a learner now; her export, downloaded as she would."""
    imi = Qualification.objects.get(number=IMI)
    a = CentreFactory(name="Northgate Training Centre")
    b = CentreFactory(name="Southfield College")
    for centre in (a, b):
        centre.qualifications.add(imi)
    admin = member(a, Role.CENTRE_ADMIN)
    learner = member(a, Role.LEARNER, full_name="Nadia Brook")
    assessor = member(a, Role.ASSESSOR, full_name="Ada Assessor")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=a,
        qualification=imi,
        start_date=clock.today(),
        assessors=[assessor],
    )
    other = member(a, Role.LEARNER, full_name="Otto Other")
    world = World(a, admin, learner, assessor, registration, other)
    made = a_full_portfolio(world)
    # Centre A's assessor judged two criteria on the submitted evidence.
    judged = zip(criteria(registration, 2), (Outcome.MET, Outcome.NOT_YET_MET), strict=True)
    for criterion, outcome in judged:
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome=outcome,
            method="product",
            assessed_on=clock.today() - datetime.timedelta(days=3),
            feedback="Clear photographs." if outcome == Outcome.MET else "Show the torque.",
            evidence=[made["submitted"]],
        )
    # Another learner of A, with evidence of her own: none of it may reach B.
    other_registration = register_learner(
        actor=admin, learner=other, centre=a, qualification=imi, start_date=clock.today()
    )
    add_evidence(
        World(a, admin, other, assessor, other_registration, learner),
        "Otto's private notes",
        [("otto.txt", b"Otto only\n")],
    )
    admin_b = member(b, Role.CENTRE_ADMIN)
    assessor_b = member(b, Role.ASSESSOR, full_name="Bea Assessor")
    # Nadia moved: she is a learner at B now.
    MembershipFactory(user=learner, centre=b, role=Role.LEARNER)
    archive = export_of(client, world)
    return Move(a, b, world, admin_b, assessor_b, other_registration, archive)


def post(client: Client, admin: User, body: bytes, name: str = "portfolio.zip", **fields: str):
    client.force_login(admin)
    return client.post(URL, {"archive": SimpleUploadedFile(name, body), **fields})


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def rebuilt(body: bytes, change: Any) -> bytes:
    """The archive with its members changed by `change(dict of name -> bytes)`."""
    source = zipfile.ZipFile(io.BytesIO(body))
    members = {name: source.read(name) for name in source.namelist()}
    change(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    return out.getvalue()


def at_b(move: Move) -> dict[str, int]:
    """What centre B holds: counted from the rows, whichever they are."""
    return {
        "registrations": Registration.objects.filter(centre=move.b).count(),
        "transfers": PortfolioTransfer.objects.count(),
        "evidence": Evidence.objects.filter(registration__centre=move.b).count(),
        "files": EvidenceFile.objects.filter(evidence__registration__centre=move.b).count(),
        "prior": PriorDecision.objects.count(),
        "events": AuditEvent.objects.filter(action="portfolio.transferred_in").count(),
    }


NOTHING = {
    "registrations": 0,
    "transfers": 0,
    "evidence": 0,
    "files": 0,
    "prior": 0,
    "events": 0,
}


# ---------------------------------------------------------------- the round trip


def test_the_export_is_signed_by_its_centre_with_the_platform_key(move: Move) -> None:
    archive = zipfile.ZipFile(io.BytesIO(move.archive))
    token = archive.read("signature.jws").decode()
    _, body, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims["iss"] == badges.issuer_did("http://127.0.0.1:8000", move.a.pk)
    assert (
        claims["files"]["manifest.json"]
        == hashlib.sha256(archive.read("manifest.json")).hexdigest()
    )
    # The signature verifies with a library the project did not write (cryptography's
    # Ed25519 over the JWS signing input, as RFC 8037 says).
    from assessments.transfer import verify_seal

    assert verify_seal(token.encode())["centre"]["name"] == "Northgate Training Centre"


def test_a_portfolio_exported_at_one_centre_arrives_intact_at_another(
    client: Client, move: Move, media: Path
) -> None:
    source = zipfile.ZipFile(io.BytesIO(move.archive))
    manifest = json.loads(source.read("manifest.json"))

    response = post(client, move.admin_b, move.archive)

    assert response.status_code == 302, text(response)[-3000:]
    registration = Registration.objects.get(centre=move.b)
    assert response["Location"] == reverse("evidence:portfolio", args=[registration.pk])
    assert registration.learner == move.world.learner
    assert registration.status == RegistrationStatus.ACTIVE
    transfer = PortfolioTransfer.objects.get()
    assert transfer.source_centre_name == "Northgate Training Centre"
    assert transfer.registration == registration
    # Every file's bytes and hash, as exported.
    exported = {
        f["sha256"]: source.read(f["path"])
        for e in manifest["evidence"]
        for f in e["files"]
        if "path" in f
    }
    imported = EvidenceFile.objects.filter(evidence__registration=registration)
    assert {f.sha256 for f in imported} == set(exported)
    for file in imported:
        with file.file.open("rb") as fh:
            content = fh.read()
        assert hashlib.sha256(content).hexdigest() == file.sha256
        assert content == exported[file.sha256]
    evidence = list(Evidence.objects.filter(registration=registration))
    assert len(evidence) == len(manifest["evidence"])
    assert all(e.transfer_id == transfer.pk for e in evidence)
    assert {e.title for e in evidence} == {e["title"] for e in manifest["evidence"]}
    # The resubmission keeps its earlier version.
    second = next(e for e in evidence if e.version == 2)
    assert second.previous is not None
    assert second.previous.title == second.title
    # A's decisions: prior records with A's assessor's name as text, not decisions here.
    prior = list(PriorDecision.objects.order_by("criterion__position"))
    assert [(p.outcome, p.assessor_name) for p in prior] == [
        (Outcome.MET, "Ada Assessor"),
        (Outcome.NOT_YET_MET, "Ada Assessor"),
    ]
    assert not Decision.objects.filter(registration=registration).exists()
    # Nothing of A's other learner.
    assert not Evidence.objects.filter(
        registration__centre=move.b, title="Otto's private notes"
    ).exists()
    assert "Otto" not in json.dumps(manifest)
    # One audit event: who, when, from where, which manifest.
    event = AuditEvent.objects.get(action="portfolio.transferred_in")
    assert event.actor == move.admin_b
    assert event.centre_id == move.b.pk
    assert event.data["source_centre"] == "Northgate Training Centre"
    assert event.data["manifest_sha256"] == hashlib.sha256(source.read("manifest.json")).hexdigest()
    # The portfolio page says where it came from, and whose decisions they were.
    page = client.get(response["Location"]).content.decode()
    assert "Transferred from Northgate Training Centre" in page
    assert "Decided at Northgate Training Centre by Ada Assessor on" in page


def test_transferred_evidence_and_decisions_are_read_only(client: Client, move: Move) -> None:
    post(client, move.admin_b, move.archive)
    learner = move.world.learner
    for evidence in Evidence.objects.filter(registration__centre=move.b):
        assert not rules.test_rule("portfolios.change_evidence", learner, evidence)
    draft = Evidence.objects.get(registration__centre=move.b, status="draft")
    client.force_login(learner)
    assert client.post(reverse("evidence:delete", args=[draft.pk])).status_code == 403
    assert client.post(reverse("evidence:edit", args=[draft.pk]), {}).status_code == 403
    assert Evidence.objects.filter(pk=draft.pk).exists()


def test_centre_b_cannot_reach_centre_a_and_a_cannot_see_bs_copy(
    client: Client, move: Move
) -> None:
    post(client, move.admin_b, move.archive)
    copy = Registration.objects.get(centre=move.b)
    original = move.world.registration
    # B's admin: A's objects are not theirs.
    client.force_login(move.admin_b)
    assert client.get(reverse("evidence:portfolio", args=[original.pk])).status_code in (403, 404)
    a_evidence = Evidence.objects.filter(registration=original).exclude(status="draft").first()
    assert a_evidence is not None
    assert client.get(reverse("evidence:detail", args=[a_evidence.pk])).status_code in (403, 404)
    # A's admin and assessor: B's copy is not theirs.
    for person in (move.world.admin, move.world.assessor):
        client.force_login(person)
        assert client.get(reverse("evidence:portfolio", args=[copy.pk])).status_code in (403, 404)
        assert not Registration.objects.visible_to(person).filter(pk=copy.pk).exists()
        assert not PortfolioTransfer.objects.visible_to(person).exists()


def test_a_second_import_of_the_same_export_is_refused(
    client: Client, move: Move, media: Path
) -> None:
    post(client, move.admin_b, move.archive)
    before = at_b(move)
    files_before = stored(media)

    response = post(client, move.admin_b, move.archive)

    assert response.status_code == 400
    assert "This export was imported already" in text(response)
    assert at_b(move) == before
    assert stored(media) == files_before


def test_the_import_joins_the_learners_active_registration_here(client: Client, move: Move) -> None:
    here = register_learner(
        actor=move.admin_b,
        learner=move.world.learner,
        centre=move.b,
        qualification=move.world.registration.qualification,
        start_date=clock.today(),
    )
    post(client, move.admin_b, move.archive)
    assert PortfolioTransfer.objects.get().registration == here
    assert Registration.objects.filter(centre=move.b).count() == 1


# ---------------------------------------------------------------- refusals


def _without(name: str) -> Any:
    return lambda members: members.pop(name)


def _changed(name: str, content: bytes) -> Any:
    def change(members: dict[str, bytes]) -> None:
        members[name] = content

    return change


def _first_file(body: bytes) -> str:
    return next(
        n for n in zipfile.ZipFile(io.BytesIO(body)).namelist() if n.startswith("evidence/")
    )


def _tampered_manifest(members: dict[str, bytes]) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest["registration"]["centre"]["name"] = "Somewhere Else"
    members["manifest.json"] = json.dumps(manifest).encode()


def _second_learner(members: dict[str, bytes]) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest["learners"] = [manifest["registration"]["learner"], {"name": "Otto Other"}]
    members["manifest.json"] = json.dumps(manifest).encode()


REFUSALS = {
    "not a zip": (lambda body: b"%PDF-1.4 not a zip", "This is not a ZIP file"),
    "truncated": (lambda body: body[: len(body) // 2], "This is not a ZIP file"),
    "a file's bytes changed": (
        lambda body: rebuilt(body, _changed(_first_file(body), b"changed bytes")),
        "is not the file that was exported",
    ),
    "manifest changed": (
        lambda body: rebuilt(body, _tampered_manifest),
        "was changed after it was signed",
    ),
    "a second learner": (
        lambda body: rebuilt(body, _second_learner),
        "was changed after it was signed",
    ),
    "a file added": (
        lambda body: rebuilt(body, _changed("evidence/extra.txt", b"added later")),
        "which its manifest does not list",
    ),
    "a file missing": (
        lambda body: rebuilt(body, lambda m: m.pop(_first_file(body))),
        "which is missing from the ZIP",
    ),
    "path traversal": (
        lambda body: rebuilt(body, _changed("../../etc/cron.d/evil", b"x")),
        "which points outside the archive",
    ),
    "absolute path": (
        lambda body: rebuilt(body, _changed("/etc/passwd", b"x")),
        "which points outside the archive",
    ),
    "no signature": (
        lambda body: rebuilt(body, _without("signature.jws")),
        "The ZIP has no signature.jws",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_damaged_or_tampered_archive_is_refused_and_leaves_nothing(
    client: Client, move: Move, media: Path, case: str
) -> None:
    make, message = REFUSALS[case]
    files_before = stored(media)

    response = post(client, move.admin_b, make(move.archive))

    assert response.status_code == 400
    assert message in text(response)
    assert "The portfolio was not imported" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_an_oversize_archive_is_refused_and_leaves_nothing(
    client: Client, move: Move, media: Path, settings: Any
) -> None:
    settings.PORTFOLIO_TRANSFER_MAX_BYTES = 1024
    files_before = stored(media)

    response = post(client, move.admin_b, move.archive)

    assert response.status_code == 400
    assert "larger than" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_a_zip_bomb_is_refused_by_its_declared_sizes(
    client: Client, move: Move, media: Path
) -> None:
    files_before = stored(media)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("manifest.json", b"{}")
        bomb.writestr("evidence/1-v1/zeros.txt", b"\0" * 20_000_000)

    response = post(client, move.admin_b, out.getvalue())

    assert response.status_code == 400
    assert "a ZIP bomb?" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_an_unknown_qualification_is_refused_and_leaves_nothing(
    client: Client, move: Move, media: Path
) -> None:
    Qualification.objects.filter(number=IMI).update(number="999/9999/9")
    files_before = stored(media)

    response = post(client, move.admin_b, move.archive)

    assert response.status_code == 400
    assert f"The portfolio is on {IMI}" in text(response)
    assert "not in this platform's catalogue" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_a_learner_who_is_not_at_this_centre_is_refused(
    client: Client, move: Move, media: Path
) -> None:
    files_before = stored(media)
    response = post(client, move.admin_b, move.archive, email="otto@elsewhere.example")

    assert response.status_code == 400
    assert "No learner at Southfield College has the address" in text(response)
    assert "Invite them as a learner (People, then Invite); once they accept, import the ZIP" in (
        text(response)
    )
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_a_failure_after_files_were_stored_removes_them(
    client: Client, move: Move, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessments import transfer

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    # Fails after every file is stored, inside the transaction.
    monkeypatch.setattr(transfer, "refresh_progress", lambda registration: broken())
    files_before = stored(media)

    with pytest.raises(RuntimeError):
        transfer.import_portfolio(
            actor=move.admin_b,
            centre=move.b,
            archive=_as_file(media.parent, move.archive),
        )

    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def _as_file(folder: Path, body: bytes) -> Path:
    path = folder / "upload.zip"
    path.write_bytes(body)
    return path


def test_a_remote_issuer_that_cannot_be_reached_is_a_clear_refusal(
    client: Client, move: Move, media: Path, settings: Any
) -> None:
    files_before = stored(media)
    # The export names this site's host (127.0.0.1:8000); seen from a site of another name it
    # is a remote issuer, whose DID document is not served over https there.
    settings.SITE_URL = "https://portfolio.another.example"
    from assessments import transfer

    transfer.did_web.RESOLVE_TIMEOUT = 1
    try:
        response = post(client, move.admin_b, move.archive)
    finally:
        transfer.did_web.RESOLVE_TIMEOUT = 5
    assert response.status_code == 400
    assert "could not be checked" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def signed_at(site: AnotherSite, move: Move, key: Any = None) -> tuple[bytes, str]:
    """The move's archive as the other site's platform would have signed it: the same seal,
    naming that site's did:web for centre A, signed with that site's own key (or `key`)."""
    did = site.did("badges", "centres", str(move.a.pk))

    def resign(members: dict[str, bytes]) -> None:
        head, body, _ = members["signature.jws"].decode().split(".")
        header, claims = decode_part(head), decode_part(body)
        members["signature.jws"] = sign_compact(
            {**header, "kid": f"{did}#key-1"}, {**claims, "iss": did}, key or site.key
        ).encode()

    return rebuilt(move.archive, resign), did


def test_an_export_signed_at_another_site_is_checked_against_its_did_document_and_imported(
    client: Client, move: Move, another_site: AnotherSite
) -> None:
    archive, did = signed_at(another_site, move)
    another_site.publish(did)

    response = post(client, move.admin_b, archive)

    assert response.status_code == 302, text(response)[-3000:]
    # Its key was read over https, from the other site's document for centre A.
    assert another_site.asked == [f"/badges/centres/{move.a.pk}/did.json"]
    transfer = PortfolioTransfer.objects.get()
    assert transfer.issuer == did
    assert transfer.registration.learner == move.world.learner
    assert at_b(move)["evidence"] > 0


@pytest.mark.parametrize("published", ["another key", "no document"])
def test_an_export_whose_signature_another_sites_document_does_not_hold_is_refused(
    client: Client, move: Move, media: Path, another_site: AnotherSite, published: str
) -> None:
    files_before = stored(media)
    archive, did = signed_at(another_site, move)
    if published == "another key":
        # The document names a key, but not the one that signed.
        another_site.publish(did, key=Ed25519PrivateKey.generate())

    response = post(client, move.admin_b, archive)

    assert response.status_code == 400
    if published == "another key":
        assert "The signature does not match" in text(response)
    else:
        assert f"The export's signer, {did}, could not be checked" in text(response)
        assert "(HTTP 404)" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_a_did_document_from_a_server_whose_certificate_is_not_trusted_is_not_read(
    client: Client, move: Move, another_site: AnotherSite, settings: Any
) -> None:
    archive, did = signed_at(another_site, move)
    another_site.publish(did)
    # The system's authorities only: the throwaway one that signed its certificate is unknown.
    settings.DID_WEB_CA_BUNDLE = ""

    response = post(client, move.admin_b, archive)

    assert response.status_code == 400
    assert "could not be checked" in text(response)
    assert another_site.asked == []
    assert at_b(move) == NOTHING


def test_a_did_web_on_a_private_address_is_not_asked_outside_the_tests(
    client: Client, move: Move, another_site: AnotherSite, settings: Any
) -> None:
    archive, did = signed_at(another_site, move)
    another_site.publish(did)
    settings.DID_WEB_ALLOW_PRIVATE_HOSTS = False

    response = post(client, move.admin_b, archive)

    assert response.status_code == 400
    assert "(a private address)" in text(response)
    assert another_site.asked == []


# ---------------------------------------------------------------- who may import


@pytest.mark.parametrize("who", ["assessor_b", "learner", "iv_b", "eqa_b"])
def test_only_the_centres_admin_opens_the_import_page(client: Client, move: Move, who: str) -> None:
    person = {
        "assessor_b": move.assessor_b,
        "learner": move.world.learner,
        "iv_b": member(move.b, Role.INTERNAL_VERIFIER),
        "eqa_b": member(move.b, Role.EQA),
    }[who]
    client.force_login(person)
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"archive": SimpleUploadedFile("p.zip", move.archive)}).status_code == 403
    )
    assert at_b(move) == NOTHING


# ---------------------------------------------------------------- queries


def queries(run: Any) -> list[str]:
    """The SQL `run()` sends (counted by a wrapper: the debug log's 9,000 fill up)."""
    from django.db import connection

    sent: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        run()
    return sent


def test_the_import_costs_the_same_queries_however_big_the_portfolio(
    client: Client, move: Move
) -> None:
    """The import's queries with a small portfolio and a larger one: the same."""
    responses = []
    small = queries(lambda: responses.append(post(client, move.admin_b, move.archive)))
    # A larger portfolio from A: more evidence, more files.
    for n in range(4):
        add_evidence(move.world, f"More {n}", [(f"more{n}.txt", f"more {n}\n".encode())])
    bigger = export_of(client, move.world)
    third = CentreFactory(name="Westmoor")
    third.qualifications.add(move.world.registration.qualification)
    admin_c = member(third, Role.CENTRE_ADMIN)
    MembershipFactory(user=move.world.learner, centre=third, role=Role.LEARNER)
    large = queries(lambda: responses.append(post(client, admin_c, bigger)))
    assert [r.status_code for r in responses] == [302, 302]
    assert len(large) == len(small)


def test_the_portfolio_page_with_transferred_items_costs_the_same_queries(
    client: Client, move: Move
) -> None:
    post(client, move.admin_b, move.archive)
    registration = Registration.objects.get(centre=move.b)
    client.force_login(move.world.learner)
    url = reverse("evidence:portfolio", args=[registration.pk])
    client.get(url)
    before = queries(lambda: client.get(url))
    # More prior decisions and more transferred evidence.
    transfer = PortfolioTransfer.objects.get()
    taken = set(PriorDecision.objects.values_list("criterion_id", flat=True))
    for criterion in criteria(registration, 8):
        if criterion.pk not in taken:
            PriorDecision.objects.create(
                transfer=transfer,
                registration=registration,
                criterion=criterion,
                outcome_label="Met",
                assessor_name="Ada Assessor",
                assessed_on=clock.today(),
            )
    for item in list(Evidence.objects.filter(registration=registration, previous=None)):
        item.pk = None
        item.save()
    after = queries(lambda: client.get(url))
    assert PriorDecision.objects.count() > 2
    assert len(after) == len(before)


# ---------------------------------------------------------------- judging afresh


def test_the_assessor_here_sees_the_earlier_decision_beside_and_judges_afresh(
    client: Client, move: Move
) -> None:
    from portfolios.services import assign_staff
    from tests.assessments.judging_data import form_data

    post(client, move.admin_b, move.archive)
    registration = Registration.objects.get(centre=move.b)
    assign_staff(actor=move.admin_b, registration=registration, assessors=[move.assessor_b])
    photos = Evidence.objects.get(registration=registration, title="Photos")
    first, _ = criteria(registration, 2)
    client.force_login(move.assessor_b)

    page = text(client.get(reverse("assessments:assess", args=[photos.pk])))

    assert "Decided at Northgate Training Centre by Ada Assessor on" in page
    assert "Clear photographs." in page
    # This centre's judgement is its own decision; the earlier one stays as it was, beside it.
    data = form_data(photos, {first: "met"}, feedback={first: "Seen again here."})
    response = client.post(reverse("assessments:judge", args=[photos.pk]), data)
    assert response.status_code == 302
    decision = Decision.objects.get(registration=registration)
    assert decision.assessor == move.assessor_b
    assert PriorDecision.objects.filter(registration=registration).count() == 2


def test_a_signed_manifest_not_laid_out_as_ours_is_refused(
    client: Client, move: Move, media: Path
) -> None:
    """Signed by a key we trust, but not a manifest this platform writes: refused, not a 500."""
    files_before = stored(media)
    manifest = json.dumps(
        {
            "manifest_version": 1,
            "exported_at": "2026-01-05T10:00:00+00:00",
            "registration": {
                "learner": {"id": 1, "name": "Nadia Brook"},
                "centre": {"name": "Northgate Training Centre"},
            },
            "qualification": {"number": IMI},
            "evidence": ["not a record"],
        }
    ).encode()
    did = badges.issuer_did("http://127.0.0.1:8000", move.a.pk)
    claims = {
        "type": "PortfolioExportSeal",
        "iss": did,
        "centre": {"name": "Northgate Training Centre"},
        "files": {"manifest.json": hashlib.sha256(manifest).hexdigest()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("signature.jws", badges.sign_jwt(claims, kid=f"{did}#key-1"))

    response = post(client, move.admin_b, out.getvalue())

    assert response.status_code == 400
    assert "is not laid out as this platform's portfolio manifests are" in text(response)
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


# ---------------------------------------------------------------- a newer export, later


def later_at_a(client: Client, move: Move) -> bytes:
    """At centre A, after the first export: a new piece of evidence, the resubmitted
    discussion returned and resubmitted again (v3), and a new decision superseding the
    'not yet met' one; then Nadia downloads her portfolio again."""
    from assessments.services import return_evidence
    from portfolios.evidence import resubmit, submit

    world = move.world
    add_evidence(world, "Later work", [("later.txt", b"Done since\n")])
    v2 = Evidence.objects.get(registration=world.registration, version=2)
    with transaction.atomic():
        return_evidence(assessor=world.assessor, evidence=v2, feedback="One more detail.")
    v3 = resubmit(actor=world.learner, evidence=v2)
    submit(actor=world.learner, evidence=v3, typed_name="Nadia Brook", confirmed=True)
    photos = Evidence.objects.get(registration=world.registration, title="Photos")
    criterion = criteria(world.registration, 2)[1]
    record_decision(
        assessor=world.assessor,
        registration=world.registration,
        criterion=criterion,
        supersedes=Decision.objects.get(registration=world.registration, criterion=criterion),
        reason="The torque is shown in the second photograph.",
        outcome=Outcome.MET,
        method="product",
        assessed_on=clock.today() - datetime.timedelta(days=1),
        feedback="Torque shown now.",
        evidence=[photos],
    )
    return export_of(client, world)


def test_a_newer_export_brings_in_only_what_is_new(client: Client, move: Move, media: Path) -> None:
    post(client, move.admin_b, move.archive)
    first_copies = {e.source_pk: e.pk for e in Evidence.objects.filter(registration__centre=move.b)}
    first_prior = set(PriorDecision.objects.values_list("pk", "outcome"))
    newer = later_at_a(client, move)

    response = post(client, move.admin_b, newer)

    assert response.status_code == 302, text(response)[-3000:]
    page = text(client.get(response["Location"]))
    day = clock.today().strftime("%-d %B %Y")
    assert (
        f"5 pieces of evidence and 1 decision already transferred on {day} were left as "
        "they are; 2 new pieces of evidence (1 of them new versions), 2 files and 1 new "
        "decision added"
    ) in page
    registration = Registration.objects.get(centre=move.b)  # the same registration, still one
    assert PortfolioTransfer.objects.filter(registration=registration).count() == 2
    # The earlier copies are all still there, unchanged, and no piece arrived twice.
    copies = list(Evidence.objects.filter(registration=registration))
    assert {e.source_pk: e.pk for e in copies if e.source_pk in first_copies} == first_copies
    assert len({e.source_pk for e in copies}) == len(copies) == len(first_copies) + 2
    assert Evidence.objects.filter(registration=registration, title="Later work").count() == 1
    # The new version supersedes the v2 transferred before, which stays as it was.
    v3 = Evidence.objects.get(registration=registration, version=3)
    v2 = Evidence.objects.get(registration=registration, version=2)
    assert v3.previous == v2
    assert v2.pk in first_copies.values()
    assert v2.status == "submitted"  # as it arrived; A's later return is not rewritten here
    # Decisions: the two earlier ones kept, and only the new one added.
    prior = set(PriorDecision.objects.values_list("pk", "outcome"))
    assert first_prior < prior
    added = PriorDecision.objects.exclude(pk__in=[pk for pk, _ in first_prior]).get()
    assert (added.outcome, added.feedback) == (Outcome.MET, "Torque shown now.")
    event = AuditEvent.objects.filter(action="portfolio.transferred_in").order_by("pk").last()
    assert event is not None
    assert event.data["already_evidence"] == 5
    assert event.data["evidence"] == 2
    assert event.data["decisions"] == 1


def test_a_newer_export_with_nothing_new_is_refused_and_leaves_nothing(
    client: Client, move: Move, media: Path
) -> None:
    post(client, move.admin_b, move.archive)
    # Downloaded again at A, with nothing done since: another manifest (its date), same content.
    again = export_of(client, move.world)
    assert again != move.archive
    before = at_b(move)
    files_before = stored(media)

    response = post(client, move.admin_b, again)

    assert response.status_code == 400
    day = clock.today().strftime("%-d %B %Y")
    assert (
        "Nothing in this export is new: its 5 pieces of evidence and 2 decisions were "
        f"transferred already, on {day}. Nothing was imported."
    ) in text(response)
    assert at_b(move) == before
    assert stored(media) == files_before


def test_a_piece_changed_at_the_earlier_centre_since_comes_again_as_a_new_version(
    client: Client, move: Move, media: Path
) -> None:
    """The draft came to B as a draft; at A it was then given a file and submitted, with no
    new version row there. The newer export shows it changed: B brings its new state in as a
    new version superseding the draft copy (which stays as it came), and says so."""
    from portfolios.evidence import file_add, map_criteria, submit
    from tests.portfolios.test_export import upload

    post(client, move.admin_b, move.archive)
    registration = Registration.objects.get(centre=move.b)
    draft_copy = Evidence.objects.get(registration=registration, title="Draft")
    assert draft_copy.status == "draft"
    world = move.world
    draft = Evidence.objects.get(registration=world.registration, title="Draft")
    file_add(actor=world.learner, evidence=draft, upload=upload("later.txt", b"Added since\n"))
    map_criteria(actor=world.learner, evidence=draft, criteria=criteria(world.registration, 1))
    submit(actor=world.learner, evidence=draft, typed_name="Nadia Brook", confirmed=True)
    newer = export_of(client, world)

    response = post(client, move.admin_b, newer)

    assert response.status_code == 302, text(response)[-3000:]
    page = text(client.get(response["Location"]))
    assert (
        "4 pieces of evidence and 2 decisions already transferred on "
        f"{clock.today().strftime('%-d %B %Y')} were left as they are; 1 piece changed at "
        "Northgate Training Centre since it was transferred "
        "(submitted there, say, or given a new file) brought in as a new version superseding "
        "the earlier copy, 2 files and 0 new decisions added"
    ) in page
    copies = list(
        Evidence.objects.filter(registration=registration, source_pk=draft.pk).order_by("pk")
    )
    assert len(copies) == 2
    earlier, now = copies
    assert earlier.pk == draft_copy.pk
    assert (earlier.status, earlier.submitted_at, earlier.files.count()) == ("draft", None, 1)
    assert now.previous == earlier
    assert now.status == "submitted"
    assert now.submitted_at is not None
    assert sorted(f.original_name for f in now.files.all()) == ["../../etc/passwd.pdf", "later.txt"]
    assert now.declaration.typed_name == "Nadia Brook"
    event = AuditEvent.objects.filter(action="portfolio.transferred_in").order_by("pk").last()
    assert event is not None
    assert (event.data["changed"], event.data["evidence"], event.data["files"]) == (1, 1, 2)
    # Downloaded again with nothing changed since: compared with the newest copy, nothing new.
    again = export_of(client, world)
    refused = post(client, move.admin_b, again)
    assert refused.status_code == 400
    assert "Nothing in this export is new: its 5 pieces of evidence" in text(refused)


def test_a_newer_export_into_another_registration_arrives_whole(client: Client, move: Move) -> None:
    """The earlier copy's registration was withdrawn here: a new one gets the whole portfolio
    (what counts as 'already here' is per registration)."""
    post(client, move.admin_b, move.archive)
    Registration.objects.filter(centre=move.b).update(status=RegistrationStatus.WITHDRAWN)
    newer = later_at_a(client, move)

    response = post(client, move.admin_b, newer)

    assert response.status_code == 302, text(response)[-3000:]
    latest = Registration.objects.filter(centre=move.b).order_by("pk").last()
    assert latest is not None
    assert latest.evidence.count() == 7


def test_the_unit_page_shows_the_earlier_decisions_beside_each_criterion_in_one_query(
    client: Client, move: Move
) -> None:
    from portfolios.services import assign_staff

    post(client, move.admin_b, move.archive)
    registration = Registration.objects.get(centre=move.b)
    assign_staff(actor=move.admin_b, registration=registration, assessors=[move.assessor_b])
    first, second = criteria(registration, 2)
    url = reverse("assessments:unit", args=[registration.pk, first.unit_id])
    client.force_login(move.assessor_b)
    client.get(url)  # warm: the session and the membership's first read
    before = queries(lambda: client.get(url))

    page = text(client.get(url))

    day = (clock.today() - datetime.timedelta(days=3)).strftime("%-d %B %Y")
    assert f'data-testid="prior-{first.pk}"' in page
    assert f'data-testid="prior-{second.pk}"' in page
    assert "<strong>Not yet met</strong>. Decided at Northgate" in page
    assert f"Decided at Northgate Training Centre by Ada Assessor on {day}" in page
    # More prior decisions on the unit: the page costs the same queries.
    transfer = PortfolioTransfer.objects.get()
    taken = set(PriorDecision.objects.values_list("criterion_id", flat=True))
    added = [c for c in first.unit.criteria.all() if c.pk not in taken]
    for criterion in added:
        PriorDecision.objects.create(
            transfer=transfer,
            registration=registration,
            criterion=criterion,
            outcome_label="Met",
            assessor_name="Ada Assessor",
            assessed_on=clock.today(),
        )
    after = queries(lambda: client.get(url))
    assert added
    assert len(after) == len(before)
    page = text(client.get(url))
    assert all(f'data-testid="prior-{c.pk}"' in page for c in added)


# ---------------------------------------------------------------- held for an invited learner


def invited(move: Move, **kwargs: Any) -> Invitation:
    """Nadia is not a learner at B yet: B's admin has invited her address as a learner."""
    from accounts.models import Membership
    from accounts.services import invitation_create

    Membership.objects.filter(user=move.world.learner, centre=move.b).delete()
    return invitation_create(
        actor=move.admin_b,
        centre=move.b,
        email=kwargs.get("email", move.world.learner.email),
        full_name=kwargs.get("full_name", "Nadia Brook"),
        role=Role.LEARNER,
    )


def held_files(media: Path) -> set[str]:
    return {name for name in stored(media) if name.startswith(HELD_PREFIX)}


def test_a_zip_for_an_invited_learner_is_checked_held_and_imported_when_they_accept(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts.services import invitation_accept

    invitation = invited(move)
    files_before = stored(media)

    response = post(client, move.admin_b, move.archive, invitation=str(invitation.pk))

    assert response.status_code == 302, text(response)[-3000:]
    assert response["Location"] == URL
    page = text(client.get(URL))
    assert "held until Nadia Brook accepts the invitation" in page
    assert "Waiting for Nadia Brook to accept" in page
    # Nothing of the portfolio is at B yet; only the ZIP, under the private prefix.
    assert at_b(move) == NOTHING
    held = HeldTransfer.objects.get()
    assert held.status == HeldTransferStatus.WAITING
    assert stored(media) - files_before == {held.file_name} == held_files(media)
    assert AuditEvent.objects.filter(action="portfolio.transfer_held").count() == 1

    with django_capture_on_commit_callbacks(execute=True):  # the held file goes on commit
        invitation_accept(user=move.world.learner, invitation=invitation)

    registration = Registration.objects.get(centre=move.b, learner=move.world.learner)
    counts = at_b(move)
    assert counts["transfers"] == counts["events"] == 1
    assert counts["evidence"] == 5
    assert counts["prior"] == 2
    transfer = PortfolioTransfer.objects.get()
    assert transfer.registration == registration
    assert transfer.imported_by == move.admin_b
    held.refresh_from_db()
    assert (held.status, held.transfer, held.file_name) == (
        HeldTransferStatus.IMPORTED,
        transfer,
        "",
    )
    assert held_files(media) == set()
    assert AuditEvent.objects.filter(action="portfolio.transfer_imported").count() == 1
    assert "Waiting for Nadia Brook" not in text(client.get(URL))


def test_a_held_zip_is_refused_as_an_import_would_be_and_leaves_nothing(
    client: Client, move: Move, media: Path
) -> None:
    invitation = invited(move)
    files_before = stored(media)
    make, message = REFUSALS["a file's bytes changed"]

    tampered = post(client, move.admin_b, make(move.archive), invitation=str(invitation.pk))
    other = invited(move, email="someone.else@example.com", full_name="Someone Else")
    not_theirs = post(client, move.admin_b, move.archive, invitation=str(other.pk))

    assert tampered.status_code == 400
    assert message in text(tampered)
    assert not_theirs.status_code == 400
    assert "not that of Someone Else (someone.else@example.com)" in text(not_theirs)
    assert not HeldTransfer.objects.exists()
    assert at_b(move) == NOTHING
    assert stored(media) == files_before


def test_withdrawing_the_held_import_or_the_invitation_discards_the_zip(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts.services import invitation_accept, invitation_withdraw

    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    held = HeldTransfer.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("transfer:withdraw_held", args=[held.pk]))

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == HeldTransferStatus.WITHDRAWN
    assert held_files(media) == set()
    assert AuditEvent.objects.filter(action="portfolio.transfer_withdrawn").count() == 1
    # Held again, then the invitation itself is withdrawn: discarded too.
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    again = HeldTransfer.objects.get(status=HeldTransferStatus.WAITING)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_withdraw(actor=move.admin_b, invitation=invitation)
    again.refresh_from_db()
    assert again.status == HeldTransferStatus.DISCARDED
    assert "withdrawn" in again.reason
    assert held_files(media) == set()
    # A new invitation, accepted: nothing discarded comes back.
    fresh = invited(move)
    invitation_accept(user=move.world.learner, invitation=fresh)
    assert at_b(move)["transfers"] == 0


def test_an_expired_invitation_discards_its_held_zip(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=clock.now() - datetime.timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        page = text(client.get(URL))  # the page sweeps (and the daily task)

    assert "Waiting for Nadia Brook" not in page
    held = HeldTransfer.objects.get()
    assert held.status == HeldTransferStatus.DISCARDED
    assert "expired" in held.reason
    assert held_files(media) == set()


def test_an_acceptance_rolled_back_after_its_signal_leaves_no_evidence_files(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """The held import runs only once the acceptance has committed: an acceptance that fails
    after its signal (here, the outer transaction) imports nothing and stores nothing, and
    the held ZIP stays waiting for the next acceptance."""
    from accounts.services import invitation_accept

    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    files_before = stored(media)

    def accept_then_fail() -> None:
        with transaction.atomic():
            invitation_accept(user=move.world.learner, invitation=invitation)
            raise RuntimeError("the acceptance fails after its signal")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        accept_then_fail()

    assert callbacks == []  # rolled back: nothing was left to run after a commit
    assert stored(media) == files_before  # the held ZIP, and no evidence file
    assert at_b(move) == NOTHING
    held = HeldTransfer.objects.get()
    assert held.status == HeldTransferStatus.WAITING
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert not AuditEvent.objects.filter(action="portfolio.transfer_imported").exists()


def test_an_acceptance_imports_its_held_zip_once_it_has_committed(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts.services import invitation_accept

    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_accept(user=move.world.learner, invitation=invitation)
        # Nothing of the portfolio is written inside the acceptance's transaction.
        assert at_b(move) == NOTHING
    assert HeldTransfer.objects.get().status == HeldTransferStatus.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    held = HeldTransfer.objects.get()
    assert (held.status, held.transfer) == (
        HeldTransferStatus.IMPORTED,
        PortfolioTransfer.objects.get(),
    )
    assert at_b(move)["evidence"] == 5
    assert held_files(media) == set()
    event = AuditEvent.objects.get(action="portfolio.transfer_imported")
    assert (event.actor, event.object_id) == (move.world.learner, str(held.pk))


@pytest.mark.parametrize("by", ["the daily task", "the import page"])
def test_a_held_zip_whose_acceptance_committed_without_its_import_is_imported_later(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any, by: str
) -> None:
    """The process stopped between the acceptance's commit and the import (its callback never
    ran): the held row waits with an accepted invitation, and the daily task, or the import
    page, imports it, once."""
    from accounts.services import invitation_accept
    from assessments import transfer
    from assessments.tasks import settle_held_transfers

    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    with django_capture_on_commit_callbacks(execute=False):  # the process dies here
        invitation_accept(user=move.world.learner, invitation=invitation)
    held = HeldTransfer.objects.get()
    assert held.status == HeldTransferStatus.WAITING
    assert at_b(move) == NOTHING

    with django_capture_on_commit_callbacks(execute=True):
        if by == "the daily task":
            assert settle_held_transfers.delay().get() == {
                "discarded": 0,
                "imported": 1,
                "refused": 0,
            }
        else:
            client.force_login(move.admin_b)
            assert "Waiting for Nadia Brook" not in text(client.get(URL))

    held.refresh_from_db()
    assert (held.status, held.file_name) == (HeldTransferStatus.IMPORTED, "")
    assert held.transfer == PortfolioTransfer.objects.get()
    assert held.transfer.registration.learner == move.world.learner
    assert held.transfer.imported_by == move.admin_b
    assert at_b(move)["evidence"] == 5
    assert held_files(media) == set()
    assert AuditEvent.objects.filter(action="portfolio.transfer_imported").count() == 1
    assert AuditEvent.objects.filter(action="portfolio.transferred_in").count() == 1
    # Run again (a second worker, the next day): nothing is imported twice.
    assert transfer.import_held(held.pk) is None
    assert transfer.settle_held() == transfer.Settled()
    assert PortfolioTransfer.objects.count() == 1


def test_a_held_zip_storage_cannot_give_back_waits_and_the_page_still_opens(
    client: Client, move: Move, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The held ZIP cannot be read (storage not answering; here, gone): the import is not
    refused for it, the row waits for the next try, and the page opens with it listed."""
    from accounts.services import invitation_accept
    from assessments import transfer

    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    invitation_accept(user=move.world.learner, invitation=invitation)  # its import never ran
    held = HeldTransfer.objects.get()
    (media / held.file_name).unlink()

    assert transfer.settle_held() == transfer.Settled()
    client.force_login(move.admin_b)
    response = client.get(URL)

    assert response.status_code == 200
    assert "Waiting for Nadia Brook to accept" in text(response)
    held.refresh_from_db()
    assert held.status == HeldTransferStatus.WAITING
    assert at_b(move) == NOTHING
    assert f"Held import {held.pk} not imported" in caplog.text


def test_a_held_zip_refused_when_accepted_keeps_its_reason_and_leaves_nothing(
    client: Client, move: Move, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """B stopped offering the qualification after the ZIP was held: the acceptance stands,
    the import is refused with the reason kept on the held row, and no file is left."""
    from accounts.services import invitation_accept

    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    files_before = stored(media) - held_files(media)
    move.b.qualifications.clear()

    with django_capture_on_commit_callbacks(execute=True):
        invitation_accept(user=move.world.learner, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    held = HeldTransfer.objects.get()
    assert held.status == HeldTransferStatus.REFUSED
    assert "not approved to offer" in held.reason
    assert stored(media) == files_before
    assert at_b(move) == NOTHING
    event = AuditEvent.objects.get(action="portfolio.transfer_refused")
    assert "not approved to offer" in event.data["reason"]


def test_another_centre_cannot_hold_for_or_withdraw_b_s_invitation(
    client: Client, move: Move, media: Path
) -> None:
    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    held = HeldTransfer.objects.get()
    admin_a = move.world.admin

    choosing = post(client, admin_a, move.archive, invitation=str(invitation.pk))
    withdrawing = client.post(reverse("transfer:withdraw_held", args=[held.pk]))
    page = text(client.get(URL))

    assert choosing.status_code == 400  # not one of A's invitations: not a choice
    assert withdrawing.status_code == 404
    assert "Nadia Brook" not in page
    held.refresh_from_db()
    assert held.status == HeldTransferStatus.WAITING
    assert HeldTransfer.objects.count() == 1


def test_a_held_import_is_visible_to_the_importing_centres_admins_only(
    client: Client, move: Move
) -> None:
    invitation = invited(move)
    post(client, move.admin_b, move.archive, invitation=str(invitation.pk))
    sees = {
        "B's admin": move.admin_b,
        "B's assessor": move.assessor_b,
        "B's employer contact": member(move.b, Role.EMPLOYER),
        "the invited learner": move.world.learner,
        "A's admin": move.world.admin,
        "A's assessor": move.world.assessor,
    }
    visible = {who: HeldTransfer.objects.visible_to(u).exists() for who, u in sees.items()}
    assert visible == {who: who == "B's admin" for who in sees}
    # The withdraw button answers B's admins only: others are refused (A's admin finds no
    # such import at A), and only then does B's admin withdraw it.
    held = HeldTransfer.objects.get()
    url = reverse("transfer:withdraw_held", args=[held.pk])
    for who, person in sees.items():
        if who != "B's admin":
            client.force_login(person)
            assert client.post(url).status_code in (403, 404), who
            held.refresh_from_db()
            assert held.status == HeldTransferStatus.WAITING, who
    client.force_login(move.admin_b)
    assert client.post(url).status_code == 302
