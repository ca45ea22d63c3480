"""EQA access: granted by the centre admin (whole centre or some qualifications, until a date),
honoured on every portfolio page, ended by itself, and every page the EQA opens logged for the
centre to see."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Invitation, Membership, Role, User
from accounts.services import AccessError, invitation_sign_up, role_grant, role_revoke
from core.models import AuditEvent
from portfolios.evidence import evidence_create, file_add
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
)
from portfolios.rules import can_view_registration
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.factories import CentreFactory, RegistrationFactory, UserFactory, member
from tests.support import clock
from verification.models import EqaPageView

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
ASCENTIS = "600/1686/3"
TEXT = b"Reflective account: what went well on the night shift.\n"


@dataclass
class World:
    centre: Centre
    imi: Qualification
    ascentis: Qualification
    admin: User
    learner: User
    inside: Registration  # on IMI
    outside: Registration  # on the Ascentis qualification
    inside_evidence: Evidence
    outside_evidence: Evidence
    inside_file: EvidenceFile
    outside_file: EvidenceFile


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path


def submitted_evidence(registration: Registration, learner: User) -> tuple[Evidence, EvidenceFile]:
    today = clock.today()
    evidence = evidence_create(
        actor=learner,
        registration=registration,
        title=f"Night shift on {registration.qualification.number}",
        evidence_date=today,
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    upload = SimpleUploadedFile("account.txt", TEXT)
    evidence_file = file_add(actor=learner, evidence=evidence, upload=upload).file
    Evidence.objects.filter(pk=evidence.pk).update(status=EvidenceStatus.SUBMITTED)
    return evidence, evidence_file


@pytest.fixture
def world() -> World:
    today = clock.today()
    centre = CentreFactory(name="Northgate Training")
    imi = Qualification.objects.get(number=IMI)
    ascentis = Qualification.objects.get(number=ASCENTIS)
    centre.qualifications.add(imi, ascentis)
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    learner = member(centre, Role.LEARNER, full_name="Lena Learner")
    inside = register_learner(
        actor=admin, learner=learner, centre=centre, qualification=imi, start_date=today
    )
    outside = RegistrationFactory(learner=learner, centre=centre, qualification=ascentis)
    inside_evidence, inside_file = submitted_evidence(inside, learner)
    outside_evidence, outside_file = submitted_evidence(outside, learner)
    return World(
        centre=centre,
        imi=imi,
        ascentis=ascentis,
        admin=admin,
        learner=learner,
        inside=inside,
        outside=outside,
        inside_evidence=inside_evidence,
        outside_evidence=outside_evidence,
        inside_file=inside_file,
        outside_file=outside_file,
    )


def eqa_with(
    world: World, *qualifications: Qualification, until: datetime.date | None = None
) -> User:
    """An EQA granted `qualifications` at the world's centre until `until` (in a month unless
    given)."""
    eqa = UserFactory(full_name="Graham Lowe")
    role_grant(
        actor=world.admin,
        user=eqa,
        centre=world.centre,
        role=Role.EQA,
        expires_on=until or clock.today() + datetime.timedelta(days=30),
        qualifications=qualifications,
    )
    return eqa


def grant_url(person: User) -> str:
    return reverse("centre:role_grant", args=[person.pk])


# ---------------------------------------------------------------- granting


def test_the_admin_grants_an_eqa_access_to_one_qualification_until_a_date(
    client: Client, world: World
) -> None:
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    person = member(world.centre, Role.ASSESSOR)
    client.force_login(world.admin)

    response = client.post(
        grant_url(person),
        {"role": "eqa", "expires_on": in_a_month.isoformat(), "qualifications": [world.imi.pk]},
        follow=True,
    )

    assert response.status_code == 200
    grant = Membership.objects.get(user=person, centre=world.centre, role=Role.EQA)
    assert grant.expires_on == in_a_month
    assert list(grant.qualifications.all()) == [world.imi]
    page = response.content.decode()
    assert "is now external quality assurer" in page
    assert f"{IMI} {world.imi.title}" in page  # the roles table names the limit
    event = AuditEvent.objects.filter(action="role.granted", object_id=str(grant.pk)).get()
    assert event.actor == world.admin
    assert event.data["qualifications"] == [IMI]
    assert event.data["expires_on"] == in_a_month.isoformat()


def test_a_grant_with_no_qualification_opens_the_whole_centre(client: Client, world: World) -> None:
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    person = UserFactory()
    client.force_login(world.admin)

    response = client.post(
        reverse("centre:person_add"),
        {
            "full_name": "Eric Eqa",
            "email": "eric@example.com",
            "role": "eqa",
            "expires_on": in_a_month.isoformat(),
        },
    )

    assert response.status_code == 302
    # A new address is invited; the grant begins when they accept.
    invitation = Invitation.objects.get(email="eric@example.com", role=Role.EQA)
    invitation_sign_up(invitation=invitation, full_name="Eric Eqa", password="a-long-new-pass-42")
    grant = Membership.objects.get(user__email="eric@example.com", role=Role.EQA)
    assert grant.expires_on == in_a_month
    assert not grant.qualifications.exists()
    eqa = grant.user
    assert set(Registration.objects.visible_to(eqa)) == {world.inside, world.outside}
    assert not Registration.objects.visible_to(person).exists()


@pytest.mark.parametrize(
    ("expires_on", "message"),
    [
        ("", "External quality assurers need an expiry date"),
        # A number is days from today, counted when the test runs.
        (0, "EQA access must end on a date after today."),
        (-1, "EQA access must end on a date after today."),
        ("31/02/2030", "Enter a valid date."),
    ],
)
def test_bad_end_dates_are_refused_with_a_message_and_keep_the_input(
    client: Client, world: World, expires_on: str | int, message: str
) -> None:
    if isinstance(expires_on, int):
        expires_on = (clock.today() + datetime.timedelta(days=expires_on)).isoformat()
    person = member(world.centre, Role.ASSESSOR)
    client.force_login(world.admin)

    response = client.post(
        grant_url(person),
        {"role": "eqa", "expires_on": expires_on, "qualifications": [world.imi.pk]},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    # Nothing is lost: the chosen qualification stays ticked.
    ticked = rf'name="qualifications" value="{world.imi.pk}"\s+id="[^"]+"\s+checked'
    assert re.search(ticked, page)
    assert not Membership.objects.filter(user=person, role=Role.EQA).exists()
    assert not AuditEvent.objects.filter(action="role.granted", data__role="eqa").exists()


def test_only_an_eqa_grant_is_limited_by_qualification(client: Client, world: World) -> None:
    person = UserFactory()
    member_of_centre = member(world.centre, Role.LEARNER)
    client.force_login(world.admin)

    response = client.post(
        grant_url(member_of_centre), {"role": "assessor", "qualifications": [world.imi.pk]}
    )

    assert response.status_code == 400
    assert "Only an external quality assurer" in response.content.decode()
    assert not Membership.objects.filter(user=member_of_centre, role=Role.ASSESSOR).exists()
    with pytest.raises(AccessError, match="Only an external quality assurer"):
        role_grant(
            actor=world.admin,
            user=person,
            centre=world.centre,
            role=Role.ASSESSOR,
            qualifications=[world.imi],
        )


def test_a_qualification_the_centre_does_not_offer_is_refused(world: World) -> None:
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    other = Qualification.objects.exclude(pk__in=[world.imi.pk, world.ascentis.pk]).first()

    with pytest.raises(AccessError, match="does not offer"):
        role_grant(
            actor=world.admin,
            user=UserFactory(),
            centre=world.centre,
            role=Role.EQA,
            expires_on=in_a_month,
            qualifications=[other],
        )

    assert not Membership.objects.filter(role=Role.EQA).exists()


def test_changing_only_the_limit_is_a_new_audited_grant(world: World) -> None:
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    eqa = eqa_with(world, world.imi)

    role_grant(
        actor=world.admin,
        user=eqa,
        centre=world.centre,
        role=Role.EQA,
        expires_on=in_a_month,
        qualifications=[world.imi, world.ascentis],
    )

    grant = Membership.objects.get(user=eqa, role=Role.EQA)
    assert set(grant.qualifications.all()) == {world.imi, world.ascentis}
    events = AuditEvent.objects.filter(action="role.granted", object_id=str(grant.pk))
    assert [e.data["qualifications"] for e in events.order_by("pk")] == [
        [IMI],
        sorted([IMI, ASCENTIS]),
    ]


def test_revoking_early_is_audited_and_ends_access_at_once(client: Client, world: World) -> None:
    eqa = eqa_with(world)
    grant = Membership.objects.get(user=eqa, role=Role.EQA)
    client.force_login(world.admin)

    response = client.post(reverse("centre:role_revoke", args=[eqa.pk, grant.pk]))

    assert response.status_code == 302
    grant.refresh_from_db()
    assert not grant.is_active
    event = AuditEvent.objects.get(action="role.revoked", object_id=str(grant.pk))
    assert event.actor == world.admin
    assert event.data == {"user": eqa.pk, "role": Role.EQA}
    client.force_login(eqa)
    assert client.get(reverse("portfolios:registration", args=[world.inside.pk])).status_code == 404
    assert "Your EQA access to Northgate Training has ended" in client.get("/").content.decode()


# ---------------------------------------------------------------- seeing, within the limit


def test_a_limited_eqa_sees_only_registrations_on_their_qualifications(world: World) -> None:
    eqa = eqa_with(world, world.imi)

    assert list(Registration.objects.visible_to(eqa)) == [world.inside]
    assert list(Evidence.objects.visible_to(eqa)) == [world.inside_evidence]
    assert can_view_registration(eqa, world.inside)
    assert not can_view_registration(eqa, world.outside)


def test_a_limit_at_one_centre_does_not_open_another_centres_qualification(world: World) -> None:
    """Grants are matched pairwise: whole-centre access here, IMI only there."""
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    eqa = eqa_with(world, world.ascentis)
    elsewhere = CentreFactory()
    elsewhere.qualifications.add(world.imi, world.ascentis)
    there = RegistrationFactory(centre=elsewhere, qualification=world.imi)
    role_grant(
        actor=None,
        user=eqa,
        centre=elsewhere,
        role=Role.EQA,
        expires_on=in_a_month,
        qualifications=[world.ascentis],
    )

    assert list(Registration.objects.visible_to(eqa).order_by("pk")) == [world.outside]
    assert not can_view_registration(eqa, there)
    assert not can_view_registration(eqa, world.inside)


@pytest.mark.parametrize(
    "page",
    [
        lambda w, side: reverse("portfolios:registration", args=[getattr(w, side).pk]),
        lambda w, side: reverse("evidence:portfolio", args=[getattr(w, side).pk]),
        lambda w, side: reverse("evidence:detail", args=[getattr(w, f"{side}_evidence").pk]),
        lambda w, side: reverse("files:download", args=[getattr(w, f"{side}_file").pk]),
    ],
    ids=["registration", "portfolio", "evidence", "file"],
)
def test_pages_inside_the_limit_open_and_outside_answer_404(
    client: Client, world: World, page: object
) -> None:
    client.force_login(eqa_with(world, world.imi))

    inside = client.get(page(world, "inside"))  # type: ignore[operator]
    outside = client.get(page(world, "outside"))  # type: ignore[operator]

    assert inside.status_code == 200
    assert outside.status_code == 404


def test_the_eqa_file_download_gives_the_file(client: Client, world: World) -> None:
    client.force_login(eqa_with(world, world.imi))

    response = client.get(reverse("files:download", args=[world.inside_file.pk]))

    assert b"".join(response.streaming_content) == TEXT  # type: ignore[attr-defined]


def test_the_eqa_home_lists_only_the_limit_and_says_visits_are_logged(
    client: Client, world: World
) -> None:
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    client.force_login(eqa_with(world, world.imi))

    page = client.get("/").content.decode()

    assert f"until {in_a_month:%-d %B %Y}, to {IMI} {world.imi.title}" in page
    assert "Every page you open at Northgate Training is logged and shown to the centre." in page
    assert "The centre&#x27;s registrations: 1" in page or "registrations: 1" in page
    assert reverse("portfolios:registration", args=[world.outside.pk]) not in page


# ---------------------------------------------------------------- access ends by itself


def test_the_day_after_the_end_date_every_page_is_closed_and_the_home_says_so(
    client: Client, world: World
) -> None:
    today = clock.today()
    eqa = eqa_with(world, until=today + datetime.timedelta(days=1))
    # The day after the end date: the grant ran until yesterday.
    Membership.objects.filter(user=eqa).update(expires_on=today - datetime.timedelta(days=1))
    client.force_login(eqa)

    for path in [
        reverse("portfolios:registration", args=[world.inside.pk]),
        reverse("evidence:portfolio", args=[world.inside.pk]),
        reverse("evidence:detail", args=[world.inside_evidence.pk]),
        reverse("files:download", args=[world.inside_file.pk]),
    ]:
        assert client.get(path).status_code == 404, path
    for path in [reverse("verification:strategies"), reverse("assessments:standards")]:
        assert client.get(path).status_code == 403, path
    home = client.get("/").content.decode()
    assert "Your EQA access to Northgate Training has ended" in home
    assert "(it ran until" in home
    assert not EqaPageView.objects.exists()  # no longer an EQA at work: nothing to log
    assert not Registration.objects.visible_to(eqa).exists()


def test_on_the_end_date_itself_access_still_holds(client: Client, world: World) -> None:
    today = clock.today()
    eqa = eqa_with(world, until=today + datetime.timedelta(days=1))
    Membership.objects.filter(user=eqa).update(expires_on=today)
    client.force_login(eqa)

    assert client.get(reverse("portfolios:registration", args=[world.inside.pk])).status_code == 200


# ---------------------------------------------------------------- logging


def test_every_page_an_eqa_opens_is_logged_with_its_status(client: Client, world: World) -> None:
    eqa = eqa_with(world, world.imi)
    client.force_login(eqa)
    inside = reverse("portfolios:registration", args=[world.inside.pk])
    outside = reverse("portfolios:registration", args=[world.outside.pk])
    download = reverse("files:download", args=[world.inside_file.pk])

    client.get(inside + "?tab=units")
    client.get(outside)
    client.get(download)

    views = list(EqaPageView.objects.order_by("pk").values_list("user", "centre", "path", "status"))
    assert views == [
        (eqa.pk, world.centre.pk, inside + "?tab=units", 200),
        (eqa.pk, world.centre.pk, outside, 404),
        (eqa.pk, world.centre.pk, download, 200),
    ]


def test_static_files_health_checks_and_other_people_are_not_logged(
    client: Client, world: World
) -> None:
    client.force_login(eqa_with(world))
    client.get("/health/")
    client.get("/static/css/app.css")
    client.force_login(world.admin)
    client.get(reverse("portfolios:registration", args=[world.inside.pk]))

    assert not EqaPageView.objects.exists()


def test_a_logged_page_costs_one_insert(
    client: Client, world: World, django_assert_num_queries: object
) -> None:
    client.force_login(eqa_with(world, world.imi))
    path = reverse("verification:eqa_visits")  # an EQA is refused here: few queries of its own
    client.get(path)  # warm the session

    with django_assert_num_queries(4) as captured:  # type: ignore[operator]
        response = client.get(path)

    assert response.status_code == 403
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert "verification_eqapageview" in inserts[0]


# ---------------------------------------------------------------- the admin's visits page


def visits_url() -> str:
    return reverse("verification:eqa_visits")


def test_the_admin_sees_the_visits_newest_first(client: Client, world: World) -> None:
    eqa = eqa_with(world, world.imi)
    client.force_login(eqa)
    first = reverse("portfolios:registration", args=[world.inside.pk])
    second = reverse("evidence:detail", args=[world.inside_evidence.pk])
    client.get(first)
    client.get(second)
    client.force_login(world.admin)

    page = client.get(visits_url()).content.decode()

    assert page.count("<h1") == 1
    assert "Pages opened by external quality assurers: 2" in page
    assert page.index(second) < page.index(first)
    assert "Graham Lowe" in page
    assert "200 (shown)" in page


def test_another_centres_visits_are_not_shown(client: Client, world: World) -> None:
    elsewhere = CentreFactory()
    EqaPageView.objects.create(
        user=UserFactory(), centre=elsewhere, method="GET", path="/elsewhere/", status=200
    )
    client.force_login(world.admin)

    page = client.get(visits_url()).content.decode()

    assert "/elsewhere/" not in page
    assert "No external quality assurer has opened a page here yet." in page


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.EQA])
def test_only_centre_admins_see_the_visits(client: Client, world: World, role: str) -> None:
    person = eqa_with(world) if role == Role.EQA else member(world.centre, role)
    client.force_login(person)

    assert client.get(visits_url()).status_code == 403


def test_the_visits_page_needs_sign_in(client: Client) -> None:
    response = client.get(visits_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_visits_page_costs_the_same_whatever_the_number_of_visits(
    client: Client, world: World, django_assert_num_queries: object
) -> None:
    eqas = [eqa_with(world) for _ in range(3)]

    def log(count: int) -> None:
        EqaPageView.objects.bulk_create(
            EqaPageView(
                user=eqas[n % 3], centre=world.centre, method="GET", path=f"/p/{n}/", status=200
            )
            for n in range(count)
        )

    client.force_login(world.admin)
    log(2)
    client.get(visits_url())
    with CaptureQueriesContext(connection) as few:
        client.get(visits_url())
    log(120)
    with django_assert_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        response = client.get(visits_url() + "?page=2")

    assert "Page 2 of 3" in response.content.decode()


def test_the_log_keeps_its_rows_when_access_ends(world: World) -> None:
    eqa = eqa_with(world)
    EqaPageView.objects.create(
        user=eqa,
        centre=world.centre,
        method="GET",
        path="/",
        status=200,
        viewed_at=timezone.now(),
    )
    role_revoke(actor=world.admin, membership=Membership.objects.get(user=eqa))

    assert EqaPageView.objects.visible_to(world.admin).count() == 1
    assert EqaPageView.objects.visible_to(eqa).count() == 1
    assert not EqaPageView.objects.visible_to(member(world.centre, Role.ASSESSOR)).exists()


# ---------------------------------------------------------------- sampling, within the limit


def test_a_limited_eqa_reads_only_the_sampling_of_their_qualifications(client: Client) -> None:
    today = clock.today()
    in_a_month = today + datetime.timedelta(days=30)
    from tests.verification.cases import make_centre, strategy_for
    from verification.services import save_strategy

    made = make_centre()
    ascentis = Qualification.objects.get(number=ASCENTIS)
    made.centre.qualifications.add(ascentis)
    imi_strategy = strategy_for(made)
    other_strategy = save_strategy(
        actor=made.iv, centre=made.centre, qualification=ascentis, values={}
    )
    limited, whole = UserFactory(), UserFactory()
    for eqa, qualifications in ((limited, [made.qualification]), (whole, [])):
        role_grant(
            actor=made.admin,
            user=eqa,
            centre=made.centre,
            role=Role.EQA,
            expires_on=in_a_month,
            qualifications=qualifications,
        )

    client.force_login(limited)
    listing = client.get(reverse("verification:strategies")).content.decode()
    assert IMI in listing
    assert ASCENTIS not in listing
    assert client.get(reverse("verification:plan", args=[imi_strategy.pk])).status_code == 200
    assert client.get(reverse("verification:plan", args=[other_strategy.pk])).status_code == 404

    client.force_login(whole)
    listing = client.get(reverse("verification:strategies")).content.decode()
    assert IMI in listing
    assert ASCENTIS in listing
    assert client.get(reverse("verification:plan", args=[other_strategy.pk])).status_code == 200


def test_a_limited_eqa_reads_only_their_qualifications_cohort_and_standardisation(
    client: Client, world: World
) -> None:
    """The standards cohort and the standardisation meetings honour the limit too."""
    today = clock.today()
    from assessments.views.coverage import cohort_registrations
    from verification.models import StandardisationMeeting

    eqa = eqa_with(world, world.imi)
    membership = Membership.objects.get(user=eqa, centre=world.centre)
    assert list(cohort_registrations(eqa, membership)) == [world.inside]

    meetings = {
        qualification: StandardisationMeeting.objects.create(
            centre=world.centre,
            qualification=qualification,
            title=f"Standardising {qualification.number}",
            held_on=today,
            recorded_by=world.admin,
        )
        for qualification in (world.imi, world.ascentis)
    }
    assert list(StandardisationMeeting.objects.readable_by(eqa)) == [meetings[world.imi]]

    client.force_login(eqa)
    inside = reverse("verification:standardisation_detail", args=[meetings[world.imi].pk])
    outside = reverse("verification:standardisation_detail", args=[meetings[world.ascentis].pk])
    assert client.get(inside).status_code == 200
    assert client.get(outside).status_code == 403


def test_a_limited_eqa_lists_and_opens_only_the_standards_of_their_qualifications(
    client: Client, world: World
) -> None:
    """IMI maps to the Customer Service Practitioner standard, the Pearson Diploma to the
    Specialist one: an EQA limited to IMI sees only the first, and the other's cohort is 404."""
    from qualifications.standards import standards_for

    pearson = Qualification.objects.get(number="603/5450/1")
    world.centre.qualifications.add(pearson)
    practitioner = standards_for([world.imi.pk]).get()
    specialist = standards_for([pearson.pk]).get()
    assert practitioner != specialist

    client.force_login(eqa_with(world, world.imi))
    listing = client.get(reverse("assessments:standards")).content.decode()
    assert practitioner.title in listing
    assert specialist.title not in listing
    assert client.get(reverse("assessments:cohort", args=[practitioner.pk])).status_code == 200
    assert client.get(reverse("assessments:cohort", args=[specialist.pk])).status_code == 404

    client.force_login(eqa_with(world))
    listing = client.get(reverse("assessments:standards")).content.decode()
    assert practitioner.title in listing
    assert specialist.title in listing
    assert client.get(reverse("assessments:cohort", args=[specialist.pk])).status_code == 200
