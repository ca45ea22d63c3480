"""seed_demo on a database of its own: refusing without DEBUG, the demo's unit choices, the
second centre. What the demo holds is checked in test_seed_demo_contents.py, on one seeding
shared by its module."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError

from accounts.models import Centre, Membership, User
from assessments.models import AssessmentPlan
from assessments.models.achievement import AchievementRecord
from demo.centres import CENTRE_NUMBER
from portfolios.models import Evidence, EvidenceFile, Registration, WitnessRequest
from tests.support.demo import row_counts, seed, storages_in, stored_files
from verification.models.standardisation import StandardisationMeeting

pytestmark = pytest.mark.usefixtures("catalogue", "media")


@pytest.fixture
def media(settings, tmp_path) -> None:
    """The demo's files go to a throwaway folder, not the shared test media."""
    settings.STORAGES = storages_in(tmp_path / "media")


def test_it_refuses_without_debug_unless_told(settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to create demo users"):
        seed()
    assert not User.objects.exists()

    seed("--allow-without-debug")
    assert Centre.objects.filter(number=CENTRE_NUMBER).exists()


@pytest.mark.parametrize("offset", [0, 3, 7])
def test_a_demo_choice_takes_no_unit_the_rules_do_not_need(catalogue: None, offset: int) -> None:
    # Greedy filling once gave Grace ten units (22 credits) for a 7-credit award.
    from demo.common import a_valid_choice
    from qualifications.combination import check, mandatory_units
    from qualifications.models import Qualification
    from qualifications.queries import combination_rules

    for qualification in Qualification.objects.all():
        rules = combination_rules(qualification)
        if not rules.rules_given:
            continue
        chosen = a_valid_choice(rules, offset) | set(mandatory_units(rules))
        assert check(rules, chosen).ok, qualification.number
        optional = chosen - set(mandatory_units(rules))
        assert all(not check(rules, chosen - {key}).ok for key in optional), qualification.number


# ---------------------------------------------------------------- the second centre


@pytest.fixture
def both_seeded(settings) -> list[dict[str, str]]:
    settings.DEBUG = True
    return json.loads(seed("--second-centre", "--json"))


def test_the_second_centre_is_northgates_twin_with_its_own_people(
    both_seeded: list[dict[str, str]],
) -> None:
    from demo.centres import NORTHGATE, SOUTHFIELD

    southfield = Centre.objects.get(number="70422")
    assert southfield.name == "Southfield College"
    northgate = Centre.objects.get(number=CENTRE_NUMBER)
    roles = sorted(Membership.objects.filter(centre=southfield).values_list("role", flat=True))
    assert roles == sorted(
        Membership.objects.filter(centre=northgate).values_list("role", flat=True)
    )
    # Everyone at Southfield belongs to Southfield alone; no one belongs to both centres.
    people = set(Membership.objects.filter(centre=southfield).values_list("user__email", flat=True))
    # The logins, and the trainee assessor (demo/competence.py), who is not printed.
    trainee = "trainee.assessor@" + SOUTHFIELD.assessor.email.split("@", 1)[1]
    assert people == {login["email"] for login in SOUTHFIELD.logins()} | {trainee}
    assert all(email.endswith("southfield.demo.example") for email in people)
    assert not Membership.objects.filter(user__email__in=people).exclude(centre=southfield).exists()
    assert not people & {login["email"] for login in NORTHGATE.logins()}
    assert not {p.full_name for p in SOUTHFIELD.staff} & {p.full_name for p in NORTHGATE.staff}
    # The same stories, told there too.
    for model, path in (
        (Registration, "centre"),
        (Evidence, "registration__centre"),
        (EvidenceFile, "evidence__registration__centre"),
        (WitnessRequest, "registration__centre"),
        (AssessmentPlan, "registration__centre"),
        (StandardisationMeeting, "centre"),
        (AchievementRecord, "registration__centre"),
    ):
        here = model.objects.filter(**{path: southfield}).count()
        assert here == model.objects.filter(**{path: northgate}).count(), model
        assert here, model
    for registration in Registration.objects.filter(centre=southfield):
        assert registration.learner.learner_profiles.get(centre=southfield).uln.startswith("48")
        assert registration.awarding_body_number.startswith("SFC")
        assert registration.internal_verifier.memberships.filter(centre=southfield).exists()
    from certification.models import ClaimBatch

    assert ClaimBatch.objects.get(centre=southfield).reference == "ASC-70422-0001"


def test_the_second_centres_logins_print_after_northgates(settings) -> None:
    from demo.centres import SOUTHFIELD

    settings.DEBUG = True
    printed = seed("--second-centre")
    logins = json.loads(seed("--second-centre", "--json"))

    # Northgate's block is printed as it always was; Southfield's follows it.
    northgate_only = seed()
    assert printed.startswith(northgate_only.rstrip("\n"))
    assert len(logins) == 1 + 2 * (6 + 12 + 5)
    assert logins[-len(SOUTHFIELD.logins()) :] == SOUTHFIELD.logins()
    for login in SOUTHFIELD.logins():
        assert f"{login['email']}  /  {login['password']}" in printed
        assert printed.index(login["email"]) > printed.index("centre number 70421")
    assert "Southfield College, centre number 70422" in printed


def test_running_it_twice_with_the_second_centre_changes_nothing(
    tmp_path, both_seeded: list[dict[str, str]]
) -> None:
    before = row_counts()
    users = dict(User.objects.values_list("email", "password"))
    stored = stored_files(tmp_path / "media")

    again = json.loads(seed("--second-centre", "--json"))

    assert again == both_seeded
    assert row_counts() == before
    after = dict(User.objects.values_list("email", "password"))
    del users["admin@demo.example"], after["admin@demo.example"]
    assert after == users
    assert stored_files(tmp_path / "media") == stored
