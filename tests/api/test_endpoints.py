"""The endpoints read what the pages show the token's caller, and nothing of another centre:
another centre's object answers 404, as an unknown one does. Query counts stay fixed."""

from __future__ import annotations

import pytest

from accounts.models import Role
from portfolios.models import RegistrationStatus
from qualifications.models import Qualification, Unit
from tests.api.conftest import call, make_token
from tests.api.conftest import register as _register
from tests.factories import CentreFactory, MembershipFactory, member

pytestmark = pytest.mark.django_db

IMI = "601/3456/2"


@pytest.fixture
def two_centres() -> dict:
    own, other = CentreFactory(name="Own"), CentreFactory(name="Other")
    own_admin, other_admin = member(own, Role.CENTRE_ADMIN), member(other, Role.CENTRE_ADMIN)
    learner = member(own, Role.LEARNER)
    mine = _register(own, own_admin, learner)
    classmate = _register(own, own_admin)
    theirs = _register(other, other_admin)
    return {
        "own": own,
        "other": other,
        "own_admin": own_admin,
        "learner": learner,
        "mine": mine,
        "classmate": classmate,
        "theirs": theirs,
    }


def test_a_centre_token_lists_its_centres_registrations_only(two_centres: dict) -> None:
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    body = call("/registrations", secret).json()
    assert body["count"] == 2
    assert {item["id"] for item in body["items"]} == {
        two_centres["mine"].pk,
        two_centres["classmate"].pk,
    }
    assert {item["centre"]["name"] for item in body["items"]} == {"Own"}
    item = body["items"][0]
    assert item["progress"]["criteria_required"] > 0
    assert item["qualification"]["number"] == IMI


def test_another_centres_registration_is_404_like_an_unknown_one(two_centres: dict) -> None:
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    theirs = call(f"/registrations/{two_centres['theirs'].pk}", secret)
    unknown = call("/registrations/987654321", secret)
    assert theirs.status_code == unknown.status_code == 404
    assert "may read" in theirs.json()["detail"]
    own = call(f"/registrations/{two_centres['mine'].pk}", secret)
    assert own.status_code == 200
    assert own.json()["units"]
    # Filtering by the other centre's qualification finds nothing of theirs either.
    listed = call("/registrations", secret, qualification=two_centres["theirs"].qualification_id)
    assert two_centres["theirs"].pk not in {item["id"] for item in listed.json()["items"]}


def test_a_learners_own_token_reads_their_registration_only(two_centres: dict) -> None:
    _, secret = make_token(two_centres["learner"])
    body = call("/registrations", secret).json()
    assert [item["id"] for item in body["items"]] == [two_centres["mine"].pk]
    assert call(f"/registrations/{two_centres['classmate'].pk}", secret).status_code == 404
    assert call(f"/registrations/{two_centres['mine'].pk}", secret).status_code == 200


def test_an_admins_centre_token_does_not_read_the_admins_own_registration_elsewhere() -> None:
    # The admin is a learner at another centre: their personal token reads that registration,
    # the centre's token (the admin's view of this centre only) does not.
    here, elsewhere = CentreFactory(), CentreFactory()
    admin = member(here, Role.CENTRE_ADMIN)
    other_admin = member(elsewhere, Role.CENTRE_ADMIN)
    own_study = _register(elsewhere, other_admin, admin)
    _, centre_secret = make_token(admin, centre=here)
    _, personal_secret = make_token(admin)
    assert call(f"/registrations/{own_study.pk}", centre_secret).status_code == 404
    assert call(f"/registrations/{own_study.pk}", personal_secret).status_code == 200


def test_registrations_filter_by_status_and_page_by_limit_and_offset(two_centres: dict) -> None:
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    first = call("/registrations", secret, limit=1).json()
    second = call("/registrations", secret, limit=1, offset=1).json()
    assert first["count"] == second["count"] == 2
    assert first["items"][0]["id"] != second["items"][0]["id"]
    none = call("/registrations", secret, status=RegistrationStatus.WITHDRAWN).json()
    assert none == {"count": 0, "limit": 25, "offset": 0, "items": []}


def test_bad_input_answers_422_saying_where(two_centres: dict) -> None:
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    response = call("/registrations", secret, limit=0, status="lost")
    assert response.status_code == 422
    assert "query.limit" in response.json()["detail"]
    assert "query.status" in response.json()["detail"]
    assert call(f"/registrations/{2**63}", secret).status_code == 422


def test_the_catalogue_lists_qualifications_and_reads_units_and_criteria() -> None:
    person = member(CentreFactory(), Role.LEARNER)
    _, secret = make_token(person)
    listed = call("/catalogue/qualifications", secret, limit=100).json()
    assert listed["count"] == Qualification.objects.count()
    imi = Qualification.objects.get(number=IMI)
    detail = call(f"/catalogue/qualifications/{imi.pk}", secret).json()
    assert detail["number"] == IMI
    assert len(detail["units"]) == imi.memberships.count()
    unit = Unit.objects.filter(criteria__isnull=False).first()
    read = call(f"/catalogue/units/{unit.pk}", secret).json()
    assert sum(len(o["criteria"]) for o in read["outcomes"]) == unit.criteria.count()
    assert call("/catalogue/units/987654321", secret).status_code == 404


def _queries_for(django_assert_num_queries, path: str, secret: str, count: int) -> None:
    with django_assert_num_queries(count):
        assert call(path, secret).status_code == 200


def test_query_counts_do_not_grow_with_the_rows(
    two_centres: dict, django_assert_num_queries
) -> None:
    # token, roles, count, page: 4 (last_used_at written on the first call only, made here).
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    call("/registrations", secret)
    _queries_for(django_assert_num_queries, "/registrations", secret, 4)
    for _ in range(5):
        _register(two_centres["own"], two_centres["own_admin"])
    _queries_for(django_assert_num_queries, "/registrations", secret, 4)
    # token, roles, the registration, its units.
    _queries_for(django_assert_num_queries, f"/registrations/{two_centres['mine'].pk}", secret, 4)
    # token, roles, count, page.
    _queries_for(django_assert_num_queries, "/catalogue/qualifications?limit=100", secret, 4)
    imi = Qualification.objects.get(number=IMI)
    # token, roles, the qualification, its units.
    _queries_for(django_assert_num_queries, f"/catalogue/qualifications/{imi.pk}", secret, 4)
    unit = Unit.objects.filter(criteria__isnull=False).first()
    # token, roles, the unit, outcomes, criteria.
    _queries_for(django_assert_num_queries, f"/catalogue/units/{unit.pk}", secret, 5)


def test_a_centre_token_lists_its_centres_people_with_their_roles_there(two_centres: dict) -> None:
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    body = call("/people", secret, limit=100).json()
    ids = {item["id"] for item in body["items"]}
    assert two_centres["learner"].pk in ids
    assert two_centres["own_admin"].pk in ids
    assert two_centres["theirs"].learner_id not in ids
    assert {role["centre_id"] for item in body["items"] for role in item["roles"]} == {
        two_centres["own"].pk
    }
    learners = call("/people", secret, role=Role.LEARNER).json()
    assert learners["count"] == 2
    assert {r["role"] for item in learners["items"] for r in item["roles"]} == {"learner"}


@pytest.mark.parametrize(
    "given",
    [{}, {"status": "withdrawn"}, {"status": "active"}, {"qualification": True}],
    ids=["all", "withdrawn", "active", "one qualification"],
)
def test_a_centre_tokens_list_is_visible_to_at_its_centre(two_centres: dict, given: dict) -> None:
    # A centre token's list is read as compiled shapes of the centre's registrations
    # (api.registrations.CENTRE_PAGE), not through visible_to: the same rows, count and
    # pages as visible_to gives the token's caller, whatever the filters.
    from api.caller import caller_for_secret
    from api.registrations import _listed_page

    own = two_centres["own"]
    extra = [_register(own, two_centres["own_admin"]) for _ in range(3)]
    extra[0].status = RegistrationStatus.WITHDRAWN
    extra[0].save(update_fields=["status"])
    if given.get("qualification"):
        given = {"qualification": extra[1].qualification_id}
    _, secret = make_token(two_centres["own_admin"], centre=own)
    caller = caller_for_secret(secret)
    visible = caller.registrations().filter(
        **{("qualification_id" if k == "qualification" else k): v for k, v in given.items()}
    )
    expected = [row[0] for row in _listed_page(visible)]
    assert expected  # each case lists something
    listed: list[int] = []
    for offset in range(0, len(expected) + 2, 2):
        body = call("/registrations", secret, limit=2, offset=offset, **given).json()
        assert body["count"] == visible.count() == len(expected)
        listed += [item["id"] for item in body["items"]]
    assert listed == expected
    assert two_centres["theirs"].pk not in listed


def test_a_listed_registration_reads_as_its_own_page_does(two_centres: dict) -> None:
    # The list writes its items from rows (api.registrations._listed), the detail from
    # instances: the same item either way, with progress counted or not, behind or not, and a
    # learner known only by their address.
    import datetime

    from portfolios.models import RegistrationProgress
    from tests.support import clock

    mine, classmate = two_centres["mine"], two_centres["classmate"]
    RegistrationProgress.objects.filter(registration=classmate).delete()
    RegistrationProgress.objects.update_or_create(
        registration=mine,
        defaults={
            "criteria_required": 9,
            "criteria_met": 4,
            "paced": True,
            "behind_from": clock.today() - datetime.timedelta(days=1),
        },
    )
    classmate.learner.full_name = ""
    classmate.learner.save(update_fields=["full_name"])
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    listed = {item["id"]: item for item in call("/registrations", secret).json()["items"]}
    for registration in (mine, classmate):
        detail = call(f"/registrations/{registration.pk}", secret).json()
        detail.pop("units")
        assert listed[registration.pk] == detail
    assert listed[mine.pk]["progress"]["behind"] is True
    assert listed[classmate.pk]["progress"] is None
    assert listed[classmate.pk]["learner"]["full_name"] == classmate.learner.email


@pytest.mark.parametrize(
    "role", [None, Role.LEARNER, Role.ASSESSOR], ids=["all", "learners", "assessors"]
)
def test_a_centre_tokens_people_are_its_callers_people(two_centres: dict, role: str | None) -> None:
    # A centre token's people are read as compiled shapes of the centre's current memberships
    # (api.people.CENTRE_PAGE), not through User.visible_to: the same people, count and pages
    # as Caller.people gives, whatever the role asked for; no one only at another centre.
    import datetime

    from api.caller import caller_for_secret
    from api.people import _ordered
    from tests.support import clock

    own = two_centres["own"]
    member(own, Role.ASSESSOR)
    member(own, Role.LEARNER)
    gone = member(own, Role.LEARNER)
    gone.memberships.update(expires_on=clock.today() - datetime.timedelta(days=1))
    member(two_centres["other"], Role.LEARNER)
    _, secret = make_token(two_centres["own_admin"], centre=own)
    caller = caller_for_secret(secret)
    people = caller.people()
    if role:
        people = people.filter(pk__in=caller.memberships().filter(role=role).values("user_id"))
    expected = [row[0] for row in _ordered(people)]
    assert expected
    assert gone.pk not in expected
    asked = {"role": role} if role else {}
    listed: list[int] = []
    for offset in range(0, len(expected) + 2, 2):
        body = call("/people", secret, limit=2, offset=offset, **asked).json()
        assert body["count"] == len(expected)
        listed += [item["id"] for item in body["items"]]
    assert listed == expected


def test_a_person_with_two_roles_at_the_centre_is_counted_once(two_centres: dict) -> None:
    # The count is of people, not of their roles (it is taken from the memberships).
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    before = call("/people", secret, limit=100).json()
    MembershipFactory(user=two_centres["learner"], centre=two_centres["own"], role=Role.ASSESSOR)
    after = call("/people", secret, limit=100).json()
    assert after["count"] == before["count"] == len(after["items"])
    mine = next(i for i in after["items"] if i["id"] == two_centres["learner"].pk)
    assert {r["role"] for r in mine["roles"]} == {Role.LEARNER, Role.ASSESSOR}
    assert call("/people", secret, role=Role.ASSESSOR).json()["count"] == 1


def test_a_learners_own_token_lists_only_themselves(two_centres: dict) -> None:
    _, secret = make_token(two_centres["learner"])
    body = call("/people", secret).json()
    assert [item["id"] for item in body["items"]] == [two_centres["learner"].pk]


def test_the_people_list_reads_the_same_queries_for_few_or_many(
    two_centres: dict, django_assert_num_queries
) -> None:
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    call("/people", secret)
    # token, roles, count, page, their roles.
    _queries_for(django_assert_num_queries, "/people", secret, 5)
    for _ in range(5):
        member(two_centres["own"], Role.ASSESSOR)
    _queries_for(django_assert_num_queries, "/people", secret, 5)


def test_a_person_with_several_roles_at_the_centre_is_listed_once(two_centres: dict) -> None:
    # People are found by subquery, not by joining their memberships (no DISTINCT over whole
    # rows): someone assessing and verifying at the centre, and learning at another, is one
    # person in the list and in its count, with each role they hold here.
    both = member(two_centres["own"], Role.ASSESSOR)
    MembershipFactory(user=both, centre=two_centres["own"], role=Role.INTERNAL_VERIFIER)
    MembershipFactory(user=both, centre=two_centres["other"], role=Role.LEARNER)
    _, secret = make_token(two_centres["own_admin"], centre=two_centres["own"])
    body = call("/people", secret, limit=100).json()
    ids = [item["id"] for item in body["items"]]
    assert ids.count(both.pk) == 1
    assert body["count"] == len(ids)
    roles = next(item["roles"] for item in body["items"] if item["id"] == both.pk)
    assert [r["role"] for r in roles] == sorted([Role.ASSESSOR, Role.INTERNAL_VERIFIER])
