from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Centre, User
from core.models import AuditEvent
from portfolios.models import Registration, RegistrationStatus, RegistrationUnit
from portfolios.services import register_learner
from qualifications.models import Qualification
from qualifications.queries import combination_rules
from tests.factories import CentreFactory, RegistrationFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
ASCENTIS = "600/1686/3"
PEARSON_CERT = "603/5449/5"
SFJ = "601/1109/4"
# Ascentis bars these two units together.
BARRED_A, BARRED_B = "A/601/6047", "R/601/6068"
BARRED_MESSAGE = "cannot be taken with"


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    centre.qualifications.set(
        Qualification.objects.filter(number__in=[IMI, ASCENTIS, PEARSON_CERT, SFJ])
    )
    return World(
        centre=centre,
        admin=member(centre, "admin"),
        learner=member(centre, "learner"),
        assessor=member(centre, "assessor"),
        iv=member(centre, "iv"),
    )


def qualification(number: str) -> Qualification:
    return Qualification.objects.get(number=number)


def registered(world: World, number: str = IMI, **kwargs: object) -> Registration:
    return register_learner(
        actor=world.admin,
        learner=world.learner,
        centre=world.centre,
        qualification=qualification(number),
        start_date=datetime.date.today(),
        **kwargs,
    )


def page(registration: Registration) -> str:
    return reverse("portfolios:registration", args=[registration.pk])


# ---------------------------------------------------------------- who may see the page


def test_the_registration_page_needs_sign_in(client: Client, world: World) -> None:
    response = client.get(page(registered(world)))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_learner_sees_their_own_registration_without_the_admin_forms(
    client: Client, world: World
) -> None:
    registration = registered(world, assessors=[world.assessor], internal_verifier=world.iv)
    client.force_login(world.learner)

    html = client.get(page(registration)).content.decode()

    assert "IMI Level 2 Diploma in Customer Service" in html
    assert escape(world.assessor.get_full_name()) in html
    assert escape(world.iv.get_full_name()) in html
    assert "Mandatory Group A" in html
    assert "How the choice stands" in html
    assert "Change units" not in html
    assert "Withdraw" not in html


def test_another_learner_gets_404_for_a_registration_that_is_not_theirs(
    client: Client, world: World
) -> None:
    registration = registered(world)
    client.force_login(member(world.centre, "learner"))

    assert client.get(page(registration)).status_code == 404


def test_another_centres_admin_gets_404(client: Client, world: World) -> None:
    registration = registered(world)
    client.force_login(member(CentreFactory(), "admin"))

    assert client.get(page(registration)).status_code == 404
    response = client.post(
        reverse("portfolios:withdraw", args=[registration.pk]), {"withdraw-reason": "Moved"}
    )
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE


def test_an_assessor_sees_their_learners_registration_but_may_not_change_it(
    client: Client, world: World
) -> None:
    registration = registered(world, assessors=[world.assessor])
    client.force_login(world.assessor)

    assert client.get(page(registration)).status_code == 200
    response = client.post(
        reverse("portfolios:withdraw", args=[registration.pk]), {"withdraw-reason": "Moved"}
    )
    assert response.status_code == 403


def test_an_assessor_not_assigned_to_the_registration_gets_404(
    client: Client, world: World
) -> None:
    registration = registered(world, assessors=[world.assessor])
    client.force_login(member(world.centre, "assessor"))

    assert client.get(page(registration)).status_code == 404


def test_an_unknown_registration_is_404(client: Client, world: World) -> None:
    client.force_login(world.admin)

    assert client.get(reverse("portfolios:registration", args=[999999])).status_code == 404


# ---------------------------------------------------------------- what the page says


def test_the_page_groups_the_units_and_says_in_plain_words_what_is_missing(
    client: Client, world: World
) -> None:
    client.force_login(world.learner)

    html = client.get(page(registered(world))).content.decode()

    assert "3 more credits from Group B." in html
    assert "No units taken from this group." in html
    assert "Mandatory" in html


def test_a_choice_that_satisfies_the_rules_says_so(client: Client, world: World) -> None:
    client.force_login(world.learner)

    html = client.get(page(registered(world, PEARSON_CERT))).content.decode()

    assert "The units chosen satisfy the rules of combination." in html


def test_the_admin_sees_the_forms_with_mandatory_units_ticked_and_disabled(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    html = client.get(page(registered(world, ASCENTIS))).content.decode()

    assert "Change units" in html
    assert 'hx-post="/portfolio/qualifications/' in html
    assert 'hx-trigger="change"' in html
    mandatory = next(iter(_mandatory_keys(ASCENTIS)))
    assert f'value="{mandatory}"' in html
    tag = re.search(rf'<input[^>]*value="{re.escape(mandatory)}"[^>]*>', html)[0]
    assert "checked" in tag
    assert "disabled" in tag
    assert "Withdraw the learner" in html
    assert "You administer no other centre approved for" in html


def _mandatory_keys(number: str) -> set[str]:
    rules = combination_rules(qualification(number))
    return {key for group in rules.groups if group.mandatory for key in group.units}


# ---------------------------------------------------------------- the live explanation


def test_the_unit_check_explains_what_is_still_missing(client: Client, world: World) -> None:
    client.force_login(world.admin)
    url = reverse("portfolios:units_check", args=[qualification(ASCENTIS).pk])

    html = client.post(url, {"units": []}, HTTP_HX_REQUEST="true").content.decode()

    assert "4 more credits from Group B." in html
    assert "<html" not in html


def test_the_unit_check_names_a_barred_pair_in_the_engines_words(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)
    url = reverse("portfolios:units_check", args=[qualification(ASCENTIS).pk])

    html = client.post(url, {"units": [BARRED_A, BARRED_B]}).content.decode()

    assert BARRED_MESSAGE in html


def test_the_unit_check_answers_only_posts(client: Client, world: World) -> None:
    client.force_login(world.admin)
    url = reverse("portfolios:units_check", args=[qualification(ASCENTIS).pk])

    assert client.get(url).status_code == 405


# ---------------------------------------------------------------- changes by the centre admin


def test_the_admin_changes_the_units(client: Client, world: World) -> None:
    registration = registered(world, ASCENTIS)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:registration_units", args=[registration.pk]),
        {"units": [BARRED_A]},
        follow=True,
    )

    assert BARRED_A in set(registration.unit_choices.values_list("unit__key", flat=True))
    assert "Units saved." in response.content.decode()
    assert AuditEvent.objects.filter(action="registration.units_chosen").exists()


def test_a_barred_pair_is_refused_with_the_engines_message(client: Client, world: World) -> None:
    registration = registered(world, ASCENTIS)
    before = set(registration.unit_choices.values_list("unit__key", flat=True))
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:registration_units", args=[registration.pk]),
        {"units": [BARRED_A, BARRED_B]},
        follow=True,
    )

    assert BARRED_MESSAGE in response.content.decode()
    assert set(registration.unit_choices.values_list("unit__key", flat=True)) == before


def test_a_unit_of_another_qualification_is_refused(client: Client, world: World) -> None:
    registration = registered(world, ASCENTIS)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:registration_units", args=[registration.pk]),
        {"units": ["A/506/2130"]},
        follow=True,
    )

    assert "Select a valid choice" in response.content.decode()


def test_the_admin_assigns_assessors_and_the_internal_verifier(
    client: Client, world: World
) -> None:
    registration = registered(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:registration_assign", args=[registration.pk]),
        {"assessors": [world.assessor.pk], "internal_verifier": world.iv.pk},
        follow=True,
    )

    registration.refresh_from_db()
    assert list(registration.assessors.all()) == [world.assessor]
    assert registration.internal_verifier == world.iv
    assert "Assessors and internal verifier saved." in response.content.decode()


def test_only_the_centres_assessors_may_be_assigned(client: Client, world: World) -> None:
    registration = registered(world)
    stranger = member(CentreFactory(), "assessor")
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:registration_assign", args=[registration.pk]),
        {"assessors": [stranger.pk]},
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not registration.assessors.exists()


def test_the_admin_withdraws_a_learner_with_a_reason(client: Client, world: World) -> None:
    registration = registered(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:withdraw", args=[registration.pk]),
        {"withdraw-reason": "Left the employer."},
        follow=True,
    )

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WITHDRAWN
    assert registration.status_reason == "Left the employer."
    html = response.content.decode()
    assert "is withdrawn." in html
    assert "Withdraw the learner" not in html


def test_withdrawing_needs_a_reason(client: Client, world: World) -> None:
    registration = registered(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:withdraw", args=[registration.pk]), {"withdraw-reason": "  "}
    )

    assert response.status_code == 400
    assert "Say why the learner is withdrawn." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE


def test_a_withdrawn_registration_cannot_be_withdrawn_again(client: Client, world: World) -> None:
    registration = registered(world)
    client.force_login(world.admin)
    url = reverse("portfolios:withdraw", args=[registration.pk])
    client.post(url, {"withdraw-reason": "Left."})

    response = client.post(url, {"withdraw-reason": "Left."}, follow=True)

    assert "A registration that is withdrawn cannot become withdrawn." in response.content.decode()
    assert AuditEvent.objects.filter(action="registration.status_changed").count() == 1


def test_the_admin_transfers_a_learner_to_another_centre_they_administer(
    client: Client, world: World
) -> None:
    registration = registered(world)
    other = CentreFactory(name="Second Centre")
    other.qualifications.add(qualification(IMI))
    from accounts.models import Membership

    Membership.objects.create(user=world.admin, centre=other, role="admin")
    client.force_login(world.admin)

    response = client.post(
        reverse("portfolios:transfer", args=[registration.pk]),
        {"transfer-to_centre": other.pk, "transfer-reason": "Moved house."},
        follow=True,
    )

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.TRANSFERRED
    new = registration.transferred_to
    assert new.centre == other
    assert response.redirect_chain[-1][0] == page(new)
    assert "is transferred to Second Centre." in response.content.decode()


def test_transferring_needs_a_reason_and_a_centre_the_admin_administers(
    client: Client, world: World
) -> None:
    registration = registered(world)
    not_mine = CentreFactory()
    not_mine.qualifications.add(qualification(IMI))
    client.force_login(world.admin)
    url = reverse("portfolios:transfer", args=[registration.pk])

    no_reason = client.post(url, {"transfer-to_centre": "", "transfer-reason": ""})
    foreign = client.post(url, {"transfer-to_centre": not_mine.pk, "transfer-reason": "Moved."})

    assert "Say why the learner is transferred." in no_reason.content.decode()
    assert "Choose the centre the learner moves to." in no_reason.content.decode()
    assert "Select a valid choice" in foreign.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE


# ---------------------------------------------------------------- registering a learner


def register_url(**params: object) -> str:
    from urllib.parse import urlencode

    return reverse("centre:register") + ("?" + urlencode(params, doseq=True) if params else "")


def step1(world: World, number: str, learner: User | None = None, **extra: object) -> dict:
    return {
        "learner": (learner or world.learner).pk,
        "qualification": qualification(number).pk,
        "start_date": datetime.date.today().isoformat(),
        "planned_end_date": "",
        "awarding_body_number": "AB123",
        **extra,
    }


def test_a_learners_page_offers_to_register_them_and_a_staff_members_does_not(
    client: Client, world: World
) -> None:
    # accounts' person page shows the links portfolios registers (accounts.person_page).
    client.force_login(world.admin)
    learner_page = client.get(reverse("centre:person", args=[world.learner.pk])).content.decode()
    staff_page = client.get(reverse("centre:person", args=[world.assessor.pk])).content.decode()

    link = escape(register_url(learner=world.learner.pk))
    assert f'href="{link}"' in learner_page
    assert f"Register {escape(world.learner.get_full_name())} on a qualification" in learner_page
    assert "on a qualification" not in staff_page


def test_step_one_finds_the_centres_learners_and_offers_approved_qualifications(
    client: Client, world: World
) -> None:
    # The learner is found by searching (a picker), never listed whole: a centre has thousands.
    elsewhere = member(CentreFactory(), "learner", full_name=world.learner.full_name)
    client.force_login(world.admin)

    html = client.get(register_url()).content.decode()
    found = client.get(
        register_url(step="units", learner_search=world.learner.full_name[:4])
    ).content.decode()

    assert world.learner.email not in html
    assert 'name="learner_search"' in html
    assert world.learner.email in found
    assert elsewhere.email not in found
    assert IMI in html
    assert "600/1684/X" not in html  # the centre is not approved for it


def test_step_two_shows_the_units_with_the_live_explanation(client: Client, world: World) -> None:
    client.force_login(world.admin)

    html = client.get(register_url(step="units", **step1(world, ASCENTIS))).content.decode()

    assert "Step 2 of 2" in html
    assert BARRED_A in html
    assert 'hx-trigger="change"' in html
    assert "4 more credits from Group B." in html
    assert world.assessor.email in html


def test_an_ineligible_learner_gets_the_services_message(client: Client, world: World) -> None:
    from accounts.models import LearnerProfile

    young = member(world.centre, "learner")
    LearnerProfile.objects.filter(user=young).update(
        date_of_birth=datetime.date.today() - datetime.timedelta(days=365 * 12)
    )
    client.force_login(world.admin)

    html = client.get(
        register_url(step="units", **step1(world, ASCENTIS, learner=young))
    ).content.decode()

    assert "has a minimum age of 14" in html
    assert "Step 1 of 2" in html


def test_a_closed_qualification_is_refused_with_the_services_message(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    html = client.get(register_url(step="units", **step1(world, SFJ))).content.decode()

    assert "closed to new learners" in html


def test_the_admin_registers_a_learner_with_units_and_staff(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = step1(world, ASCENTIS) | {
        "units": [BARRED_A],
        "assessors": [world.assessor.pk],
        "internal_verifier": world.iv.pk,
    }

    response = client.post(register_url(), data, follow=True)

    registration = Registration.objects.get(learner=world.learner)
    assert response.redirect_chain[-1][0] == page(registration)
    keys = set(registration.unit_choices.values_list("unit__key", flat=True))
    assert keys == _mandatory_keys(ASCENTIS) | {BARRED_A}
    assert list(registration.assessors.all()) == [world.assessor]
    assert registration.internal_verifier == world.iv
    assert registration.awarding_body_number == "AB123"
    assert "is registered on 600/1686/3" in response.content.decode()
    assert AuditEvent.objects.filter(action="registration.created").count() == 1


def test_registering_refuses_a_barred_pair_and_keeps_the_choice(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)
    data = step1(world, ASCENTIS) | {"units": [BARRED_A, BARRED_B]}

    html = client.post(register_url(), data).content.decode()

    assert BARRED_MESSAGE in html
    assert "Step 2 of 2" in html
    assert not Registration.objects.exists()


def test_a_double_submitted_registration_is_made_once(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = step1(world, IMI)

    client.post(register_url(), data)
    response = client.post(register_url(), data)

    assert Registration.objects.count() == 1
    assert "is already registered on 601/3456/2 here." in response.content.decode()


def test_the_planned_end_must_follow_the_start(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = step1(world, IMI, planned_end_date="2000-01-01")

    html = client.post(register_url(), data).content.decode()

    assert "The planned end date is before the start date." in html
    assert not Registration.objects.exists()


def test_only_a_centre_admin_may_register_learners(client: Client, world: World) -> None:
    client.force_login(world.assessor)

    assert client.get(register_url()).status_code == 403
    assert client.post(register_url(), step1(world, IMI)).status_code == 403


def test_another_centres_learner_cannot_be_registered(client: Client, world: World) -> None:
    elsewhere = member(CentreFactory(), "learner")
    client.force_login(world.admin)

    html = client.post(register_url(), step1(world, IMI, learner=elsewhere)).content.decode()

    assert "Select a valid choice" in html
    assert not Registration.objects.exists()


# ---------------------------------------------------------------- cost


def test_the_registration_page_costs_the_same_whatever_the_number_of_units(
    client: Client, world: World, django_assert_num_queries
) -> None:
    ascentis = qualification(ASCENTIS)
    keys = list(combination_rules(ascentis).units)
    from qualifications.models import Unit

    units = list(Unit.objects.filter(key__in=keys))
    small = RegistrationFactory(learner=world.learner, centre=world.centre, qualification=ascentis)
    big = RegistrationFactory(
        learner=member(world.centre, "learner"), centre=world.centre, qualification=ascentis
    )
    for registration, count in ((small, 3), (big, 15)):
        RegistrationUnit.objects.bulk_create(
            RegistrationUnit(registration=registration, unit=unit) for unit in units[:count]
        )
        registration.assessors.add(world.assessor)
    client.force_login(world.admin)
    client.get(page(small))

    # 14 with the units credited by transfer (issue 17); 16 with the apprenticeship (issue 19:
    # its record, and for the admin whether the qualification maps to a standard).
    with django_assert_num_queries(16) as captured:
        client.get(page(small))
    with django_assert_num_queries(len(captured.captured_queries)):
        client.get(page(big))
