"""Evidence retention (issue 17, point 7): each awarding body's period, what is past it, and
removing files past it, refused while a claim, a hold (an appeal), a sample or an EQA's access
still needs them.

Ascentis specification L279: "Centres are required to retain all evidence from all learners for
external verification and for 4 weeks afterwards should any appeal be made." Pearson's period is
in its UK Information Manual (specification L460), SFJ, IMI and NCFE state none: the centre
enters its own.
"""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from assessments.models import UnitSignOff
from certification import holds, retention
from certification.models import RetentionPeriod
from core.models import AuditEvent
from portfolios.models import Evidence, EvidenceFile, RegistrationStatus
from qualifications.models import AwardingBody
from tests.certification.claim_cases import IMI, learner_on, make_centre
from tests.factories import member
from tests.support import clock
from verification.models import EqaPageView

pytestmark = pytest.mark.django_db

ASCENTIS = "600/1686/3"
PAGE = reverse("certification:retention")


def finished(where, *, name="Ana Lima", qualification=ASCENTIS, files=1, days_ago=200):
    """A certificated registration, finished `days_ago`, with `files` stored evidence files."""
    today = clock.today()
    registration = learner_on(
        where,
        name=name,
        qualification=qualification,
        status=RegistrationStatus.CERTIFICATED,
        iv_signed=False,
    )
    evidence = Evidence.objects.create(
        registration=registration,
        title="Customer log",
        evidence_date=today - datetime.timedelta(days=days_ago + 30),
        method="product",
        context="real_work_paid",
        status="assessed",
        created_by=registration.learner,
    )
    for n in range(files):
        content = f"evidence {registration.pk} {n}".encode()
        item = EvidenceFile(
            evidence=evidence,
            original_name=f"log-{n}.txt",
            content_type="text/plain",
            size=len(content),
            sha256=f"{registration.pk:032d}{n:032d}",
            uploaded_by=registration.learner,
        )
        item.file.save("upload", ContentFile(content), save=False)
        item.save()
    finished_at = timezone.now() - datetime.timedelta(days=days_ago)
    type(registration).objects.filter(pk=registration.pk).update(updated_at=finished_at)
    registration.refresh_from_db()
    return registration


def eqa_visit(where, *, ended_days_ago: int | None = 100, viewed: bool = True):
    """An EQA whose access to the centre ended `ended_days_ago` (None: still current), who
    opened the centre's pages on their last day (today, if still current) unless not `viewed`."""
    today = clock.today()
    eqa = member(where.centre, Role.EQA, full_name="Eve External")
    if ended_days_ago is not None:
        Membership.objects.filter(user=eqa, role=Role.EQA).update(
            expires_on=today - datetime.timedelta(days=ended_days_ago)
        )
    if viewed:
        EqaPageView.objects.create(
            user=eqa,
            centre=where.centre,
            method="GET",
            path="/",
            status=200,
            viewed_at=timezone.now() - datetime.timedelta(days=ended_days_ago or 0),
        )
    return eqa


def test_each_awarding_body_has_its_period_or_says_it_is_not_stated():
    bodies = {body.code: body for body in AwardingBody.objects.all()}
    assert bodies["ASCENTIS"].retention_weeks == 4
    assert "L279" in bodies["ASCENTIS"].retention_rule
    assert bodies["ASCENTIS"].registration_days == 49
    assert "L249" in bodies["ASCENTIS"].registration_rule
    for code in ("PEARSON", "SFJ", "IMI", "NCFE"):
        assert bodies[code].retention_weeks is None
        assert "the centre must enter its own period" in bodies[code].retention_rule
    assert "UK Information Manual" in bodies["PEARSON"].retention_rule


def test_ascentis_evidence_is_past_retention_4_weeks_after_external_verification():
    today = clock.today()
    where = make_centre()
    finished(where)
    eqa_visit(where, ended_days_ago=29)
    [row] = retention.retention_rows(where.centre)
    assert row.is_past
    assert row.retain_until == today - datetime.timedelta(days=1)


def test_within_the_4_weeks_it_is_kept_and_removal_is_refused_naming_L279():
    where = make_centre()
    registration = finished(where)
    eqa_visit(where, ended_days_ago=10)
    [row] = retention.retention_rows(where.centre)
    assert not row.is_past
    with pytest.raises(retention.RetentionError, match=r"Kept until .*Ascentis specification L279"):
        retention.remove_files(
            actor=where.admin, centre=where.centre, registration_ids=[registration.pk], reason="x"
        )
    assert not EvidenceFile.objects.filter(removed_at__isnull=False).exists()


def test_before_any_external_verification_it_is_kept():
    where = make_centre()
    finished(where)
    [row] = retention.retention_rows(where.centre)
    assert row.waiting.startswith("Not yet externally verified since it finished")


def test_an_open_appeal_refuses_removal():
    where = make_centre()
    registration = finished(where)
    eqa_visit(where)
    holds.open_hold(
        actor=where.admin, registration=registration, kind="appeal", reason="Learner appealed."
    )
    with pytest.raises(retention.RetentionError, match=r"open hold \(appeal open\).*L279"):
        retention.remove_files(
            actor=where.admin, centre=where.centre, registration_ids=[registration.pk], reason="x"
        )


def test_a_current_eqa_access_refuses_removal():
    where = make_centre()
    registration = finished(where)
    eqa_visit(where, ended_days_ago=None, viewed=False)  # access open, not yet verified
    with pytest.raises(retention.RetentionError, match="external quality assurer's access is open"):
        retention.remove_files(
            actor=where.admin, centre=where.centre, registration_ids=[registration.pk], reason="x"
        )


def test_a_new_eqa_access_does_not_hold_evidence_already_verified_and_past_the_4_weeks():
    # L279: kept "for external verification and for 4 weeks afterwards", not for every visit.
    where = make_centre()
    finished(where)
    eqa_visit(where, ended_days_ago=100)
    eqa_visit(where, ended_days_ago=None, viewed=False)
    [row] = retention.retention_rows(where.centre)
    assert row.is_past


def test_bodies_that_state_no_period_wait_for_the_centre_to_enter_one():
    where = make_centre()
    registration = finished(where, qualification=IMI)
    eqa_visit(where)
    [row] = retention.retention_rows(where.centre)
    assert row.waiting.startswith("No retention period yet: IMI specification")
    imi = AwardingBody.objects.get(code="IMI")
    retention.set_period(
        actor=where.admin, centre=where.centre, awarding_body=imi, weeks=8, source="Policy p.3"
    )
    [row] = retention.retention_rows(where.centre)
    assert row.is_past
    assert row.weeks == 8
    # A new period supersedes the old; nothing is deleted.
    retention.set_period(
        actor=where.admin, centre=where.centre, awarding_body=imi, weeks=52, source="Policy p.4"
    )
    assert RetentionPeriod.objects.filter(centre=where.centre).count() == 2
    [row] = retention.retention_rows(where.centre)
    assert not row.is_past
    assert registration.pk == row.registration.pk


def test_a_centre_cannot_change_a_period_the_body_sets():
    where = make_centre()
    with pytest.raises(retention.RetentionError, match="cannot change it: Ascentis specification"):
        retention.set_period(
            actor=where.admin,
            centre=where.centre,
            awarding_body=AwardingBody.objects.get(code="ASCENTIS"),
            weeks=1,
            source="ours",
        )


def test_removal_keeps_the_rows_hashes_and_decisions_and_writes_an_audit_event(
    django_capture_on_commit_callbacks,
):
    where = make_centre()
    registration = finished(where, files=2)
    eqa_visit(where)
    stored = [f.file.name for f in EvidenceFile.objects.all()]
    assert all(default_storage.exists(name) for name in stored)
    with django_capture_on_commit_callbacks(execute=True):
        removed = retention.remove_files(
            actor=where.admin,
            centre=where.centre,
            registration_ids=[registration.pk],
            reason="Retention review 2026",
        )
    assert removed == 2
    assert not any(default_storage.exists(name) for name in stored)
    files = list(EvidenceFile.objects.all())
    assert len(files) == 2
    assert all(f.removed_by == where.admin and f.sha256 and f.size for f in files)
    assert UnitSignOff.objects.filter(registration=registration).count() == 2  # decisions stay
    event = AuditEvent.objects.get(action="evidence.files_removed_after_retention")
    assert event.object_id == str(registration.pk)
    assert {f["sha256"] for f in event.data["files"]} == {f.sha256 for f in files}
    assert retention.retention_rows(where.centre) == []


def test_only_the_centres_admins_remove_files():
    where = make_centre()
    registration = finished(where)
    eqa_visit(where)
    with pytest.raises(retention.RetentionError, match="Only the centre's admins"):
        retention.remove_files(
            actor=where.iv, centre=where.centre, registration_ids=[registration.pk], reason="x"
        )


def test_a_removed_file_says_so_where_it_was_served(client):
    where = make_centre()
    registration = finished(where)
    eqa_visit(where)
    retention.remove_files(
        actor=where.admin, centre=where.centre, registration_ids=[registration.pk], reason="Review"
    )
    item = EvidenceFile.objects.get()
    client.force_login(where.admin)
    response = client.get(reverse("files:download", args=[item.pk]))
    assert response.status_code == 410
    assert "removed after the awarding body's retention period" in response.content.decode()
    detail = client.get(reverse("evidence:detail", args=[item.evidence_id])).content.decode()
    assert "log-0.txt: file removed after retention" in detail
    assert item.sha256 in detail


# ---------------------------------------------------------------- the page


def test_the_admin_sees_what_is_past_retention_and_removes_it(client):
    where = make_centre()
    past = finished(where, name="Paula Past")
    eqa_visit(where)
    client.force_login(where.admin)
    page = client.get(PAGE).content.decode()
    assert "Paula Past" in page
    assert "Past retention" in page
    response = client.post(
        PAGE, {"remove": "1", "registrations": [past.pk], "reason": "Review"}, follow=True
    )
    assert "1 files removed" in response.content.decode()
    assert EvidenceFile.objects.get().removed_at is not None


def test_the_page_refuses_at_the_wrong_moment_naming_the_rule(client):
    where = make_centre()
    kept = finished(where, name="Kim Kept")
    eqa_visit(where, ended_days_ago=3)
    client.force_login(where.admin)
    response = client.post(PAGE, {"remove": "1", "registrations": [kept.pk], "reason": "Review"})
    assert response.status_code == 400
    assert "Kim Kept: Kept until" in response.content.decode()
    assert "Ascentis specification L279" in response.content.decode()
    assert EvidenceFile.objects.get().removed_at is None


def test_the_eqa_reads_the_page_but_cannot_remove(client):
    where = make_centre()
    registration = finished(where)
    eqa = eqa_visit(where, ended_days_ago=None, viewed=False)
    client.force_login(eqa)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'name="remove"' not in page.content.decode()
    refused = client.post(PAGE, {"remove": "1", "registrations": [registration.pk], "reason": "x"})
    assert refused.status_code == 403
    assert "Only the centre's admins remove evidence" in unescape(refused.content.decode())


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.INTERNAL_VERIFIER])
def test_other_roles_are_refused_the_page(client, role):
    where = make_centre()
    client.force_login(member(where.centre, role))
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "for the centre's admins and its external quality assurers" in unescape(
        response.content.decode()
    )


def test_another_centres_admin_sees_nothing_of_this_centre(client):
    where = make_centre()
    finished(where, name="Walled Learner")
    eqa_visit(where)
    other = make_centre()
    client.force_login(other.admin)
    assert "Walled Learner" not in client.get(PAGE).content.decode()


def test_a_period_entered_on_the_page(client):
    where = make_centre()
    client.force_login(where.admin)
    imi = AwardingBody.objects.get(code="IMI")
    response = client.post(
        PAGE,
        {
            "set_period": "1",
            "period-awarding_body": imi.pk,
            "period-weeks": 12,
            "period-source": "Centre policy 4.2",
        },
        follow=True,
    )
    assert "The retention period for Institute of the Motor Industry is set." in (
        response.content.decode()
    )
    assert RetentionPeriod.objects.in_force().get().weeks == 12


@pytest.mark.parametrize("count", [1, 6])
def test_the_page_costs_the_same_queries_whatever_it_holds(
    client, django_assert_num_queries, count
):
    where = make_centre()
    eqa_visit(where)
    for n in range(count):
        registration = finished(where, name=f"Learner {n} Person", files=2)
        if n % 2:
            holds.open_hold(
                actor=where.admin, registration=registration, kind="appeal", reason="Appeal."
            )
    client.force_login(where.admin)
    client.get(PAGE)  # warm the session and the role
    with django_assert_num_queries(QUERIES):
        response = client.get(PAGE)
    assert response.status_code == 200


QUERIES = 13  # session, user, roles, centre; rows, holds, claims, samples, EQAs (2), their views,
# periods; the bodies and the period form's choices
