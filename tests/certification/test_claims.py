"""Certification claims: eligibility and its reasons, holds, batches, and the claim file."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import IntegrityError, transaction

from certification import claims, eligibility, holds
from certification.models import BatchState, ClaimHold, ClaimLine, HoldKind
from certification.profiles import DEFAULT, pearson_name
from certification.profiles import PEARSON as PEARSON_PROFILE
from core.audit import verify_chain
from core.models import AuditEvent
from portfolios.models import RegistrationStatus
from tests.certification.claim_cases import (
    IMI,
    PEARSON,
    SFJ,
    first_signed_on,
    learner_on,
    make_centre,
    units_of,
)
from tests.support import clock
from tests.support.audit import truncate_audit_chain
from verification.models.sample import VerifierSignOff

pytestmark = pytest.mark.django_db


def overview(where, today=None):
    return eligibility.claim_overview(centre_id=where.centre.pk, today=today or clock.today())


def reasons_of(where, registration, today=None):
    view = overview(where, today)
    for candidate in view.full_eligible + view.full_waiting:
        if candidate.registration.pk == registration.pk:
            return candidate.reasons
    raise AssertionError("not listed")


def add(where, *items):
    return claims.add_to_claim(actor=where.admin, centre_id=where.centre.pk, items=list(items))


def read_csv(batch) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(claims.export_rows(batch)))))


# ---------------------------------------------------------------- eligibility


def test_complete_and_signed_off_is_eligible_with_its_units_and_date():
    today = clock.today()
    signed_on = first_signed_on(today)
    where = make_centre()
    registration = learner_on(where, signed_units=2)
    view = overview(where)
    assert [c.registration.pk for c in view.full_eligible] == [registration.pk]
    candidate = view.full_eligible[0]
    assert candidate.unit_references == [u.reference or u.key for u in units_of(IMI)]
    assert candidate.achievement_date == signed_on + datetime.timedelta(days=1)


def test_no_iv_sign_off_is_a_reason():
    where = make_centre()
    registration = learner_on(where, iv_signed=False)
    assert reasons_of(where, registration) == ["No summative IV sign-off"]


def test_active_registrations_are_not_listed_for_a_full_claim():
    where = make_centre()
    learner_on(where, status=RegistrationStatus.ACTIVE)
    view = overview(where)
    assert view.full_eligible == []
    assert view.full_waiting == []


def test_qualification_past_certification_end_says_so():
    where = make_centre()
    registration = learner_on(where, qualification=SFJ)
    assert reasons_of(where, registration) == [
        "The qualification's certification end date was 31 March 2023: it can no longer be claimed"
    ]


def test_pearson_ten_weeks_boundary_day():
    where = make_centre()
    start = datetime.date(2026, 11, 25)
    registration = learner_on(where, qualification=PEARSON, start=start)
    claimable = datetime.date(2027, 2, 3)
    assert reasons_of(where, registration, claimable - datetime.timedelta(days=1)) == [
        "Pearson asks for 10 weeks from registration: claimable from 3 February 2027"
    ]
    assert reasons_of(where, registration, claimable) == []


def test_other_awarding_bodies_have_no_minimum_wait():
    today = clock.today()
    where = make_centre()
    registration = learner_on(where, qualification=IMI, start=today)
    assert reasons_of(where, registration) == []


def test_open_hold_blocks_and_says_why_and_release_unblocks():
    where = make_centre()
    registration = learner_on(where)
    hold = holds.open_hold(
        actor=where.iv,
        registration=registration,
        kind=HoldKind.APPEAL,
        reason="The learner appealed unit 2's decision.",
    )
    assert reasons_of(where, registration) == [
        "Open hold: appeal open — The learner appealed unit 2's decision."
    ]
    with pytest.raises(claims.ClaimError, match="appeal open"):
        add(where, (registration.pk, None))
    holds.release_hold(actor=where.admin, hold=hold, note="Appeal dismissed.")
    assert reasons_of(where, registration) == []
    assert len(add(where, (registration.pk, None))) == 1


def test_a_unit_hold_blocks_the_full_claim_and_that_unit_only():
    where = make_centre()
    registration = learner_on(where, status=RegistrationStatus.ACTIVE, iv_units=2)
    first, second = units_of(IMI)
    holds.open_hold(
        actor=where.admin,
        registration=registration,
        unit=first,
        kind=HoldKind.MALPRACTICE,
        reason="Copied work suspected.",
    )
    view = overview(where)
    assert [c.unit.pk for c in view.unit_eligible] == [second.pk]
    assert view.unit_waiting[0].reasons == [
        "Open hold: malpractice investigation — Copied work suspected."
    ]


def test_hold_needs_a_reason_a_role_and_a_unit_of_the_learner():
    where = make_centre()
    registration = learner_on(where)
    with pytest.raises(claims.ClaimError, match="Say why"):
        holds.open_hold(actor=where.admin, registration=registration, kind="appeal", reason=" ")
    with pytest.raises(claims.ClaimError, match="admins and internal verifiers"):
        holds.open_hold(actor=where.assessor, registration=registration, kind="appeal", reason="x")
    stranger = units_of(PEARSON, 1)[0]
    with pytest.raises(claims.ClaimError, match="not one of the learner's units"):
        holds.open_hold(
            actor=where.admin, registration=registration, unit=stranger, kind="appeal", reason="x"
        )


def test_release_is_for_admins_with_a_note_and_only_once():
    where = make_centre()
    registration = learner_on(where)
    hold = holds.open_hold(
        actor=where.iv, registration=registration, kind="special_consideration", reason="Ill."
    )
    with pytest.raises(claims.ClaimError, match="admins"):
        holds.release_hold(actor=where.iv, hold=hold, note="ok")
    with pytest.raises(claims.ClaimError, match="Say why"):
        holds.release_hold(actor=where.admin, hold=hold, note="")
    holds.release_hold(actor=where.admin, hold=hold, note="Granted.")
    with pytest.raises(claims.ClaimError, match="already released"):
        holds.release_hold(actor=where.admin, hold=hold, note="Again.")
    assert ClaimHold.objects.filter(pk=hold.pk).exists()  # never deleted
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"claim.hold_opened", "claim.hold_released"} <= actions


def test_unit_only_claims_need_both_sign_offs_and_a_registration_not_complete():
    today = clock.today()
    signed_on = first_signed_on(today)
    where = make_centre()
    left = learner_on(
        where, name="Leo Left", status=RegistrationStatus.WITHDRAWN, iv_signed=False, iv_units=1
    )
    learner_on(where, name="Cat Complete", iv_units=2)
    view = overview(where)
    assert [(c.registration.pk, c.unit.pk) for c in view.unit_eligible] == [
        (left.pk, units_of(IMI)[0].pk)
    ]
    line = add(where, (left.pk, units_of(IMI)[0].pk))[0]
    assert line.unit_references == [units_of(IMI)[0].reference or units_of(IMI)[0].key]
    assert line.achievement_date == signed_on


def test_an_unlocked_assessor_sign_off_makes_a_unit_unclaimable():
    where = make_centre()
    registration = learner_on(where, status=RegistrationStatus.ACTIVE, iv_signed=False, iv_units=1)
    registration.sign_offs.update(unlocked_at=datetime.datetime.now(datetime.UTC))
    assert overview(where).unit_eligible == []


# ---------------------------------------------------------------- never twice


def test_never_claimed_twice_by_the_service():
    where = make_centre()
    registration = learner_on(where)
    add(where, (registration.pk, None))
    claims.export_batch(actor=where.admin, batch=ClaimLine.objects.get().batch)
    with pytest.raises(claims.ClaimError, match="Already on claim batch"):
        add(where, (registration.pk, None))
    assert ClaimLine.objects.count() == 1


def test_adding_twice_to_the_draft_adds_once():
    where = make_centre()
    registration = learner_on(where)
    assert len(add(where, (registration.pk, None), (registration.pk, None))) == 1
    assert add(where, (registration.pk, None)) == []
    assert ClaimLine.objects.live().count() == 1


def test_the_database_refuses_a_second_live_line():
    today = clock.today()
    where = make_centre()
    registration = learner_on(where, status=RegistrationStatus.ACTIVE, iv_units=1)
    unit = units_of(IMI)[0]
    line = add(where, (registration.pk, unit.pk))[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.create(
            batch=line.batch,
            registration=registration,
            unit=unit,
            achievement_date=today,
            added_by=where.admin,
        )
    full = learner_on(where, name="Fay Full")
    first = add(where, (full.pk, None))[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.create(
            batch=first.batch, registration=full, achievement_date=today, added_by=where.admin
        )


def test_a_removed_line_may_be_claimed_again():
    where = make_centre()
    registration = learner_on(where)
    line = add(where, (registration.pk, None))[0]
    claims.remove_line(actor=where.admin, line=line)
    assert reasons_of(where, registration) == []
    assert len(add(where, (registration.pk, None))) == 1
    assert ClaimLine.objects.count() == 2


def test_one_draft_batch_per_awarding_body():
    where = make_centre()
    imi = learner_on(where, name="Ian Imi")
    pearson = learner_on(where, name="Pat Pearson", qualification=PEARSON)
    other = learner_on(where, name="Olga Other")
    lines = add(where, (imi.pk, None), (pearson.pk, None), (other.pk, None))
    batches = {line.batch for line in lines}
    assert len(batches) == 2
    assert {b.awarding_body.code for b in batches} == {"IMI", "PEARSON"}


def test_another_centres_registration_cannot_be_added():
    where, elsewhere = make_centre(), make_centre()
    registration = learner_on(elsewhere)
    with pytest.raises(claims.ClaimError, match="not registered at this centre"):
        add(where, (registration.pk, None))
    with pytest.raises(claims.ClaimError, match="admins"):
        claims.add_to_claim(actor=where.admin, centre_id=elsewhere.centre.pk, items=[(1, None)])


# ---------------------------------------------------------------- the batch's life


def test_export_refuses_a_stale_batch_naming_the_learner():
    where = make_centre()
    registration = learner_on(where, name="Rita Reopened")
    held = learner_on(where, name="Hal Held")
    line = add(where, (registration.pk, None), (held.pk, None))[0]
    registration.status = RegistrationStatus.ACTIVE  # a referral reopened it
    registration.save()
    holds.open_hold(actor=where.admin, registration=held, kind="appeal", reason="Appealed.")
    with pytest.raises(claims.ClaimError) as refused:
        claims.export_batch(actor=where.admin, batch=line.batch)
    assert "Rita Reopened (601/3456/2): The registration is active" in str(refused.value)
    assert "Hal Held (601/3456/2): Open hold: appeal open — Appealed." in str(refused.value)
    line.batch.refresh_from_db()
    assert line.batch.state == BatchState.DRAFT


def test_export_refuses_an_empty_batch():
    where = make_centre()
    registration = learner_on(where)
    line = add(where, (registration.pk, None))[0]
    claims.remove_line(actor=where.admin, line=line)
    with pytest.raises(claims.ClaimError, match="no lines"):
        claims.export_batch(actor=where.admin, batch=line.batch)


def test_the_whole_life_of_a_batch_moves_the_registrations():
    today = clock.today()
    where = make_centre()
    full = learner_on(where, name="Fay Full")
    left = learner_on(
        where, name="Leo Left", status=RegistrationStatus.WITHDRAWN, iv_signed=False, iv_units=1
    )
    lines = add(where, (full.pk, None), (left.pk, units_of(IMI)[0].pk))
    batch = lines[0].batch
    with pytest.raises(claims.ClaimError, match="cannot be marked submitted"):
        claims.submit_batch(actor=where.admin, batch=batch, reference="X1")
    claims.export_batch(actor=where.admin, batch=batch)
    first_file = read_csv(batch)
    with pytest.raises(claims.ClaimError, match="only while it is a draft"):
        claims.remove_line(actor=where.admin, line=lines[0])
    with pytest.raises(claims.ClaimError, match="reference"):
        claims.submit_batch(actor=where.admin, batch=batch, reference=" ")
    claims.submit_batch(actor=where.admin, batch=batch, reference="EOL-42")
    full.refresh_from_db()
    left.refresh_from_db()
    assert full.status == RegistrationStatus.CLAIMED
    assert left.status == RegistrationStatus.WITHDRAWN
    assert read_csv(batch) == first_file  # the file stays the same after export
    claims.record_certificates(
        actor=where.admin,
        batch=batch,
        line=lines[0],
        certificate_number="C-1",
        received_on=today,
    )
    with pytest.raises(claims.ClaimError, match="already recorded"):
        claims.record_certificates(actor=where.admin, batch=batch, line=lines[0], received_on=today)
    full.refresh_from_db()
    batch.refresh_from_db()
    assert full.status == RegistrationStatus.CERTIFICATED
    assert batch.state == BatchState.SUBMITTED
    claims.record_certificates(actor=where.admin, batch=batch, received_on=today)
    batch.refresh_from_db()
    assert batch.state == BatchState.CERTIFICATES_RECEIVED
    assert ClaimLine.objects.get(pk=lines[0].pk).certificate_number == "C-1"
    assert ClaimLine.objects.filter(certificate_received_on=today).count() == 2
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    for action in [
        "claim.batch_created",
        "claim.line_added",
        "claim.batch_exported",
        "claim.batch_submitted",
        "claim.certificate_received",
        "claim.batch_certificated",
        "registration.status_changed",
    ]:
        assert action in actions
    assert actions.count("claim.certificate_received") == 2


def test_submitting_moves_the_registrations_at_once_whatever_their_number(
    django_assert_max_num_queries,
):
    where = make_centre()
    counts = []
    for size in (1, 3):
        registrations = [learner_on(where, name=f"Learner {size} {n}") for n in range(size)]
        batch = add(where, *((r.pk, None) for r in registrations))[0].batch
        claims.export_batch(actor=where.admin, batch=batch)
        with django_assert_max_num_queries(50) as queries:
            claims.submit_batch(actor=where.admin, batch=batch, reference=f"R{size}")
        counts.append(len(queries.captured_queries))
        assert {
            r.status for r in type(registrations[0]).objects.filter(claim_lines__batch=batch)
        } == {RegistrationStatus.CLAIMED}

    assert counts[0] == counts[1]


def test_a_batch_whose_learner_may_no_longer_be_claimed_is_not_submitted():
    where = make_centre()
    ready = learner_on(where, name="Rita Ready")
    reopened = learner_on(where, name="Otto Reopened")
    batch = add(where, (ready.pk, None), (reopened.pk, None))[0].batch
    claims.export_batch(actor=where.admin, batch=batch)
    # Set up around the services: a registration no longer complete once the file went out.
    type(reopened).objects.filter(pk=reopened.pk).update(status=RegistrationStatus.ACTIVE)
    events = AuditEvent.objects.count()

    with pytest.raises(claims.ClaimError) as refused:
        claims.submit_batch(actor=where.admin, batch=batch, reference="AB-2")

    assert str(refused.value) == (
        "Otto Reopened: A registration that is active cannot become claimed."
    )
    ready.refresh_from_db()
    batch.refresh_from_db()
    assert ready.status == RegistrationStatus.COMPLETE
    assert batch.state == BatchState.EXPORTED
    assert AuditEvent.objects.count() == events


def test_exporting_twice_changes_nothing():
    where = make_centre()
    registration = learner_on(where)
    batch = add(where, (registration.pk, None))[0].batch
    claims.export_batch(actor=where.admin, batch=batch)
    exported_at = type(batch).objects.get(pk=batch.pk).exported_at
    claims.export_batch(actor=where.admin, batch=batch)
    assert type(batch).objects.get(pk=batch.pk).exported_at == exported_at
    assert AuditEvent.objects.filter(action="claim.batch_exported").count() == 1


def test_an_export_keeps_its_own_audit_event_as_a_checkpoint():
    where = make_centre()
    registration = learner_on(where)
    batch = add(where, (registration.pk, None))[0].batch

    claims.export_batch(actor=where.admin, batch=batch)

    batch.refresh_from_db()
    exported = AuditEvent.objects.get(action="claim.batch_exported")
    assert (batch.exported_audit_sequence, batch.exported_audit_hash) == (
        exported.sequence,
        exported.hash,
    )


def test_deleting_audit_events_back_past_an_export_is_reported():
    where = make_centre()
    registration = learner_on(where)
    batch = claims.export_batch(
        actor=where.admin, batch=add(where, (registration.pk, None))[0].batch
    )
    claims.submit_batch(actor=where.admin, batch=batch, reference="AB-1")
    assert verify_chain() == []

    # Hide the export and everything after it.
    truncate_audit_chain(keep=batch.exported_audit_sequence - 1)

    (problem,) = verify_chain()
    assert f"in claim batch {batch.pk}'s export recorded sequence" in problem
    assert problem.endswith("events are missing") or problem.endswith("event is missing")


# ---------------------------------------------------------------- the file


def test_default_profile_columns_and_values():
    today = clock.today()
    signed_on = first_signed_on(today)
    where = make_centre()
    registration = learner_on(where, name="Mary Ann Smith", number="IMI-77", uln="9876543210")
    batch = add(where, (registration.pk, None))[0].batch
    claims.export_batch(actor=where.admin, batch=batch)
    header, row = read_csv(batch)
    assert header == DEFAULT.headers
    refs = ";".join(u.reference or u.key for u in units_of(IMI))
    achieved = (signed_on + datetime.timedelta(days=1)).isoformat()
    assert row == [
        where.centre.number,
        "IMI-77",
        "9876543210",
        "Smith",
        "Mary Ann",
        "1995-05-17",
        IMI,
        refs,
        "Pass",
        achieved,
    ]
    assert claims.export_filename(batch) == f"claim-{where.centre.number}-IMI-{batch.pk}.csv"


def test_pearson_profile_upper_case_without_diacritics_and_claim_types():
    today = clock.today()
    signed_on = first_signed_on(today)
    where = make_centre()
    start = today - datetime.timedelta(weeks=11)
    full = learner_on(where, name="Zoë O’Brien-Núñez", qualification=PEARSON, start=start)
    left = learner_on(
        where,
        name="Jürgen Groß",
        qualification=PEARSON,
        start=start,
        status=RegistrationStatus.ACTIVE,
        iv_signed=False,
        iv_units=1,
    )
    unit = units_of(PEARSON)[0]
    batch = add(where, (full.pk, None), (left.pk, unit.pk))[0].batch
    claims.export_batch(actor=where.admin, batch=batch)
    header, *rows = read_csv(batch)
    assert header == PEARSON_PROFILE.headers
    by_surname = {row[3]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_surname) == {"O'BRIEN-NUNEZ", "GROSS"}
    zoe, jurgen = by_surname["O'BRIEN-NUNEZ"], by_surname["GROSS"]
    assert zoe["First names"] == "ZOE"
    assert zoe["Date of birth"] == "17/05/1995"
    assert zoe["Claim type"] == "Full award"
    assert zoe["Grade"] == "P"
    assert jurgen["Claim type"] == "Interim"
    assert jurgen["Unit references"] == (unit.reference or unit.key)
    assert jurgen["Achievement date"] == signed_on.strftime("%d/%m/%Y")


def test_pearson_names_keep_only_the_allowed_characters():
    assert pearson_name("  Anne-Marie  d'Arc (Jr.) ") == "ANNE-MARIE D'ARC (JR.)"
    assert pearson_name("Łukasz Søren 李") == "LUKASZ SOREN"


def test_formula_cells_get_a_leading_apostrophe():
    where = make_centre()
    registration = learner_on(where, name="=HYPERLINK(1) @SUM(2)", number="+44")
    batch = add(where, (registration.pk, None))[0].batch
    claims.export_batch(actor=where.admin, batch=batch)
    _, row = read_csv(batch)
    assert row[1] == "'+44"
    assert row[3] == "'@SUM(2)"
    assert row[4] == "'=HYPERLINK(1)"


def test_done_when_the_file_lists_exactly_the_eligible_learners_and_units():
    today = clock.today()
    where = make_centre()
    elsewhere = make_centre()
    eligible = learner_on(where, name="Ella Eligible", number="E-1")
    held = learner_on(where, name="Hugo Held", number="H-1")
    holds.open_hold(actor=where.iv, registration=held, kind="malpractice", reason="Checking.")
    learner_on(where, name="Nina Notsigned", iv_signed=False, number="N-1")
    learner_on(
        where,
        name="Tom Toosoon",
        qualification=PEARSON,
        start=today - datetime.timedelta(weeks=4),
        number="T-1",
    )
    learner_on(where, name="Ursula Ended", qualification=SFJ, number="S-1")
    leaver = learner_on(
        where,
        name="Len Leaver",
        status=RegistrationStatus.WITHDRAWN,
        iv_signed=False,
        iv_units=1,
        number="L-1",
    )
    learner_on(where, name="Ann Active", status=RegistrationStatus.ACTIVE, number="A-1")
    learner_on(elsewhere, name="Otto Othercentre", number="O-1")
    view = overview(where)
    items = [(c.registration.pk, c.unit.pk if c.unit else None) for c in view.full_eligible]
    items += [(c.registration.pk, c.unit.pk) for c in view.unit_eligible]
    add(where, *items)
    batches = {line.batch for line in ClaimLine.objects.all()}
    assert len(batches) == 1
    batch = batches.pop()
    claims.export_batch(actor=where.admin, batch=batch)
    _, *rows = read_csv(batch)
    unit = units_of(IMI)[0]
    assert sorted((row[1], row[7]) for row in rows) == [
        ("E-1", ";".join(u.reference or u.key for u in units_of(IMI))),
        ("L-1", unit.reference or unit.key),
    ]
    waiting = {c.registration.learner.full_name for c in view.full_waiting}
    assert waiting == {"Hugo Held", "Nina Notsigned", "Tom Toosoon", "Ursula Ended"}
    assert {c.registration.pk for c in view.full_eligible} == {eligible.pk}
    assert {c.registration.pk for c in view.unit_eligible} == {leaver.pk}


def test_export_refuses_a_unit_line_once_the_registration_is_complete():
    where = make_centre()
    registration = learner_on(
        where, name="Cleo Completed", status=RegistrationStatus.ACTIVE, iv_units=1
    )
    unit = units_of(IMI)[0]
    batch = add(where, (registration.pk, unit.pk))[0].batch
    registration.status = RegistrationStatus.COMPLETE
    registration.save()
    with pytest.raises(claims.ClaimError) as refused:
        claims.export_batch(actor=where.admin, batch=batch)
    assert (
        f"Cleo Completed (unit {unit.reference or unit.key} of 601/3456/2): The registration is "
        "complete: unit-only claims are for learners who leave early." in str(refused.value)
    )


def test_every_download_is_the_file_exported_even_after_a_learner_is_corrected():
    """The learner's details are frozen on the lines at export: a name or ULN corrected later
    does not change the file the centre sent."""
    where = make_centre()
    registration = learner_on(where, name="Mary Smith", uln="9876543210")
    batch = add(where, (registration.pk, None))[0].batch
    claims.export_batch(actor=where.admin, batch=batch)
    sent = "".join(claims.export_rows(batch))
    assert "Mary" in sent
    assert "9876543210" in sent

    learner = registration.learner
    learner.full_name = "Mary Jones"
    learner.save()
    learner.learner_profiles.update(uln="1111111111")

    assert "".join(claims.export_rows(batch)) == sent


def test_a_voided_iv_sign_off_is_no_sign_off():
    # A unit unlocked after the IV signed off voids that sign-off (verification.samples).
    where = make_centre()
    registration = learner_on(where)
    VerifierSignOff.objects.filter(registration=registration).update(
        voided_at=datetime.datetime.now(datetime.UTC), void_reason="Unit unlocked."
    )
    assert reasons_of(where, registration) == ["No summative IV sign-off"]
