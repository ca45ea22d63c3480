from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.context import ROLE_ORDER, current_memberships
from accounts.models import Membership
from core.prepared import Prepared, PreparedForIds, PreparedInstances, PreparedShapes
from portfolios.models import Registration
from portfolios.queries import registration_with_people
from qualifications.models import Qualification
from tests.factories import (
    CentreFactory,
    EmployerFactory,
    RegistrationFactory,
    apprentice,
    member,
)

# The factories pick qualifications from the catalogue.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


def _of_learner(*, registration: int, centre: int) -> QuerySet:
    # A date, a JSON list and a joined column: each needs the backend's converters on SQLite.
    return (
        Registration.objects.filter(pk=registration, centre_id=centre)
        .order_by()
        .values_list("pk", "start_date", "learner__email", "qualification__notes")
    )


def test_it_gives_the_rows_the_orm_gives_for_any_ids() -> None:
    first, second = RegistrationFactory(), RegistrationFactory()
    prepared = Prepared(_of_learner)

    for registration in (first, second, first):
        ids = {"registration": registration.pk, "centre": registration.centre_id}
        assert prepared.rows(**ids) == list(_of_learner(**ids))
    assert prepared.rows(registration=first.pk, centre=second.centre_id) == []


def test_it_builds_and_compiles_the_query_once() -> None:
    registration = RegistrationFactory()
    built = []

    def build(*, registration: int, centre: int) -> QuerySet:
        built.append(registration)
        return _of_learner(registration=registration, centre=centre)

    prepared = Prepared(build)
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            prepared.rows(registration=registration.pk, centre=registration.centre_id)
        assert len(queries) == 1

    assert len(built) == 1


def _learners_of(ids: list[int]) -> QuerySet:
    return Registration.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "learner_id")


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 8, 9])
def test_a_list_of_ids_gives_the_rows_the_orm_gives_whatever_its_length(count: int) -> None:
    registrations = [RegistrationFactory() for _ in range(count)]
    ids = [registration.pk for registration in reversed(registrations)]
    prepared = PreparedForIds(_learners_of)
    expected = list(_learners_of(ids))

    with CaptureQueriesContext(connection) as queries:
        assert prepared.rows(ids) == expected
    assert len(queries) == (1 if ids else 0)  # an empty list asks nothing, as the ORM's __in


def test_a_list_of_ids_is_compiled_once_for_each_size_in_powers_of_two() -> None:
    registrations = [RegistrationFactory() for _ in range(6)]
    ids = [registration.pk for registration in registrations]
    built: list[int] = []

    def build(listed: list[int]) -> QuerySet:
        built.append(len(listed))
        return _learners_of(listed)

    prepared = PreparedForIds(build)
    for wanted in (ids[:3], ids[:4], ids[1:5], ids[:5], ids, ids[:1], ids[2:3]):
        assert prepared.rows(wanted) == list(_learners_of(wanted))
    # Sizes 4 (three and four ids), 8 (five and six) and 1: each built once, with a stand-in
    # for each id of its size.
    assert built == [4, 8, 1]
    assert sorted(prepared._sized) == [1, 4, 8]


def test_a_list_longer_than_the_sizes_kept_is_built_as_any_query() -> None:
    registrations = [RegistrationFactory() for _ in range(3)]
    ids = [registration.pk for registration in registrations]
    prepared = PreparedForIds(_learners_of)
    prepared.MAX_IDS = 2

    assert prepared.rows(ids) == list(_learners_of(ids))
    assert prepared._sized == {}


def test_an_id_that_never_reaches_the_sql_is_refused() -> None:
    def build(*, registration: int, unit: int) -> QuerySet:
        return Registration.objects.filter(pk=registration).values_list("pk")

    with pytest.raises(ValueError, match="unit"):
        Prepared(build).rows(registration=1, unit=2)


def test_it_wants_rows_not_model_instances() -> None:
    def build(*, qualification: int) -> QuerySet:
        return Qualification.objects.filter(pk=qualification)

    with pytest.raises(TypeError, match="values_list"):
        Prepared(build).rows(qualification=1)


def test_it_takes_integer_ids_and_exactly_the_ones_it_names() -> None:
    prepared = Prepared(_of_learner)

    with pytest.raises(TypeError):
        prepared.rows(registration="1 OR 1=1", centre=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        prepared.rows(registration=True, centre=1)
    with pytest.raises(TypeError):
        prepared.rows(registration=1)


def test_the_registration_comes_with_its_people_as_select_related_gives_it() -> None:
    registration = RegistrationFactory()
    expected = Registration.objects.select_related("learner", "centre", "qualification").get(
        pk=registration.pk
    )

    with CaptureQueriesContext(connection) as queries:
        loaded = registration_with_people(registration.pk)
        assert loaded is not None
        for name in ("learner", "centre", "qualification"):
            got, wanted = getattr(loaded, name), getattr(expected, name)
            assert got.pk == wanted.pk
            for field in type(wanted)._meta.concrete_fields:
                assert getattr(got, field.attname) == getattr(wanted, field.attname)
    assert len(queries) == 1
    for field in Registration._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname)
    assert registration_with_people(registration.pk + 1000) is None


def _same_fields(got: object, wanted: object) -> None:
    assert type(got) is type(wanted)
    for field in type(wanted)._meta.concrete_fields:  # type: ignore[attr-defined]
        assert getattr(got, field.attname) == getattr(wanted, field.attname)


def test_the_registration_comes_with_its_programme_record_when_asked() -> None:
    plain, programme = RegistrationFactory(), RegistrationFactory()
    apprentice(programme, EmployerFactory(centre=programme.centre))
    expected = Registration.objects.select_related(
        "apprenticeship__employer", "apprenticeship__standard"
    ).get(pk=programme.pk)

    with CaptureQueriesContext(connection) as queries:
        loaded = registration_with_people(programme.pk, programme=True)
        assert loaded is not None
        record = loaded.apprenticeship
        _same_fields(record, expected.apprenticeship)
        _same_fields(record.employer, expected.apprenticeship.employer)
        _same_fields(record.standard, expected.apprenticeship.standard)
        assert record.registration is loaded
        # None where there is no programme record, as select_related caches it: no query.
        without = registration_with_people(plain.pk, apprenticeship=True)
        assert without is not None
        with pytest.raises(Registration.apprenticeship.RelatedObjectDoesNotExist):
            without.apprenticeship  # noqa: B018
    assert len(queries) == 2


def test_the_programme_record_alone_leaves_its_employer_and_standard_to_be_asked_for() -> None:
    """The off-the-job log's shape: the record (its plan) in the one query, the employer and
    standard not joined (each a query if someone asks, which the log's count test forbids)."""
    programme = RegistrationFactory()
    apprentice(programme, EmployerFactory(centre=programme.centre))
    expected = Registration.objects.select_related("apprenticeship").get(pk=programme.pk)
    employer = expected.apprenticeship.employer

    with CaptureQueriesContext(connection) as queries:
        loaded = registration_with_people(programme.pk, apprenticeship=True)
        assert loaded is not None
        _same_fields(loaded.apprenticeship, expected.apprenticeship)
        assert loaded.apprenticeship.registration is loaded
    assert len(queries) == 1
    assert "accounts_employer" not in queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        assert loaded.apprenticeship.employer == employer
    assert len(queries) == 1


def _registrations_of(*, centre: int) -> QuerySet:
    return Registration.objects.filter(centre_id=centre).order_by("pk")


REGISTRATIONS = PreparedInstances(
    Registration, _registrations_of, related=("learner", "internal_verifier")
)


def test_instances_come_with_their_foreign_keys_as_select_related_gives_them() -> None:
    centre = CentreFactory()
    first = RegistrationFactory(centre=centre)
    verified = RegistrationFactory(centre=centre)
    verified.internal_verifier = member(centre, "iv")
    verified.save()
    RegistrationFactory()  # another centre's
    expected = list(
        Registration.objects.filter(centre=centre)
        .select_related("learner", "internal_verifier")
        .order_by("pk")
    )

    with CaptureQueriesContext(connection) as queries:
        got = REGISTRATIONS.instances(centre=centre.pk)
        assert [r.pk for r in got] == [first.pk, verified.pk]
        for loaded, wanted in zip(got, expected, strict=True):
            _same_fields(loaded, wanted)
            _same_fields(loaded.learner, wanted.learner)
        # A null key is cached as None, as select_related leaves it: no query to find so.
        assert got[0].internal_verifier is None
        _same_fields(got[1].internal_verifier, expected[1].internal_verifier)
    assert len(queries) == 1


def _current_roles(*, user: int, today: datetime.date) -> QuerySet:
    return (
        Membership.objects.current(today)
        .filter(user_id=user)
        .order_by("pk")
        .values_list("pk", "role", "expires_on", "created_at")
    )


def test_a_date_argument_takes_the_real_date_in_place_of_its_stand_in() -> None:
    centre = CentreFactory()
    person = member(centre, "assessor")
    Membership.objects.create(
        user=person, centre=centre, role="eqa", expires_on=datetime.date(2030, 6, 30)
    )
    prepared = Prepared(_current_roles, dates=["today"])

    for today in (datetime.date(2030, 6, 30), datetime.date(2030, 7, 1), datetime.date(2030, 6, 1)):
        ids = {"user": person.pk, "today": today}
        assert prepared.rows(**ids) == list(_current_roles(**ids))
    assert len(prepared.rows(user=person.pk, today=datetime.date(2030, 6, 30))) == 2
    assert len(prepared.rows(user=person.pk, today=datetime.date(2030, 7, 1))) == 1
    with pytest.raises(TypeError):
        prepared.rows(user=person.pk, today="2030-07-01")


def test_the_header_reads_the_current_memberships_with_their_centres_in_one_query() -> None:
    centre = CentreFactory()
    person = member(centre, "assessor")
    Membership.objects.create(
        user=person,
        centre=centre,
        role="eqa",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    Membership.objects.create(user=person, centre=CentreFactory(), role="iv")
    request = RequestFactory().get("/")
    request.user = person

    with CaptureQueriesContext(connection) as queries:
        loaded = current_memberships(request)
        assert [(m.role, m.centre.name) for m in loaded] == [
            (m.role, m.centre.name)
            for m in sorted(
                Membership.objects.current().filter(user=person).select_related("centre"),
                key=lambda m: (ROLE_ORDER.index(m.role), m.centre.name),
            )
        ]
    assert len(queries) == 2  # the memberships, then the ORM's own list to compare with
    assert {m.role for m in loaded} == {"assessor", "iv"}


def test_a_session_is_read_as_djangos_store_reads_it_and_not_once_expired() -> None:
    from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

    from core.sessions import SessionStore

    stored = SessionStore()
    stored["role"] = 7
    stored.create()
    stored["role"] = 7
    stored.save()

    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(stored.session_key).load() == {"role": 7}
    assert len(queries) == 1
    assert DatabaseStore(stored.session_key).load() == {"role": 7}
    assert SessionStore("no-such-key-0123456789abcdef").load() == {}

    Session = SessionStore.get_model_class()
    Session.objects.filter(session_key=stored.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(stored.session_key)
    assert expired.load() == {}
    assert expired.session_key is None


def _at_centre(
    start: int | None, stop: int | None, *, centre: int, status: str | None = None
) -> QuerySet:
    rows = Registration.objects.filter(centre_id=centre)
    if status is not None:
        rows = rows.filter(status=status)
    return rows.order_by("pk").values_list("pk", "status")[start:stop]


def test_each_shape_gives_the_rows_the_orm_gives_and_is_built_once() -> None:
    centre = CentreFactory()
    made = [RegistrationFactory(centre=centre) for _ in range(5)]
    Registration.objects.filter(pk=made[1].pk).update(status="withdrawn")
    RegistrationFactory()  # another centre's
    built: list[tuple[int | None, int | None]] = []

    def build(start: int | None, stop: int | None, **given: object) -> QuerySet:
        built.append((start, stop))
        return _at_centre(start, stop, **given)  # type: ignore[arg-type]

    shapes = PreparedShapes(build, texts=["status"])
    asked = [
        ((0, 2), {"centre": centre.pk}),
        ((2, 4), {"centre": centre.pk}),
        ((0, 2), {"centre": centre.pk, "status": "withdrawn"}),
        ((None, None), {"centre": centre.pk}),
    ]
    for _ in range(2):
        for (start, stop), given in asked:
            assert shapes.rows(start, stop, **given) == list(_at_centre(start, stop, **given))
    # One build for each shape (arguments given, slice), whatever the number of calls.
    assert sorted(built, key=str) == sorted([a for a, _ in asked], key=str)


def test_shapes_past_those_kept_or_deepest_are_built_as_any_query() -> None:
    centre = CentreFactory()
    for _ in range(3):
        RegistrationFactory(centre=centre)
    built: list[int] = []

    def build(start: int | None, stop: int | None, *, centre: int) -> QuerySet:
        built.append(1)
        return _at_centre(start, stop, centre=centre)

    for shapes in (PreparedShapes(build, kept=0), PreparedShapes(build, deepest=1)):
        built.clear()
        for _ in range(2):
            assert shapes.rows(0, 2, centre=centre.pk) == list(_at_centre(0, 2, centre=centre.pk))
        assert shapes._shapes == {}
        assert len(built) == 2  # built on each call, not kept
