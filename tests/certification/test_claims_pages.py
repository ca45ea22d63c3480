"""The claim and hold pages: who may read and act, what they show, and fixed query counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from certification import claims, holds
from certification.models import BatchState, ClaimBatch, ClaimHold, ClaimLine
from portfolios.models import RegistrationStatus
from tests.certification.claim_cases import IMI, learner_on, make_centre, units_of
from tests.factories import member

pytestmark = pytest.mark.django_db

CLAIMS = reverse("certification:claims")
HOLDS = reverse("certification:claim_holds")


def batch_of(where, count: int = 1) -> ClaimBatch:
    registrations = [learner_on(where, name=f"Learner {n} Person") for n in range(count)]
    lines = claims.add_to_claim(
        actor=where.admin, centre_id=where.centre.pk, items=[(r.pk, None) for r in registrations]
    )
    return lines[0].batch


def test_admin_sees_eligible_waiting_and_units(client):
    where = make_centre()
    learner_on(where, name="Ella Eligible")
    learner_on(where, name="Nina Notsigned", iv_signed=False)
    learner_on(
        where, name="Len Leaver", status=RegistrationStatus.WITHDRAWN, iv_signed=False, iv_units=1
    )
    client.force_login(where.admin)
    page = client.get(CLAIMS).content.decode()
    full, rest = page.split('data-testid="full-eligible"')[1].split('data-testid="unit-eligible"')
    assert "Ella Eligible" in full
    assert "Len Leaver" in rest.split('data-testid="full-waiting"')[0]
    assert "No summative IV sign-off" in rest
    assert 'name="claim"' in page


def test_add_by_post_twice_adds_once(client):
    where = make_centre()
    registration = learner_on(where)
    client.force_login(where.admin)
    value = f"{registration.pk}:0"
    first = client.post(CLAIMS, {"claim": [value]}, follow=True)
    assert "1 line added" in first.content.decode()
    second = client.post(CLAIMS, {"claim": [value]}, follow=True)
    assert "0 lines added" in second.content.decode()
    assert ClaimLine.objects.count() == 1


def test_add_refused_says_why(client):
    where = make_centre()
    registration = learner_on(where, name="Hugo Held")
    holds.open_hold(actor=where.iv, registration=registration, kind="appeal", reason="Appealed.")
    client.force_login(where.admin)
    page = client.post(CLAIMS, {"claim": [f"{registration.pk}:0"]}, follow=True)
    assert "Hugo Held (601/3456/2) cannot be claimed: Open hold: appeal open" in (
        page.content.decode()
    )
    assert not ClaimLine.objects.exists()


def test_batch_pages_export_download_submit_and_certificates(client):
    where = make_centre()
    batch = batch_of(where, 2)
    client.force_login(where.admin)
    url = reverse("certification:claim_batch", args=[batch.pk])
    download = reverse("certification:claim_batch_download", args=[batch.pk])
    assert client.get(download).status_code == 302  # a draft has no file yet
    client.post(reverse("certification:claim_batch_export", args=[batch.pk]))
    response = client.get(download)
    assert response.streaming
    assert response["Content-Disposition"] == (
        f'attachment; filename="claim-{where.centre.number}-IMI-{batch.pk}.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 3
    client.post(reverse("certification:claim_batch_submit", args=[batch.pk]), {"reference": "R9"})
    batch.refresh_from_db()
    assert batch.state == BatchState.SUBMITTED
    assert batch.reference == "R9"
    line = batch.lines.first()
    client.post(
        reverse("certification:claim_batch_certificates", args=[batch.pk]),
        {"line": line.pk, "certificate_number": "N1", "received_on": "2026-12-01"},
    )
    line.refresh_from_db()
    assert line.certificate_number == "N1"
    assert line.registration.status == RegistrationStatus.CERTIFICATED
    client.post(
        reverse("certification:claim_batch_certificates", args=[batch.pk]),
        {"received_on": "2026-12-02"},
    )
    batch.refresh_from_db()
    assert batch.state == BatchState.CERTIFICATES_RECEIVED
    assert "Certificates received" in client.get(url).content.decode()


def test_export_of_a_stale_batch_is_refused_on_the_page(client):
    where = make_centre()
    batch = batch_of(where)
    registration = batch.lines.get().registration
    holds.open_hold(actor=where.admin, registration=registration, kind="appeal", reason="Late.")
    client.force_login(where.admin)
    page = client.post(
        reverse("certification:claim_batch_export", args=[batch.pk]), follow=True
    ).content.decode()
    assert "Not exported: Learner 0 Person (601/3456/2): Open hold: appeal open — Late." in page
    batch.refresh_from_db()
    assert batch.state == BatchState.DRAFT


def test_remove_a_line_from_the_draft(client):
    where = make_centre()
    batch = batch_of(where)
    line = batch.lines.get()
    client.force_login(where.admin)
    client.post(reverse("certification:claim_line_remove", args=[line.pk]))
    line.refresh_from_db()
    assert line.removed_at is not None
    assert line.removed_by == where.admin


def test_holds_open_and_release_by_page(client):
    where = make_centre()
    registration = learner_on(where, name="Hugo Held")
    unit = units_of(IMI)[0]
    client.force_login(where.iv)
    client.post(
        HOLDS,
        {
            "hold-registration": registration.pk,
            "hold-unit": unit.reference or unit.key,
            "hold-kind": "malpractice",
            "hold-reason": "Checking authenticity.",
        },
    )
    hold = ClaimHold.objects.get()
    assert hold.unit == unit
    assert hold.opened_by == where.iv
    release = reverse("certification:claim_hold_release", args=[hold.pk])
    assert client.post(release, {"note": "no"}).status_code == 403  # the IV does not release
    client.force_login(where.admin)
    missing = client.post(HOLDS, {"hold-registration": registration.pk, "hold-kind": "appeal"})
    assert missing.status_code == 400
    assert "Say why the claim is held." in missing.content.decode()
    client.post(release, {"note": "Cleared."})
    hold.refresh_from_db()
    assert hold.release_note == "Cleared."
    page = client.get(HOLDS).content.decode()
    assert "Released" in page
    assert "Checking authenticity." in page


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR])
def test_learners_and_assessors_get_403(client, role):
    where = make_centre()
    batch = batch_of(where)
    client.force_login(member(where.centre, role))
    for url in [CLAIMS, HOLDS, reverse("certification:claim_batch", args=[batch.pk])]:
        assert client.get(url).status_code == 403
    assert client.post(CLAIMS, {"claim": ["1:0"]}).status_code == 403


def test_the_iv_reads_holds_but_not_claims(client):
    where = make_centre()
    client.force_login(where.iv)
    page = client.get(HOLDS)
    assert page.status_code == 200
    # The holds page does not offer the IV a link they would be refused.
    assert f'href="{CLAIMS}"' not in page.content.decode()
    assert client.get(CLAIMS).status_code == 403
    client.force_login(where.admin)
    assert f'href="{CLAIMS}"' in client.get(HOLDS).content.decode()


def test_another_centres_batch_and_hold_answer_404(client):
    where, elsewhere = make_centre(), make_centre()
    batch = batch_of(elsewhere)
    registration = batch.lines.get().registration
    hold = holds.open_hold(
        actor=elsewhere.admin, registration=registration, kind="appeal", reason="x"
    )
    client.force_login(where.admin)
    assert client.get(reverse("certification:claim_batch", args=[batch.pk])).status_code == 404
    assert (
        client.post(reverse("certification:claim_batch_export", args=[batch.pk])).status_code == 404
    )
    line = batch.lines.get()
    assert (
        client.post(reverse("certification:claim_line_remove", args=[line.pk])).status_code == 404
    )
    release = reverse("certification:claim_hold_release", args=[hold.pk])
    assert client.post(release, {"note": "x"}).status_code == 404
    assert "Learner 0 Person" not in client.get(CLAIMS).content.decode()


def test_eqa_reads_but_never_changes(client):
    where = make_centre()
    batch = batch_of(where)
    registration = batch.lines.get().registration
    hold = holds.open_hold(actor=where.admin, registration=registration, kind="appeal", reason="x")
    eqa = member(where.centre, Role.EQA)
    client.force_login(eqa)
    url = reverse("certification:claim_batch", args=[batch.pk])
    assert client.get(CLAIMS).status_code == 200
    assert client.get(HOLDS).status_code == 200
    detail = client.get(url)
    assert detail.status_code == 200
    assert "Export the batch" not in detail.content.decode()
    for post in [
        CLAIMS,
        HOLDS,
        reverse("certification:claim_batch_export", args=[batch.pk]),
        reverse("certification:claim_batch_submit", args=[batch.pk]),
        reverse("certification:claim_hold_release", args=[hold.pk]),
        reverse("certification:claim_line_remove", args=[batch.lines.get().pk]),
    ]:
        assert client.post(post, {"note": "x", "reference": "x"}).status_code == 403
    batch.refresh_from_db()
    assert batch.state == BatchState.DRAFT


def test_home_pages_link_to_claims(client):
    where = make_centre()
    client.force_login(where.admin)
    assert CLAIMS in client.get("/").content.decode()
    client.force_login(member(where.centre, Role.EQA))
    assert HOLDS in client.get("/").content.decode()


# ---------------------------------------------------------------- query counts


def _populate(where, size: int) -> ClaimBatch:
    for n in range(size):
        learner_on(where, name=f"Waiting {n} Person", iv_signed=False)
        learner_on(
            where,
            name=f"Unit {n} Person",
            status=RegistrationStatus.WITHDRAWN,
            iv_signed=False,
            iv_units=1,
        )
        holds.open_hold(
            actor=where.admin,
            registration=learner_on(where, name=f"Held {n} Person"),
            kind="appeal",
            reason="x",
        )
    return batch_of(where, size)


@pytest.mark.parametrize("size", [3, 12])
def test_claims_page_query_count_is_fixed(client, django_assert_num_queries, size):
    where = make_centre()
    _populate(where, size)
    for n in range(size):
        learner_on(where, name=f"Ready {n} Person")
    client.force_login(where.admin)
    # Session, user and role; the qualifications to filter by; each of the four lists counted
    # and paged; the facts behind the rows shown (holds, IV sign-offs, unit sign-offs, lines,
    # credit transfers); the batches.
    with django_assert_num_queries(17):
        response = client.get(CLAIMS)
    assert response.content.decode().count('name="claim"') == 2 * size


@pytest.mark.parametrize("size", [3, 12])
def test_batch_page_query_count_is_fixed(client, django_assert_num_queries, size):
    where = make_centre()
    batch = _populate(where, size)
    client.force_login(where.admin)
    # Session, user and role; the batch; its lines counted (live and removed), the page's
    # count and its rows.
    with django_assert_num_queries(7):
        response = client.get(reverse("certification:claim_batch", args=[batch.pk]))
    assert response.content.decode().count("Take off the batch") == size


@pytest.mark.parametrize("size", [3, 12])
def test_holds_page_query_count_is_fixed(client, django_assert_num_queries, size):
    where = make_centre()
    _populate(where, size)
    client.force_login(where.admin)
    with django_assert_num_queries(5):
        response = client.get(HOLDS)
    assert response.content.decode().count("Release the hold") == size


def test_an_eqa_limited_to_one_qualification_sees_only_its_claims_and_holds(client):
    from accounts.models import Membership
    from qualifications.models import Qualification
    from tests.certification.claim_cases import PEARSON

    where = make_centre()
    learner_on(where, name="Ian Imi")
    pearson = learner_on(where, name="Pat Pearson", qualification=PEARSON)
    holds.open_hold(actor=where.admin, registration=pearson, kind="appeal", reason="Pending.")
    eqa = member(where.centre, Role.EQA)
    Membership.objects.get(user=eqa).qualifications.add(Qualification.objects.get(number=IMI))
    client.force_login(eqa)
    page = client.get(CLAIMS).content.decode()
    assert "Ian Imi" in page
    assert "Pat Pearson" not in page
    assert "Pat Pearson" not in client.get(HOLDS).content.decode()


def test_an_eqa_limited_to_other_qualifications_sees_no_count_of_a_batchs_lines(client):
    """The batch list counts lines as the batch page shows them: an EQA whose grant names only
    Pearson's qualification sees an IMI batch with 0 lines, not how many learners it claims."""
    from accounts.models import Membership
    from qualifications.models import Qualification
    from tests.certification.claim_cases import PEARSON

    where = make_centre()
    batch = batch_of(where, 2)
    limited = member(where.centre, Role.EQA)
    Membership.objects.get(user=limited).qualifications.add(
        Qualification.objects.get(number=PEARSON)
    )
    whole = member(where.centre, Role.EQA)

    def lines_shown(user) -> list[str]:
        client.force_login(user)
        page = client.get(CLAIMS).content.decode()
        return re.findall(r'<td data-label="Lines">(\d+)</td>', page)

    assert lines_shown(where.admin) == ["2"]
    assert lines_shown(whole) == ["2"]
    assert lines_shown(limited) == ["0"]
    assert batch.lines.count() == 2
