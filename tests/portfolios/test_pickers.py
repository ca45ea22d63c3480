"""The searchable pickers that replace the <select>s of every learner or registration of a
centre (issue 15: the register and holds pages rendered thousands of options).

A picker is a search box whose matches are radios: htmx fills them in from a search endpoint
as the admin types; without JavaScript the form comes back with the same matches, or takes an
exact e-mail / ULN / awarding body number typed into the box.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Centre, LearnerProfile, User
from accounts.rules import administers_centre
from certification.models import ClaimHold
from core.forms import PICKER_LIMIT
from portfolios.forms.registration import RegisterStartForm
from portfolios.models import Registration, RegistrationStatus
from portfolios.rules import administers_or_verifies_at_centre
from qualifications.models import Qualification
from tests.factories import CentreFactory, RegistrationFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User
    eqa: User


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    centre.qualifications.set(Qualification.objects.filter(number=IMI))
    return World(
        centre=centre,
        admin=member(centre, "admin"),
        learner=member(centre, "learner", full_name="Ada Lovelace", email="ada@centre.example"),
        assessor=member(centre, "assessor"),
        iv=member(centre, "iv"),
        eqa=member(centre, "eqa"),
    )


def learner_search(q: str, field: str = "learner") -> str:
    return reverse("centre:learner_search") + f"?field={field}&{field}_search={q}"


def registration_search(q: str, field: str = "hold-registration", **extra: str) -> str:
    params = "".join(f"&{key}={value}" for key, value in extra.items())
    return reverse("portfolios:registration_search") + f"?field={field}&{field}_search={q}{params}"


def step1(**learner: str) -> dict[str, str]:
    return {
        "step": "units",
        "qualification": str(Qualification.objects.get(number=IMI).pk),
        "start_date": datetime.date.today().isoformat(),
        **learner,
    }


def imi_registration(world: World, learner: User | None = None) -> Registration:
    return RegistrationFactory(
        learner=learner or world.learner,
        centre=world.centre,
        status=RegistrationStatus.ACTIVE,
    )


# ---------------------------------------------------------------- the learner picker


def test_the_search_lists_the_centres_learners_matching_part_of_a_name(
    client: Client, world: World
) -> None:
    other = member(CentreFactory(), "learner", full_name="Ada Byron")
    client.force_login(world.admin)

    html = client.get(learner_search("ada")).content.decode()

    assert "ada@centre.example" in html
    assert 'type="radio" name="learner"' in html
    assert other.email not in html  # walled to the centre
    assert world.assessor.email not in client.get(learner_search("centre")).content.decode()


def test_the_search_finds_a_learner_by_the_uln_the_centre_holds(
    client: Client, world: World
) -> None:
    LearnerProfile.objects.filter(user=world.learner, centre=world.centre).update(uln="1234567890")
    client.force_login(world.admin)

    assert "ada@centre.example" in client.get(learner_search("1234567890")).content.decode()


def test_the_search_lists_at_most_twenty_and_says_there_are_more(
    client: Client, world: World
) -> None:
    for n in range(PICKER_LIMIT + 1):
        member(world.centre, "learner", full_name=f"Grace Hopper {n:02d}")
    client.force_login(world.admin)

    html = client.get(learner_search("hopper")).content.decode()

    assert html.count('type="radio"') == PICKER_LIMIT
    assert "There are more" in html


@pytest.mark.parametrize("search", ["learner", "registration"])
def test_few_matches_read_by_id_list_what_many_walked_in_order_list(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch, search: str
) -> None:
    """PickerField.matches reads the ids of up to PICKER_FEW matches and orders just those;
    past that it asks for the first matches in order. Both must list the same people in the
    same order, walled to the centre, and say alike whether there are more."""
    import core.forms

    # Made in an order that is not the names' order, with e-mails telling same names apart.
    for n in (7, 3, 21, 0, 14, 9, 18, 1, 12, 5, 20, 16, 2, 11, 19, 4, 8, 15, 6, 13, 10, 17):
        person = member(
            world.centre, "learner", full_name=f"Grace Hopper {n % 11:02d}", email=f"g{n}@x.example"
        )
        if search == "registration":
            imi_registration(world, person)
    member(CentreFactory(), "learner", full_name="Grace Hopper 00")  # another centre's
    member(world.centre, "learner", full_name="Alan Turing")  # not matching
    client.force_login(world.admin)
    url = learner_search("hopper") if search == "learner" else registration_search("hopper")

    monkeypatch.setattr(core.forms, "PICKER_FEW", 1_000)
    few = client.get(url).content.decode()
    monkeypatch.setattr(core.forms, "PICKER_FEW", 3)
    many = client.get(url).content.decode()

    assert few == many
    assert few.count('type="radio"') == PICKER_LIMIT
    assert "There are more" in few
    by_name = User.objects.filter(
        memberships__centre=world.centre, full_name__startswith="Grace Hopper"
    ).order_by("full_name", "email")
    assert re.findall(r"\((g\d+@x\.example)\)", few) == [
        person.email for person in by_name[:PICKER_LIMIT]
    ]


def test_a_short_or_unmatched_search_says_so(client: Client, world: World) -> None:
    client.force_login(world.admin)

    assert "at least 2 characters" in client.get(learner_search("a")).content.decode()
    assert "No learner matches" in client.get(learner_search("zzzz")).content.decode()


def test_the_search_needs_a_field_name(client: Client, world: World) -> None:
    client.force_login(world.admin)

    response = client.get(reverse("centre:learner_search") + "?field=<script>&q=ada")

    assert response.status_code == 400


def test_the_search_costs_the_same_queries_for_few_and_many_matches(
    client: Client, world: World, django_assert_num_queries
) -> None:
    client.force_login(world.admin)
    client.get(learner_search("ada"))  # the session and roles are loaded once per request
    with CaptureQueriesContext(connection) as few:
        client.get(learner_search("ada"))
    for n in range(30):
        member(world.centre, "learner", full_name=f"Ada Clone {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(learner_search("ada")).content.decode()
    assert html.count('type="radio"') == PICKER_LIMIT


def test_the_register_page_has_no_list_of_learners(
    client: Client, world: World, django_assert_num_queries
) -> None:
    client.force_login(world.admin)
    client.get(reverse("centre:register"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("centre:register"))
    for _n in range(30):
        member(world.centre, "learner")

    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(reverse("centre:register")).content.decode()

    assert "<option" not in html.split('name="learner_search"')[1].split("</div>")[0]
    assert 'hx-get="/' in html
    assert "learners/search/?field=learner" in html


def test_an_exact_email_typed_without_javascript_goes_on_to_the_units(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    html = client.get(
        reverse("centre:register"), step1(learner_search="ADA@centre.example")
    ).content.decode()

    assert "Step 2 of 2" in html
    assert "ada@centre.example" in html


def test_an_exact_uln_typed_without_javascript_goes_on_to_the_units(
    client: Client, world: World
) -> None:
    LearnerProfile.objects.filter(user=world.learner, centre=world.centre).update(uln="1234567890")
    client.force_login(world.admin)

    html = client.get(
        reverse("centre:register"), step1(learner_search="1234567890")
    ).content.decode()

    assert "Step 2 of 2" in html


def test_part_of_a_name_without_javascript_comes_back_with_the_matches_to_choose(
    client: Client, world: World
) -> None:
    twin = member(world.centre, "learner", full_name="Ada Lovelace-King")
    client.force_login(world.admin)

    html = client.get(reverse("centre:register"), step1(learner_search="lovel")).content.decode()

    assert "Step 1 of 2" in html
    assert "Choose the learner from those matching “lovel”." in html
    assert "ada@centre.example" in html
    assert twin.email in html
    # What was typed is kept, and the other answers too.
    assert 'value="lovel"' in html
    assert 'value="' + datetime.date.today().isoformat() + '"' in html


def test_a_name_nobody_has_gets_a_clear_message(client: Client, world: World) -> None:
    client.force_login(world.admin)

    html = client.get(reverse("centre:register"), step1(learner_search="Nobody")).content.decode()

    assert "No learner matches “Nobody”." in html


def test_two_learners_with_the_same_name_must_be_told_apart(world: World) -> None:
    member(world.centre, "learner", full_name="Ada Lovelace")
    form = RegisterStartForm(step1(learner_search="ada lovelace"), centre=world.centre)

    assert not form.is_valid()
    assert "More than one learner is “ada lovelace”" in str(form.errors["learner"])


def test_a_chosen_learner_of_another_centre_is_refused(world: World) -> None:
    other = member(CentreFactory(), "learner")
    form = RegisterStartForm(step1(learner=str(other.pk)), centre=world.centre)

    assert not form.is_valid()
    assert "Select a valid choice" in str(form.errors["learner"])


def test_the_learners_email_at_another_centre_is_not_found(world: World) -> None:
    other = member(CentreFactory(), "learner")
    form = RegisterStartForm(step1(learner_search=other.email), centre=world.centre)

    assert not form.is_valid()
    assert "No learner matches" in str(form.errors["learner"])


def test_a_chosen_learner_stays_chosen_when_the_form_comes_back(world: World) -> None:
    data = step1(learner=str(world.learner.pk))
    del data["start_date"]
    form = RegisterStartForm(data, centre=world.centre)

    assert not form.is_valid()
    html = str(form["learner"])
    assert f'value="{world.learner.pk}" checked' in html


# ---------------------------------------------------------------- who may search


@pytest.mark.parametrize(
    ("role", "learners", "registrations"),
    [
        ("admin", 200, 200),
        ("iv", 403, 200),
        ("assessor", 403, 403),
        ("learner", 403, 403),
        ("eqa", 403, 403),
    ],
)
def test_only_the_centres_admins_and_ivs_search_its_people(
    client: Client, world: World, role: str, learners: int, registrations: int
) -> None:
    imi_registration(world)
    client.force_login(getattr(world, role))

    found_learners = client.get(learner_search("ada"))
    found_registrations = client.get(registration_search("ada"))

    assert found_learners.status_code == learners
    assert found_registrations.status_code == registrations
    for response in (found_learners, found_registrations):
        if response.status_code == 200:
            assert "ada@centre.example" in response.content.decode()


def test_another_centres_admin_finds_nobody_of_this_centre(client: Client, world: World) -> None:
    imi_registration(world)
    client.force_login(member(CentreFactory(), "admin"))

    for url in (learner_search("ada"), registration_search("ada")):
        response = client.get(url)
        assert response.status_code == 200
        assert "ada@centre.example" not in response.content.decode()


def test_signed_out_people_are_sent_to_sign_in(client: Client, world: World) -> None:
    assert client.get(learner_search("ada")).status_code == 302
    assert client.get(registration_search("ada")).status_code == 302


@pytest.mark.parametrize(
    ("role", "at_own", "at_other"),
    [
        ("admin", (True, True), (False, False)),
        ("iv", (False, True), (False, False)),
        ("assessor", (False, False), (False, False)),
        ("learner", (False, False), (False, False)),
        ("eqa", (False, False), (False, False)),
    ],
)
def test_the_search_predicates_truth_table(
    world: World, role: str, at_own: tuple[bool, bool], at_other: tuple[bool, bool]
) -> None:
    person = getattr(world, role)
    other = CentreFactory()

    for centre, expected in ((world.centre, at_own), (other, at_other)):
        assert administers_centre(person, centre) is expected[0]
        assert administers_or_verifies_at_centre(person, centre) is expected[1]
        assert person.has_perm("accounts.search_learners", centre) is expected[0]
        assert person.has_perm("portfolios.search_registrations", centre) is expected[1]
    assert administers_or_verifies_at_centre(person, None) is False


# ---------------------------------------------------------------- the registration picker


def test_the_registration_search_lists_registrations_by_learner_and_ab_number(
    client: Client, world: World
) -> None:
    registration = imi_registration(world)
    Registration.objects.filter(pk=registration.pk).update(awarding_body_number="AB-991")
    elsewhere = RegistrationFactory(learner=member(CentreFactory(), "learner", full_name="Ada X"))
    client.force_login(world.admin)

    by_name = client.get(registration_search("lovelace")).content.decode()
    by_number = client.get(registration_search("ab-991")).content.decode()

    assert f'value="{registration.pk}"' in by_name
    assert IMI in by_name
    assert f'value="{registration.pk}"' in by_number
    assert f'value="{elsewhere.pk}"' not in client.get(registration_search("ada")).content.decode()


def test_the_registration_search_narrows_to_a_qualification_and_open_ones(
    client: Client, world: World
) -> None:
    active = imi_registration(world)
    withdrawn = imi_registration(world, member(world.centre, "learner", full_name="Ada Gone"))
    Registration.objects.filter(pk=withdrawn.pk).update(status=RegistrationStatus.WITHDRAWN)
    other_qualification = Qualification.objects.exclude(pk=active.qualification_id).first()
    client.force_login(world.iv)

    html = client.get(
        registration_search("ada", qualification=str(active.qualification_id), open="1")
    ).content.decode()
    none = client.get(
        registration_search("ada", qualification=str(other_qualification.pk))
    ).content.decode()

    assert f'value="{active.pk}"' in html
    assert f'value="{withdrawn.pk}"' not in html
    assert "No registration matches" in none


def test_a_hold_is_opened_on_the_registration_named_by_the_learners_email(
    client: Client, world: World
) -> None:
    registration = imi_registration(world)
    client.force_login(world.admin)

    response = client.post(
        reverse("certification:claim_holds"),
        {
            "hold-registration_search": "ada@centre.example",
            "hold-kind": "malpractice",
            "hold-reason": "Under investigation.",
        },
    )

    assert response.status_code == 302
    assert ClaimHold.objects.get().registration == registration


def test_a_hold_on_another_centres_registration_is_refused(client: Client, world: World) -> None:
    elsewhere = RegistrationFactory()
    client.force_login(world.admin)

    response = client.post(
        reverse("certification:claim_holds"),
        {
            "hold-registration": str(elsewhere.pk),
            "hold-kind": "malpractice",
            "hold-reason": "Under investigation.",
        },
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ClaimHold.objects.exists()


def test_the_holds_page_costs_the_same_for_few_and_many_registrations_and_holds(
    client: Client, world: World, django_assert_num_queries
) -> None:
    def hold(n: int) -> None:
        registration = imi_registration(world, member(world.centre, "learner"))
        ClaimHold.objects.create(
            registration=registration, kind="malpractice", reason=f"r{n}", opened_by=world.admin
        )

    hold(0)
    client.force_login(world.admin)
    url = reverse("certification:claim_holds")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 31):
        hold(n)

    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()

    assert "<option" not in html.split('name="hold-registration_search"')[1].split("</div>")[0]
    assert html.count("<tr>") <= 26  # the header and one page of holds
    assert "Page 1 of 2" in html


def test_a_learners_page_offers_to_register_them_with_the_learner_chosen(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)

    person = client.get(reverse("centre:person", args=[world.learner.pk])).content.decode()
    url = reverse("centre:register") + f"?learner={world.learner.pk}"
    html = client.get(url).content.decode()

    assert f'href="{url}"' in person.replace("&amp;", "&")
    assert f'value="{world.learner.pk}" checked' in html
    assert "is-invalid" not in html  # nothing asked for yet, so nothing wrong yet


def test_the_register_link_with_another_centres_learner_chooses_nobody(
    client: Client, world: World
) -> None:
    other = member(CentreFactory(), "learner")
    client.force_login(world.admin)

    html = client.get(reverse("centre:register") + f"?learner={other.pk}").content.decode()

    assert other.email not in html
    assert 'type="radio"' not in html
