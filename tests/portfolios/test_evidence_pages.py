"""The evidence pages: create, read, edit, map, sign and submit, delete, new versions."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
import rules
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from accounts.models import Centre, Role, User
from core.models import AuditEvent
from portfolios.evidence import (
    evidence_create,
    file_add,
    map_criteria,
    resubmit,
    submit,
)
from portfolios.models import (
    Declaration,
    Evidence,
    EvidenceContext,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, UserFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
SFJ = "601/1109/4"
SFJ_LEVEL_2 = "M/601/1511"
SFJ_LEVEL_3 = "J/601/1515"
NAME = "Sam Okafor"


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    centre.qualifications.set(Qualification.objects.filter(number__in=[IMI, SFJ]))
    return World(
        centre=centre,
        admin=member(centre, Role.CENTRE_ADMIN),
        learner=member(centre, Role.LEARNER, full_name=NAME),
        assessor=member(centre, Role.ASSESSOR),
        iv=member(centre, Role.INTERNAL_VERIFIER),
    )


@pytest.fixture
def registration(world: World) -> Registration:
    return register_learner(
        actor=world.admin,
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=IMI),
        start_date=datetime.date.today(),
        assessors=[world.assessor],
        internal_verifier=world.iv,
    )


def png(colour: tuple[int, int, int] = (200, 0, 0)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def draft(world: World, registration: Registration, title: str = "Counter observation") -> Evidence:
    return evidence_create(
        actor=world.learner,
        registration=registration,
        title=title,
        description="Dealing with a late delivery.",
        evidence_date=datetime.date(2026, 3, 2),
        method=EvidenceMethod.OBSERVATION,
        context=EvidenceContext.REAL_WORK_PAID,
    )


def criteria_of(registration: Registration) -> list[AssessmentCriterion]:
    return list(
        AssessmentCriterion.objects.filter(unit_id__in=registration.unit_choices.values("unit_id"))
        .select_related("unit")
        .order_by("unit__key", "position")
    )


def submitted(world: World, registration: Registration) -> Evidence:
    evidence = draft(world, registration)
    file_add(actor=world.learner, evidence=evidence, upload=png())
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration)[:2])
    submit(actor=world.learner, evidence=evidence, typed_name=NAME, confirmed=True)
    evidence.refresh_from_db()
    return evidence


def url(name: str, pk: int) -> str:
    return reverse(f"evidence:{name}", args=[pk])


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "title": "Phone call with a supplier",
        "description": "I chased a late order.",
        "evidence_date": "2026-02-10",
        "method": EvidenceMethod.PRODUCT,
        "context": EvidenceContext.REAL_WORK_PAID,
    }
    data.update(changes)
    return data


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- creating


def test_the_learner_creates_a_draft_and_lands_on_it(
    client: Client, world: World, registration: Registration
) -> None:
    client.force_login(world.learner)
    form = client.get(url("create", registration.pk))

    response = client.post(url("create", registration.pk), form_data())

    assert form.status_code == 200
    evidence = Evidence.objects.get(registration=registration)
    assert response.status_code == 302
    assert response["Location"] == url("detail", evidence.pk)
    assert (evidence.title, evidence.status, evidence.created_by) == (
        "Phone call with a supplier",
        EvidenceStatus.DRAFT,
        world.learner,
    )


def test_the_same_form_posted_twice_makes_one_draft(
    client: Client, world: World, registration: Registration
) -> None:
    client.force_login(world.learner)

    first = client.post(url("create", registration.pk), form_data())
    second = client.post(url("create", registration.pk), form_data())

    assert Evidence.objects.filter(registration=registration).count() == 1
    assert first["Location"] == second["Location"]


def test_a_date_in_the_future_is_refused_with_the_form_kept(
    client: Client, world: World, registration: Registration
) -> None:
    client.force_login(world.learner)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)

    response = client.post(
        url("create", registration.pk), form_data(evidence_date=tomorrow.isoformat())
    )

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert "Phone call with a supplier" in response.content.decode()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("assessor", 403), ("admin", 403), ("other", 404)])
def test_only_the_learner_may_add_evidence(
    client: Client, world: World, registration: Registration, who: str, status: int
) -> None:
    people = {
        "assessor": world.assessor,
        "admin": world.admin,
        "other": member(world.centre, Role.LEARNER),
    }
    client.force_login(people[who])

    assert client.get(url("create", registration.pk)).status_code == status
    assert client.post(url("create", registration.pk), form_data()).status_code == status
    assert not Evidence.objects.exists()


def test_no_evidence_is_added_once_the_registration_is_withdrawn(
    client: Client, world: World, registration: Registration
) -> None:
    Registration.objects.filter(pk=registration.pk).update(status=RegistrationStatus.WITHDRAWN)
    client.force_login(world.learner)

    assert client.post(url("create", registration.pk), form_data()).status_code == 403
    assert "Add evidence" not in client.get(url("portfolio", registration.pk)).content.decode()


# ---------------------------------------------------------------- reading


def test_the_learner_sees_their_draft_with_everything_to_finish_it(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = draft(world, registration)
    file_add(actor=world.learner, evidence=evidence, upload=png())
    client.force_login(world.learner)

    html = client.get(url("detail", evidence.pk)).content.decode()

    assert html.count("<h1") == 1
    assert "Counter observation" in html
    assert reverse("files:download", args=[evidence.files.get().pk]) in html
    assert reverse("files:upload", args=[evidence.pk]) in html
    assert url("file_remove", evidence.files.get().pk) in html
    assert url("map", evidence.pk) in html
    assert html.count('name="criteria"') == len(criteria_of(registration))
    assert Declaration.STATEMENT in html
    assert url("submit", evidence.pk) in html
    assert url("edit", evidence.pk) in html
    assert url("delete", evidence.pk) in html
    assert url("resubmit", evidence.pk) not in html


@pytest.mark.parametrize("who", ["assessor", "iv", "admin", "eqa", "other learner", "outsider"])
def test_nobody_but_the_learner_sees_a_draft(
    client: Client, world: World, registration: Registration, who: str
) -> None:
    evidence = draft(world, registration)
    people = {
        "assessor": world.assessor,
        "iv": world.iv,
        "admin": world.admin,
        "eqa": member(world.centre, Role.EQA),
        "other learner": member(world.centre, Role.LEARNER),
        "outsider": member(CentreFactory(), Role.CENTRE_ADMIN),
    }
    client.force_login(people[who])

    for name in ("detail", "edit", "delete"):
        assert client.get(url(name, evidence.pk)).status_code == 404, name
    for name in ("map", "submit", "delete", "resubmit", "edit"):
        assert client.post(url(name, evidence.pk)).status_code == 404, name
    file = file_add(actor=world.learner, evidence=evidence, upload=png()).file
    assert client.post(url("file_remove", file.pk)).status_code == 404
    assert EvidenceFile.objects.filter(pk=file.pk).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("assessor", 200),
        ("iv", 200),
        ("admin", 200),
        ("eqa", 200),
        ("superuser", 200),
        ("unassigned assessor", 404),
        ("other learner", 404),
        ("outsider", 404),
    ],
)
def test_submitted_evidence_is_seen_by_the_registrations_people_only(
    client: Client, world: World, registration: Registration, who: str, status: int
) -> None:
    evidence = submitted(world, registration)
    people = {
        "assessor": world.assessor,
        "iv": world.iv,
        "admin": world.admin,
        "eqa": member(world.centre, Role.EQA),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "unassigned assessor": member(world.centre, Role.ASSESSOR),
        "other learner": member(world.centre, Role.LEARNER),
        "outsider": member(CentreFactory(), Role.CENTRE_ADMIN),
    }
    client.force_login(people[who])

    response = client.get(url("detail", evidence.pk))

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert NAME in html
        assert evidence.declaration.content_hash in html
        assert Declaration.STATEMENT in html
        assert 'name="criteria"' not in html
        assert url("resubmit", evidence.pk) not in html


@pytest.mark.parametrize("name", ["edit", "map", "submit", "delete", "resubmit"])
def test_staff_who_see_submitted_evidence_may_not_change_it(
    client: Client, world: World, registration: Registration, name: str
) -> None:
    evidence = submitted(world, registration)
    client.force_login(world.assessor)

    assert client.post(url(name, evidence.pk)).status_code == 403
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.post(url(name, evidence.pk)).status_code == 403
    assert Evidence.objects.count() == 1


def test_the_submitted_record_shows_its_declaration_and_criteria(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = submitted(world, registration)
    client.force_login(world.learner)

    html = client.get(url("detail", evidence.pk)).content.decode()

    declaration = evidence.declaration
    assert f"{NAME} (account of {NAME})" in html
    assert declaration.content_hash in html
    for criterion in criteria_of(registration)[:2]:
        assert criterion.text in html
    assert url("resubmit", evidence.pk) in html
    assert url("map", evidence.pk) not in html
    assert reverse("files:upload", args=[evidence.pk]) not in html


# ---------------------------------------------------------------- changing a draft


def test_the_learner_edits_a_draft(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = draft(world, registration)
    client.force_login(world.learner)

    form = client.get(url("edit", evidence.pk))
    response = client.post(url("edit", evidence.pk), form_data(title="Renamed"))

    assert "Counter observation" in form.content.decode()
    assert 'value="2026-03-02"' in form.content.decode()
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (evidence.title, evidence.method) == ("Renamed", EvidenceMethod.PRODUCT)


def test_editing_submitted_evidence_says_why_not(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = submitted(world, registration)
    client.force_login(world.learner)

    response = client.post(url("edit", evidence.pk), form_data(title="Renamed"), follow=True)

    assert any("can no longer change" in m for m in messages_of(response))
    evidence.refresh_from_db()
    assert evidence.title == "Counter observation"


def test_the_learner_maps_a_draft_to_criteria(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = draft(world, registration)
    chosen = criteria_of(registration)[3:6]
    client.force_login(world.learner)

    response = client.post(url("map", evidence.pk), {"criteria": [c.pk for c in chosen]})

    assert response.status_code == 302
    assert set(evidence.mappings.values_list("criterion_id", flat=True)) == {c.pk for c in chosen}
    html = client.get(url("detail", evidence.pk)).content.decode()
    for criterion in chosen:
        assert f'value="{criterion.pk}" id="criterion-{criterion.pk}" checked' in html


def test_simulation_evidence_mapped_to_a_real_work_unit_gets_the_services_message(
    client: Client, world: World
) -> None:
    registration = RegistrationFactory(
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=SFJ),
    )
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit=unit)
        for unit in Unit.objects.filter(key__in=[SFJ_LEVEL_2, SFJ_LEVEL_3])
    )
    evidence = draft(world, registration)
    evidence.context = EvidenceContext.SIMULATION
    evidence.save(update_fields=["context"])
    level_3 = AssessmentCriterion.objects.filter(unit__key=SFJ_LEVEL_3).first()
    client.force_login(world.learner)

    response = client.post(url("map", evidence.pk), {"criteria": [level_3.pk]})

    assert response.status_code == 400
    html = response.content.decode()
    assert f"Simulation evidence cannot count towards {SFJ_LEVEL_3}" in html
    assert f'value="{level_3.pk}" id="criterion-{level_3.pk}" checked' in html
    assert not evidence.mappings.exists()


def test_criteria_from_another_qualification_are_refused(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = draft(world, registration)
    elsewhere = AssessmentCriterion.objects.filter(unit__key=SFJ_LEVEL_3).first()
    client.force_login(world.learner)

    response = client.post(url("map", evidence.pk), {"criteria": [elsewhere.pk]})

    assert response.status_code == 400
    assert "Choose criteria from the units you are taking." in response.content.decode()
    assert not evidence.mappings.exists()


def test_the_learner_removes_a_file_from_a_draft(
    client: Client,
    world: World,
    registration: Registration,
    django_capture_on_commit_callbacks: pytest.FixtureRequest,
) -> None:
    evidence = draft(world, registration)
    file = file_add(actor=world.learner, evidence=evidence, upload=png()).file
    client.force_login(world.learner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("file_remove", file.pk))

    assert response["Location"] == url("detail", evidence.pk)
    assert not evidence.files.exists()
    assert not file.file.storage.exists(file.file.name)


def test_a_file_of_submitted_evidence_stays(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = submitted(world, registration)
    file = evidence.files.get()
    client.force_login(world.learner)

    response = client.post(url("file_remove", file.pk), follow=True)

    assert any("can no longer change" in m for m in messages_of(response))
    assert EvidenceFile.objects.filter(pk=file.pk).exists()


# ---------------------------------------------------------------- signing


def test_the_learner_signs_and_submits(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = draft(world, registration)
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration)[:3])
    client.force_login(world.learner)

    response = client.post(url("submit", evidence.pk), {"typed_name": NAME, "confirmed": "on"})
    again = client.post(
        url("submit", evidence.pk), {"typed_name": NAME, "confirmed": "on"}, follow=True
    )

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED
    assert Declaration.objects.filter(evidence=evidence).count() == 1
    assert AuditEvent.objects.filter(action="evidence.submitted").count() == 1
    assert "already signed and submitted" in " ".join(messages_of(again))
    # On the portfolio, the criteria now have evidence submitted (seen when their unit opens).
    mapped = criteria_of(registration)[:3]
    html = "".join(
        client.get(
            reverse("evidence:portfolio_unit", args=[registration.pk, unit_id])
        ).content.decode()
        for unit_id in {c.unit_id for c in mapped}
    )
    assert html.count("Evidence submitted</span>") == 3
    overview = client.get(url("portfolio", registration.pk)).content.decode()
    assert 'data-testid="progress-overall-evidenced-count">3 of' in overview


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"typed_name": NAME}, "Tick the box to confirm"),
        ({"confirmed": "on"}, "Type your name to sign"),
        (
            {"typed_name": "Someone Else", "confirmed": "on"},
            f"exactly as it appears on your account: {NAME}",
        ),
    ],
)
def test_an_incomplete_declaration_is_refused_with_a_message(
    client: Client, world: World, registration: Registration, data: dict, message: str
) -> None:
    evidence = draft(world, registration)
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration)[:1])
    client.force_login(world.learner)

    response = client.post(url("submit", evidence.pk), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.DRAFT


# ---------------------------------------------------------------- deleting and versions


def test_the_learner_deletes_a_draft_after_confirming(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = draft(world, registration)
    client.force_login(world.learner)

    confirm = client.get(url("delete", evidence.pk))
    response = client.post(url("delete", evidence.pk))

    assert "Delete the draft" in confirm.content.decode()
    assert response["Location"] == url("portfolio", registration.pk)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_submitted_evidence_cannot_be_deleted(
    client: Client, world: World, registration: Registration
) -> None:
    evidence = submitted(world, registration)
    client.force_login(world.learner)

    response = client.post(url("delete", evidence.pk), follow=True)

    assert any("can no longer change" in m for m in messages_of(response))
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_starting_a_new_version_keeps_the_old_one_visible_and_linked(
    client: Client, world: World, registration: Registration
) -> None:
    first = submitted(world, registration)
    client.force_login(world.learner)

    response = client.post(url("resubmit", first.pk))
    again = client.post(url("resubmit", first.pk))

    second = Evidence.objects.get(previous=first)
    assert response["Location"] == again["Location"] == url("detail", second.pk)
    assert Evidence.objects.count() == 2
    old = client.get(url("detail", first.pk)).content.decode()
    new = client.get(url("detail", second.pk)).content.decode()
    assert url("detail", second.pk) in old
    assert "There is a newer version" in old
    assert url("resubmit", first.pk) not in old
    assert url("detail", first.pk) in new
    assert "Version 2 (draft), this page" in new
    # The assessor sees version 1 but not the learner's new draft.
    client.force_login(world.assessor)
    seen = client.get(url("detail", first.pk)).content.decode()
    assert url("detail", second.pk) not in seen


# ---------------------------------------------------------------- cost


def _count(client: Client, path: str) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["learner", "assessor"])
def test_the_record_page_costs_the_same_whatever_its_files_criteria_and_versions(
    client: Client, world: World, registration: Registration, who: str
) -> None:
    small = submitted(world, registration)
    large = draft(world, registration, title="A bigger record")
    for shade in range(8):
        file_add(actor=world.learner, evidence=large, upload=png((shade * 30, 10, 10)))
    map_criteria(actor=world.learner, evidence=large, criteria=criteria_of(registration)[:40])
    submit(actor=world.learner, evidence=large, typed_name=NAME, confirmed=True)
    for _ in range(3):
        large = resubmit(actor=world.learner, evidence=large)
        submit(actor=world.learner, evidence=large, typed_name=NAME, confirmed=True)
    client.force_login(getattr(world, who))
    _count(client, url("detail", small.pk))

    assert _count(client, url("detail", large.pk)) == _count(client, url("detail", small.pk))


# ---------------------------------------------------------------- rules and QuerySet agree

# who: (sees the draft, sees the submitted record, may change)
EVIDENCE_TABLE = {
    "learner": (True, True, True),
    "assessor": (False, True, False),
    "unassigned assessor": (False, False, False),
    "iv": (False, True, False),
    "admin": (False, True, False),
    "eqa": (False, True, False),
    "other learner": (False, False, False),
    "other centre's admin": (False, False, False),
    "superuser": (True, True, False),
}


@pytest.mark.parametrize("who", EVIDENCE_TABLE)
def test_the_evidence_rules_and_visible_to_agree_with_the_table(
    world: World, registration: Registration, who: str
) -> None:
    people = {
        "learner": world.learner,
        "assessor": world.assessor,
        "unassigned assessor": member(world.centre, Role.ASSESSOR),
        "iv": world.iv,
        "admin": world.admin,
        "eqa": member(world.centre, Role.EQA),
        "other learner": member(world.centre, Role.LEARNER),
        "other centre's admin": member(CentreFactory(), Role.CENTRE_ADMIN),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    person = people[who]
    unsigned = draft(world, registration, title="Unsigned")
    signed = submitted(world, registration)
    sees_draft, sees_submitted, may_change = EVIDENCE_TABLE[who]

    visible = set(Evidence.objects.visible_to(person))
    assert (unsigned in visible, signed in visible) == (sees_draft, sees_submitted)
    assert (
        person.has_perm("portfolios.view_evidence", unsigned),
        person.has_perm("portfolios.view_evidence", signed),
    ) == (sees_draft, sees_submitted)
    assert rules.test_rule("portfolios.change_evidence", person, unsigned) == may_change
    assert rules.test_rule("portfolios.add_evidence", person, registration) == may_change
