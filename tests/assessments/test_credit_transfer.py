"""Credit transfer (issue 17, point 6): a unit the learner already achieved, identical to one of
this registration's units (the same unit reference number), counts as achieved here.

SFJ Awards specification section 2.8 (L227): "Credits from identical units that have already
been achieved by the learner may be transferred." Other bodies' documents do not provide for it
(Ascentis L193: equivalences are agreed by the Ascentis office).
"""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from assessments.achievements import gather_content
from assessments.credit import CreditTransferError, record_credit_transfer
from assessments.models.achievement import AchievementKind
from assessments.services import achieved_unit_keys
from core.models import AuditEvent
from portfolios.models import CreditTransfer, Registration, RegistrationStatus, RegistrationUnit
from portfolios.readmodel import refresh_progress
from tests.certification.claim_cases import IMI, SFJ, learner_on, make_centre, units_of
from tests.factories import member
from tests.support import clock

pytestmark = pytest.mark.django_db


def again(earlier: Registration, *, count: int = 3) -> Registration:
    """The same learner on the same qualification again, taking its first `count` units."""
    today = clock.today()
    registration = Registration.objects.create(
        learner=earlier.learner,
        centre=earlier.centre,
        qualification=earlier.qualification,
        start_date=today - datetime.timedelta(days=30),
        internal_verifier=earlier.internal_verifier,
    )
    for unit in units_of(earlier.qualification.number, count):
        RegistrationUnit.objects.create(registration=registration, unit=unit)
    return registration


@pytest.fixture
def sfj():
    where = make_centre()
    earlier = learner_on(
        where,
        name="Wes Withdrawn",
        qualification=SFJ,
        status=RegistrationStatus.WITHDRAWN,
        iv_signed=False,
        signed_units=2,
    )
    return where, earlier, again(earlier)


def test_a_unit_signed_off_on_an_earlier_registration_is_credited(sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    transfer = record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference.lower(),
        source_registration=earlier,
    )
    assert transfer.source_unit_reference == unit.reference
    assert unit.key in achieved_unit_keys(registration)
    with transaction.atomic():
        progress = refresh_progress(registration)
    assert progress.units_signed_off == 1
    event = AuditEvent.objects.get(action="unit.credit_transferred")
    assert "SFJ Awards specification section 2.8" in event.data["rule"]


def test_a_unit_that_is_not_identical_is_refused_naming_sfj_section_2_8(sfj):
    where, earlier, registration = sfj
    first, second = units_of(SFJ, 2)
    with pytest.raises(CreditTransferError) as refused:
        record_credit_transfer(
            actor=where.admin,
            registration=registration,
            unit=first,
            source_unit_reference=second.reference,
            source_registration=earlier,
        )
    message = str(refused.value)
    assert f"is not identical to unit {first.reference}" in message
    assert "SFJ Awards specification section 2.8 (L227)" in message
    assert not CreditTransfer.objects.exists()


def test_a_unit_not_achieved_on_the_earlier_registration_is_refused(sfj):
    where, earlier, registration = sfj
    third = units_of(SFJ, 3)[2]  # the earlier registration signed off only two
    with pytest.raises(CreditTransferError, match="not signed off on the learner's earlier"):
        record_credit_transfer(
            actor=where.admin,
            registration=registration,
            unit=third,
            source_unit_reference=third.reference,
            source_registration=earlier,
        )


def test_a_certificate_from_elsewhere_needs_its_number(sfj):
    today = clock.today()
    where, _, registration = sfj
    unit = units_of(SFJ, 3)[2]
    with pytest.raises(CreditTransferError, match="Give the certificate's number"):
        record_credit_transfer(
            actor=where.admin,
            registration=registration,
            unit=unit,
            source_unit_reference=unit.reference,
            achieved_on=today,
        )
    transfer = record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference,
        certificate_reference="SFJ-000123",
        awarded_by="SFJ Awards, via Eastfield College",
        achieved_on=today - datetime.timedelta(days=400),
    )
    assert transfer.source == "certificate SFJ-000123 from SFJ Awards, via Eastfield College"


def test_the_same_unit_is_credited_once(sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    kwargs = {
        "actor": where.admin,
        "registration": registration,
        "unit": unit,
        "source_unit_reference": unit.reference,
        "source_registration": earlier,
    }
    record_credit_transfer(**kwargs)
    with pytest.raises(CreditTransferError, match="already credited"):
        record_credit_transfer(**kwargs)


def test_a_body_whose_document_does_not_provide_for_it_refuses_with_its_words():
    where = make_centre()
    earlier = learner_on(
        where, qualification=IMI, status=RegistrationStatus.WITHDRAWN, iv_signed=False
    )
    registration = again(earlier)
    unit = units_of(IMI, 1)[0]
    with pytest.raises(CreditTransferError, match="IMI specification: credit transfer is not"):
        record_credit_transfer(
            actor=where.admin,
            registration=registration,
            unit=unit,
            source_unit_reference=unit.reference,
            source_registration=earlier,
        )


def test_only_the_centres_admins_record_one(sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    with pytest.raises(CreditTransferError, match="Only the centre's admins"):
        record_credit_transfer(
            actor=where.iv,
            registration=registration,
            unit=unit,
            source_unit_reference=unit.reference,
            source_registration=earlier,
        )


def test_the_achievement_record_prints_the_credited_unit(sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference,
        source_registration=earlier,
    )
    content = gather_content(registration, kind=AchievementKind.FULL)
    [printed] = content["units"]
    assert printed["achieved"] is True
    assert printed["credit_transfer"]["source"] == "an earlier registration at this centre"


# ---------------------------------------------------------------- the pages


def post(client, registration, **data):
    fields = {f"credit-{name}": value for name, value in data.items()}
    return client.post(reverse("assessments:credit_transfer", args=[registration.pk]), fields)


def test_the_admin_credits_a_unit_from_the_registration_page(client, sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    client.force_login(where.admin)
    page = unescape(
        client.get(reverse("portfolios:registration", args=[registration.pk])).content.decode()
    )
    assert "SFJ Awards specification section 2.8 (L227)" in page
    response = post(
        client,
        registration,
        unit=unit.pk,
        source_unit_reference=unit.reference,
        source_registration=earlier.pk,
    )
    assert response.status_code == 302
    assert CreditTransfer.objects.get().unit == unit


def test_the_page_refuses_a_unit_that_is_not_identical_naming_the_rule(client, sfj):
    where, earlier, registration = sfj
    first, second = units_of(SFJ, 2)
    client.force_login(where.admin)
    response = post(
        client,
        registration,
        unit=first.pk,
        source_unit_reference=second.reference,
        source_registration=earlier.pk,
    )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "only identical units transfer. SFJ Awards specification section 2.8" in page
    assert not CreditTransfer.objects.exists()


def test_an_assessor_is_refused_the_post(client, sfj):
    where, earlier, registration = sfj
    registration.assessors.add(where.assessor)
    unit = units_of(SFJ, 1)[0]
    client.force_login(where.assessor)
    response = post(
        client,
        registration,
        unit=unit.pk,
        source_unit_reference=unit.reference,
        source_registration=earlier.pk,
    )
    assert response.status_code == 403
    assert "Only the centre's admins change" in unescape(response.content.decode())


def test_the_eqa_reads_the_credit_on_the_portfolio_but_has_no_form(client, sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference,
        source_registration=earlier,
    )
    eqa = member(where.centre, Role.EQA)
    client.force_login(eqa)
    portfolio = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
    assert "Units credited by transfer" in portfolio
    assert unit.reference in portfolio
    assert "credited by transfer from an earlier registration at this centre" in portfolio
    detail = client.get(reverse("portfolios:registration", args=[registration.pk])).content.decode()
    assert "Credit the unit" not in detail
    assert post(
        client, registration, unit=unit.pk, source_unit_reference=unit.reference
    ).status_code in (403, 404)


def test_a_credited_unit_is_on_the_full_claim(sfj):
    today = clock.today()
    from certification.eligibility import Facts, full_candidate

    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference,
        source_registration=earlier,
    )
    candidate = full_candidate(registration, Facts.load([registration.pk]), today)
    assert candidate.unit_references == [unit.reference]


def test_a_transfer_recorded_in_error_is_withdrawn_and_kept(client, sfj):
    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    transfer = record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference,
        source_registration=earlier,
    )
    client.force_login(where.admin)
    url = reverse("assessments:credit_transfer_withdraw", args=[registration.pk, transfer.pk])
    refused = client.post(url, {"reason": ""}, follow=True)
    assert "Say why the credit transfer is withdrawn." in unescape(refused.content.decode())
    client.post(url, {"reason": "Wrong learner's certificate."})
    transfer.refresh_from_db()
    assert transfer.withdrawn_by == where.admin
    assert unit.key not in achieved_unit_keys(registration)
    assert AuditEvent.objects.filter(action="unit.credit_transfer_withdrawn").exists()
    page = client.get(reverse("portfolios:registration", args=[registration.pk])).content.decode()
    assert "Wrong learner&#x27;s certificate." in page


def test_the_portfolio_overall_leaves_out_the_credited_units_criteria(sfj):
    from portfolios.progress import unit_summaries

    where, earlier, registration = sfj
    unit = units_of(SFJ, 1)[0]
    before = unit_summaries(registration, decisions={}).progress.total
    record_credit_transfer(
        actor=where.admin,
        registration=registration,
        unit=unit,
        source_unit_reference=unit.reference,
        source_registration=earlier,
    )
    after = unit_summaries(registration, decisions={}, credited={unit.pk}).progress.total
    assert after == before - unit.criteria.count()
    with transaction.atomic():
        progress = refresh_progress(registration)
    assert progress.criteria_required == after
