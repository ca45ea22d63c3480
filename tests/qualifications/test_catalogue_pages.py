from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.usefixtures("catalogue")

SFJ = "601/1109/4"
PEARSON_CERT = "603/5449/5"
IMI = "601/3456/2"


def test_the_catalogue_needs_sign_in(client: Client) -> None:
    for url in (
        reverse("qualifications:list"),
        reverse("qualifications:detail", args=[SFJ]),
        reverse("qualifications:unit", args=["A/506/2130"]),
        reverse("qualifications:standard", args=["customer-service-practitioner"]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_every_qualification(client: Client, signed_in: User) -> None:
    html = client.get(reverse("qualifications:list")).content.decode()

    for number in (SFJ, IMI, "600/1686/3", "600/1684/X", PEARSON_CERT, "603/5450/1", "601/3973/0"):
        assert number in html
    assert "7 qualifications" in html


def test_the_list_filters_by_awarding_body_level_and_status(
    client: Client, signed_in: User
) -> None:
    url = reverse("qualifications:list")

    pearson = client.get(url, {"awarding_body": "PEARSON"}).content.decode()
    assert PEARSON_CERT in pearson
    assert SFJ not in pearson
    level_1 = client.get(url, {"level": "1"}).content.decode()
    assert "600/1686/3" in level_1
    assert IMI not in level_1
    # SFJ's certification end date (31 March 2023) has passed: the qualification is closed.
    closed = client.get(url, {"status": "closed"}).content.decode()
    assert SFJ in closed
    assert "1 qualification<" in closed


def test_a_bad_filter_value_is_ignored_with_the_form_showing_why(
    client: Client, signed_in: User
) -> None:
    response = client.get(reverse("qualifications:list"), {"level": "99"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_qualification_page_states_its_rules_in_plain_words(
    client: Client, signed_in: User
) -> None:
    html = client.get(reverse("qualifications:detail", args=[SFJ])).content.decode()

    assert "Achieve at least 42 credits." in html
    assert "Group A (mandatory): take all" in html
    assert (
        "At least 10 credits from Group B, Group C, Group D or Group E must be at Level 3." in html
    )


def test_the_qualification_page_says_which_reading_of_an_ambiguous_rule_is_applied_and_why(
    client: Client, signed_in: User
) -> None:
    # SFJ handbook line 113: "A minimum of 10 of the credits from Groups B to E must be at
    # Level 3." Exactly Level 3, or Level 3 or above? The page says which and why.
    html = client.get(reverse("qualifications:detail", args=[SFJ])).content.decode()

    assert "How an ambiguous rule is read" in html
    assert "exactly Level 3, so Level 4 credits do not count towards these 10" in html
    assert "This is the stricter reading" in html
    assert "confirm the reading with SFJ" in html


def test_a_qualification_without_an_ambiguous_rule_states_no_reading(
    client: Client, signed_in: User
) -> None:
    html = client.get(reverse("qualifications:detail", args=[PEARSON_CERT])).content.decode()

    assert "How an ambiguous rule is read" not in html


def test_the_certificate_page_shows_the_annexe_a_mapping_of_its_units_1_to_4(
    client: Client, signed_in: User
) -> None:
    # Pearson Annexe A: "maps the knowledge, skills and behaviours (KSBs) of the Customer
    # Service Specialist Apprenticeship Standard to the content covered in the Pearson BTEC
    # Level 3 Certificate and Diploma ... Please note: only Units 1–4 are part of the
    # Certificate structure." Notes seed-003 section 2.4 for Units 1-4: K1 1, 3, 4; K2 2;
    # K3 2; K4 1, 4.
    html = client.get(reverse("qualifications:detail", args=[PEARSON_CERT])).content.decode()

    start = html.index('data-testid="standard-customer-service-specialist"')
    block = html[start : html.index("</li>\n      \n    </ul>", start)]
    assert "Customer Service Specialist" in block
    assert "its mapping is published for 603/5450/1" in block
    mapped = re.findall(r"<li>([KSB]\d+) [^<:]+: ([^<]+)</li>", block)
    assert mapped == [
        ("K1", "Unit 1, Unit 3, Unit 4"),
        ("K2", "Unit 2"),
        ("K3", "Unit 2"),
        ("K4", "Unit 1, Unit 4"),
    ]


def test_the_diploma_page_shows_all_fourteen_groups_of_its_own_annexe_a(
    client: Client, signed_in: User
) -> None:
    html = client.get(reverse("qualifications:detail", args=["603/5450/1"])).content.decode()

    start = html.index('data-testid="standard-customer-service-specialist"')
    block = html[start:]
    assert "its mapping is published for" not in block
    mapped = re.findall(r"<li>([KSB]\d+) [^<:]+: ([^<]+)</li>", block)
    assert len(mapped) == 14
    assert mapped[0] == ("K1", "Unit 1, Unit 3, Unit 4, Unit 8")
    # Notes seed-003 section 2.4: 4 + 1 + 1 + 2 + 2 + 3 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 1 ticks.
    assert sum(len(units.split(", ")) for _, units in mapped) == 22


def test_an_unknown_qualification_is_404(client: Client, signed_in: User) -> None:
    assert client.get("/catalogue/qualifications/999/9999/9/").status_code == 404


def test_qualification_pages_cost_the_same_queries_whatever_their_size(
    client: Client, signed_in: User, django_assert_num_queries
) -> None:
    client.get(reverse("qualifications:detail", args=[PEARSON_CERT]))  # warm the session

    # 12: the standards it reaches, and the statements mapped to its units (two queries).
    with django_assert_num_queries(12) as small:
        client.get(reverse("qualifications:detail", args=[PEARSON_CERT]))
    with django_assert_num_queries(len(small.captured_queries)):
        # The SFJ diploma: 59 units, about 1,200 criteria.
        client.get(reverse("qualifications:detail", args=[SFJ]))


def test_unit_pages_cost_the_same_queries_whatever_their_size(
    client: Client, signed_in: User, django_assert_num_queries
) -> None:
    client.get(reverse("qualifications:unit", args=["PEARSON:Unit 7"]))

    with django_assert_num_queries(9) as small:
        client.get(reverse("qualifications:unit", args=["PEARSON:Unit 7"]))
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("qualifications:unit", args=["A/506/2130"]))


def test_the_unit_page_lists_outcomes_criteria_and_the_statements_they_evidence(
    client: Client, signed_in: User
) -> None:
    html = client.get(reverse("qualifications:unit", args=["A/506/2130"])).content.decode()

    assert "Deliver customer service" in html
    assert 'id="ac-1.1"' in html
    # NCFE's mapping cites this unit (NCFE Unit 1) for statement K3 among others.
    assert "#statement-K3" in html
    assert "as CS 7" in html


def test_the_standard_page_shows_each_statement_and_its_criteria(
    client: Client, signed_in: User, django_assert_num_queries
) -> None:
    url = reverse("qualifications:standard", args=["customer-service-practitioner"])
    client.get(url)

    with django_assert_num_queries(8):
        html = client.get(url).content.decode()

    assert "Understand who customers are." in html
    assert "No mapping:" in html
    assert 'id="statement-S9"' in html
