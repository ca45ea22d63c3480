"""Claims at the size of a large centre: the page's lists in SQL (paged, filtered) agree with
the reasons in words, adding is set-wise and bulk, and two admins at once claim a learner once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from certification import claims, eligibility, holds, queries
from certification.models import ClaimLine, HoldKind
from certification.queries import ClaimFilter
from certification.views import claims as claim_views
from core import audit
from core.audit import verify_chain
from core.models import AuditEvent
from portfolios.models import Registration, RegistrationStatus
from tests.certification.claim_cases import IMI, PEARSON, SFJ, learner_on, make_centre, units_of
from tests.services import in_ci
from tests.support import clock
from verification.models.sample import VerifierSignOff

# The catalogue asked for: a transactional test earlier in the same worker may have emptied it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

CLAIMS = reverse("certification:claims")


def every_case(where):
    """One registration or unit for each way a claim can stand."""
    today = clock.today()
    made = {
        "ready": learner_on(where, name="Ada Ready"),
        "no iv": learner_on(where, name="Ben NoIv", iv_signed=False),
        "held": learner_on(where, name="Cal Held"),
        "unit held": learner_on(where, name="Dee UnitHeld"),
        "released": learner_on(where, name="Eve Released"),
        "ended": learner_on(where, name="Fin Ended", qualification=SFJ),
        "pearson early": learner_on(
            where,
            name="Gus Early",
            qualification=PEARSON,
            start=today - datetime.timedelta(weeks=9),
        ),
        "pearson waited": learner_on(
            where,
            name="Hal Waited",
            qualification=PEARSON,
            start=today - datetime.timedelta(weeks=10),
        ),
        "on draft": learner_on(where, name="Ida Drafted"),
        "removed": learner_on(where, name="Jo Removed"),
        "active": learner_on(where, name="Kim Active", status=RegistrationStatus.ACTIVE),
        "voided": learner_on(where, name="Lu Voided"),
        "leaver": learner_on(
            where,
            name="Max Leaver",
            status=RegistrationStatus.WITHDRAWN,
            iv_signed=False,
            iv_units=2,
        ),
        "leaver held": learner_on(
            where,
            name="Ned LeaverHeld",
            status=RegistrationStatus.ACTIVE,
            iv_signed=False,
            iv_units=1,
        ),
        "leaver ended": learner_on(
            where,
            name="Olu LeaverEnded",
            qualification=SFJ,
            status=RegistrationStatus.WITHDRAWN,
            iv_signed=False,
            iv_units=1,
        ),
    }
    first, second = units_of(IMI)
    hold = {"actor": where.admin, "kind": HoldKind.APPEAL, "reason": "Appealed."}
    holds.open_hold(registration=made["held"], **hold)
    holds.open_hold(registration=made["unit held"], unit=second, **hold)
    released = holds.open_hold(registration=made["released"], **hold)
    holds.release_hold(actor=where.admin, hold=released, note="Cleared.")
    holds.open_hold(registration=made["leaver held"], unit=first, **hold)
    claims.add_to_claim(
        actor=where.admin,
        centre_id=where.centre.pk,
        items=[
            (made["on draft"].pk, None),
            (made["removed"].pk, None),
            (made["leaver"].pk, first.pk),
        ],
    )
    claims.remove_line(actor=where.admin, line=ClaimLine.objects.get(registration=made["removed"]))
    VerifierSignOff.objects.filter(registration=made["voided"], unit=None).update(
        voided_at=datetime.datetime.now(datetime.UTC)
    )
    return made


def ids(rows) -> set[tuple[int, int | None]]:
    out = set()
    for row in rows:
        if isinstance(row, Registration):
            out.add((row.pk, None))
        elif isinstance(row, eligibility.Candidate):
            out.add((row.registration.pk, row.unit.pk if row.unit else None))
        else:
            out.add((row.registration_id, row.unit_id))
    return out


@pytest.mark.parametrize("days", [0, 1])
def test_the_lists_in_sql_agree_with_the_reasons_in_words_for_every_case(days):
    where = make_centre()
    every_case(where)
    today = clock.today() + datetime.timedelta(days=days)
    words = eligibility.claim_overview(centre_id=where.centre.pk, today=today)
    sql = {"centre_id": where.centre.pk, "today": today}
    assert ids(queries.full_ready(**sql)) == ids(words.full_eligible)
    assert ids(queries.full_waiting(**sql)) == ids(words.full_waiting)
    assert ids(queries.units_ready(**sql)) == ids(words.unit_eligible)
    assert ids(queries.units_waiting(**sql)) == ids(words.unit_waiting)
    # And the cases land where a centre admin expects them.
    names = {c.registration.learner.full_name for c in words.full_eligible}
    assert names == {"Ada Ready", "Eve Released", "Hal Waited", "Jo Removed"}
    waiting = {c.registration.learner.full_name for c in words.full_waiting}
    assert waiting == {
        "Ben NoIv",
        "Cal Held",
        "Dee UnitHeld",
        "Fin Ended",
        "Gus Early",
        "Lu Voided",
    }


def test_the_filter_narrows_by_qualification_name_uln_and_registration_number():
    today = clock.today()
    where = make_centre()
    ana = learner_on(where, name="Ana Lima", uln="1111111111", number="REG-1")
    bo = learner_on(where, name="Bo Chen", uln="2222222222", number="REG-2")
    pat = learner_on(where, name="Pat Pearson", qualification=PEARSON, uln="3333333333")

    def found(**kwargs) -> set[int]:
        rows = queries.full_ready(centre_id=where.centre.pk, today=today, flt=ClaimFilter(**kwargs))
        return {r.pk for r in rows}

    assert found() == {ana.pk, bo.pk, pat.pk}
    assert found(q="lima") == {ana.pk}
    assert found(q="2222222222") == {bo.pk}
    assert found(q="reg-1") == {ana.pk}
    assert found(qualification_id=pat.qualification_id) == {pat.pk}
    assert found(qualification_id=ana.qualification_id, q="Pearson") == set()


# ---------------------------------------------------------------- adding in bulk


def test_adding_reports_each_reason_and_adds_the_rest_with_an_event_each():
    where = make_centre()
    made = every_case(where)
    claims.export_batch(actor=where.admin, batch=ClaimLine.objects.live().first().batch)
    exported = made["on draft"]  # now on an exported batch: claimed, not addable
    chosen = ["ready", "released", "no iv", "held", "active", "ended", "pearson early"]
    items = [(made[k].pk, None) for k in chosen] + [(exported.pk, None)]
    before = AuditEvent.objects.order_by("pk").last().pk
    result = claims.add_items(
        actor=where.admin, centre_id=where.centre.pk, items=items, all_or_nothing=False
    )
    assert ids(result.added) == {(made["ready"].pk, None), (made["released"].pk, None)}
    refused = dict(result.refused)
    assert refused["Ben NoIv (601/3456/2)"] == ["No summative IV sign-off"]
    assert refused["Cal Held (601/3456/2)"] == ["Open hold: appeal open — Appealed."]
    assert refused["Kim Active (601/3456/2)"][0] == "The registration is active"
    assert "certification end date" in refused["Fin Ended (601/1109/4)"][0]
    assert "10 weeks" in refused["Gus Early (603/5449/5)"][0]
    assert refused["Ida Drafted (601/3456/2)"][0].startswith("Already on claim batch")
    events = AuditEvent.objects.filter(action="claim.line_added", pk__gt=before)
    assert events.count() == 2
    assert {(e.actor_id, e.object_id) for e in events} == {
        (where.admin.pk, str(line.pk)) for line in result.added
    }
    assert {e.data["registration"] for e in events} == {made["ready"].pk, made["released"].pk}
    assert verify_chain() == []


def test_all_or_nothing_names_every_refused_learner_and_adds_nothing():
    where = make_centre()
    good = learner_on(where, name="Ada Ready")
    bad = [learner_on(where, name=f"Nil {n:02d} Signed", iv_signed=False) for n in range(12)]
    items = [(good.pk, None)] + [(r.pk, None) for r in bad]
    with pytest.raises(claims.ClaimError) as refused:
        claims.add_to_claim(actor=where.admin, centre_id=where.centre.pk, items=items)
    message = str(refused.value)
    assert "Nil 00 Signed (601/3456/2) cannot be claimed: No summative IV sign-off." in message
    assert "Nil 09 Signed" in message
    assert "Nil 10 Signed" not in message
    assert "And 2 more cannot be claimed." in message
    assert not ClaimLine.objects.exists()


@pytest.mark.parametrize("size", [2, 10])
def test_adding_costs_the_same_queries_for_2_or_10(django_assert_num_queries, size):
    where = make_centre()
    items = [(learner_on(where, name=f"Learner {n}").pk, None) for n in range(size)]
    claims.add_to_claim(actor=where.admin, centre_id=where.centre.pk, items=items[:1])
    # Registrations locked, their qualifications, five facts (credit transfers the fifth,
    # issue 17), drafts, the lines inserted; the
    # audit chain head locked, the events inserted, the head saved; savepoints around them.
    # None per item. (PostgreSQL writes the events with COPY, which the count does not see.)
    with django_assert_num_queries(17 if connection.vendor == "postgresql" else 18):
        added = claims.add_to_claim(actor=where.admin, centre_id=where.centre.pk, items=items)
    assert len(added) == size - 1


@pytest.mark.parametrize("size", [2, 10])
def test_add_all_costs_the_same_queries_for_2_or_10(django_assert_num_queries, size):
    where = make_centre()
    for n in range(size):
        learner_on(where, name=f"Learner {n}")
    # The audit chain's head as a running database holds it: a transactional test before this
    # one may have emptied the tables, and starting the chain again (4 queries) is not adding.
    with transaction.atomic():
        audit._locked_head()
    # The admin checked (twice: once more on adding); the ready ids; the registrations
    # locked, their qualifications, five facts (issue 17: credit transfers), the drafts
    # (twice: none yet); the draft made
    # and its event (head locked, event, head saved); the lines inserted; the chain head
    # locked and saved around the lines' events; savepoints. None per item. (PostgreSQL
    # writes the events with COPY, which the count does not see.)
    with django_assert_num_queries(25 if connection.vendor == "postgresql" else 26):
        result = claims.add_ready(actor=where.admin, centre_id=where.centre.pk)
    assert len(result.added) == size


def test_each_line_added_has_one_event_with_the_line_as_its_data():
    where = make_centre()
    first, second = units_of(IMI)
    full = [learner_on(where, name=f"Fay {n} Full") for n in range(3)]
    leaver = learner_on(
        where, name="Lee Leaver", status=RegistrationStatus.WITHDRAWN, iv_signed=False, iv_units=2
    )
    items = [(r.pk, None) for r in full] + [(leaver.pk, second.pk), (leaver.pk, first.pk)]

    result = claims.add_items(actor=where.admin, centre_id=where.centre.pk, items=items)

    stored = {line.pk: line for line in ClaimLine.objects.all()}
    assert len(result.added) == len(stored) == 5
    # The lines handed back are the rows written, field for field, in the order asked.
    fields = [f.attname for f in ClaimLine._meta.concrete_fields]
    for line in result.added:
        assert [getattr(line, f) for f in fields] == [getattr(stored[line.pk], f) for f in fields]
    assert [(line.registration_id, line.unit_id) for line in result.added] == items
    events = AuditEvent.objects.filter(action="claim.line_added").order_by("sequence")
    assert [(e.object_type, e.object_id, e.actor_id, e.centre_id, e.data) for e in events] == [
        (
            "certification.claimline",
            str(line.pk),
            where.admin.pk,
            where.centre.pk,
            {"batch": line.batch_id, **line.as_dict()},
        )
        for line in result.added
    ]
    assert stored[result.added[3].pk].unit_references == [second.reference or second.key]
    assert verify_chain() == []


def test_add_ready_adds_every_match_of_the_filter_and_nothing_else():
    where = make_centre()
    imi = [learner_on(where, name=f"Ian {n} Imi") for n in range(3)]
    pearson = learner_on(where, name="Pat Pearson", qualification=PEARSON)
    learner_on(where, name="Ned NoIv", iv_signed=False)
    result = claims.add_ready(
        actor=where.admin,
        centre_id=where.centre.pk,
        flt=ClaimFilter(qualification_id=imi[0].qualification_id),
    )
    assert ids(result.added) == {(r.pk, None) for r in imi}
    assert result.refused == []
    assert not ClaimLine.objects.filter(registration=pearson).exists()
    with pytest.raises(claims.ClaimError, match="No full qualification"):
        claims.add_ready(
            actor=where.admin,
            centre_id=where.centre.pk,
            flt=ClaimFilter(qualification_id=imi[0].qualification_id),
        )
    with pytest.raises(claims.ClaimError, match="admins"):
        claims.add_ready(actor=where.iv, centre_id=where.centre.pk)


# ---------------------------------------------------------------- the page


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(claim_views, "PAGE_SIZE", 2)


def test_the_page_is_paged_and_its_links_keep_the_filter(client, small_pages):
    where = make_centre()
    for name in ["Amy", "Ben", "Cat", "Dan", "Eli"]:
        learner_on(where, name=f"{name} Ready")
    client.force_login(where.admin)
    first = client.get(CLAIMS, {"q": "ready"}).content.decode()
    assert "Amy Ready" in first
    assert "Ben Ready" in first
    assert "Cat Ready" not in first
    assert '<span data-testid="ready-count">5</span>' in first
    assert 'aria-label="Pages of full qualifications ready to claim"' in first
    assert 'href="?q=ready&amp;page=2"' in first
    second = client.get(CLAIMS, {"q": "ready", "page": 2}).content.decode()
    assert "Cat Ready" in second
    assert "Amy Ready" not in second
    filtered = client.get(CLAIMS, {"q": "eli"}).content.decode()
    assert '<span data-testid="ready-count">1</span>' in filtered
    assert "Add all 1 full qualifications ready that match the filter" in filtered


def test_add_all_from_the_page_takes_the_filter_and_every_page(client, small_pages):
    where = make_centre()
    ready = [learner_on(where, name=f"Lee {n} Ready") for n in range(5)]
    other = learner_on(where, name="Zed Other")
    client.force_login(where.admin)
    page = client.post(f"{CLAIMS}?q=lee", {"add": "all"}, follow=True).content.decode()
    assert "5 lines added to the draft claim batches." in page
    assert set(ClaimLine.objects.values_list("registration_id", flat=True)) == {r.pk for r in ready}
    assert not ClaimLine.objects.filter(registration=other).exists()


def test_a_refused_choice_is_shown_again_with_the_boxes_still_ticked(client):
    where = make_centre()
    good = learner_on(where, name="Ada Ready")
    held = learner_on(where, name="Hugo Held")
    client.force_login(where.admin)
    chosen = [f"{good.pk}:0", f"{held.pk}:0"]
    # Held between the admin reading the page and sending it.
    holds.open_hold(actor=where.iv, registration=held, kind="appeal", reason="Appealed.")
    response = client.post(CLAIMS, {"claim": chosen})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Hugo Held (601/3456/2) cannot be claimed: Open hold" in page
    assert f'value="{good.pk}:0" id="claim-{good.pk}:0" checked' in page
    assert not ClaimLine.objects.exists()


def test_the_batch_page_is_paged_and_finds_a_learner(client, small_pages):
    where = make_centre()
    registrations = [learner_on(where, name=f"Lin {n} Line") for n in range(5)]
    lines = claims.add_to_claim(
        actor=where.admin, centre_id=where.centre.pk, items=[(r.pk, None) for r in registrations]
    )
    claims.remove_line(actor=where.admin, line=lines[0])
    url = reverse("certification:claim_batch", args=[lines[0].batch_id])
    client.force_login(where.admin)
    page = client.get(url).content.decode()
    assert '<span data-testid="line-count">4</span>, and 1 taken off' in page
    assert page.count("Take off the batch") == 2
    assert 'aria-label="Pages of the batch\'s lines"' in page
    last = client.get(url, {"page": 3}).content.decode()
    assert "Lin 0 Line" in last
    assert "Removed" in last
    found = client.get(url, {"q": "lin 3"}).content.decode()
    assert found.count("Take off the batch") == 1
    assert "Lin 3 Line" in found


# ---------------------------------------------------------------- two admins at once


@pytest.mark.django_db(transaction=True)
def test_two_admins_adding_the_same_learners_at_once_claim_each_once() -> None:
    if connection.vendor != "postgresql":
        if in_ci():
            pytest.fail("this concurrency test must run on PostgreSQL in CI")
        pytest.skip("needs PostgreSQL's row locks and concurrent transactions")
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    where = make_centre()
    second_admin = make_centre().admin
    from accounts.models import Membership, Role

    Membership.objects.create(user=second_admin, centre=where.centre, role=Role.CENTRE_ADMIN)
    registrations = [learner_on(where, name=f"Twin {n} Claim") for n in range(20)]
    items = [(r.pk, None) for r in registrations]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def attempt(actor: object, order: list) -> None:
        barrier.wait(timeout=30)
        try:
            outcomes.append(
                claims.add_items(
                    actor=actor, centre_id=where.centre.pk, items=order, all_or_nothing=False
                )
            )
        except BaseException as error:  # reported to the test, which then fails
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(where.admin, items)),
        threading.Thread(target=attempt, args=(second_admin, list(reversed(items)))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(o, claims.AddResult) for o in outcomes), outcomes
    added = sorted(len(o.added) for o in outcomes)  # type: ignore[union-attr]
    assert added == [0, 20]
    # The second saw the first's lines: already on the draft, neither refused nor doubled.
    assert sorted(o.already for o in outcomes) == [0, 20]  # type: ignore[union-attr]
    assert ClaimLine.objects.live().count() == 20
    assert AuditEvent.objects.filter(action="claim.line_added").count() == 20
    assert verify_chain() == []
