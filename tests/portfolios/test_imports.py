from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Centre, Invitation, LearnerProfile, Membership, User
from accounts.services import invitation_accept, invitation_sign_up
from core.models import AuditEvent
from portfolios.models import Registration
from qualifications.models import Qualification
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
ASCENTIS = "600/1686/3"
PEARSON = "603/5449/5"
HEADER = (
    "email,full_name,uln,date_of_birth,qualification,start_date,planned_end_date,"
    "awarding_body_number,optional_units,assessor_email,iv_email"
)
URL = "/centre/import/"


@pytest.fixture
def centre() -> Centre:
    centre = CentreFactory(name="Eastfield College")
    centre.qualifications.add(*Qualification.objects.filter(number__in=[IMI, ASCENTIS]))
    return centre


@pytest.fixture
def staff(centre: Centre) -> dict[str, User]:
    return {
        "admin": member(centre, "admin"),
        "assessor": member(centre, "assessor", email="ann.assessor@centre.example"),
        "iv": member(centre, "iv", email="ivan.verifier@centre.example"),
    }


@pytest.fixture
def admin_client(client: Client, staff: dict[str, User]) -> Client:
    client.force_login(staff["admin"])
    return client


def csv_file(*rows: str, header: str = HEADER, name: str = "learners.csv") -> SimpleUploadedFile:
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def good_row(email: str = "sam.jones@learner.example", **changes: str) -> str:
    values = {
        "email": email,
        "full_name": "Sam Jones",
        "uln": "1234567890",
        "date_of_birth": "2001-04-12",
        "qualification": IMI,
        "start_date": "2026-09-01",
        "planned_end_date": "2027-08-31",
        "awarding_body_number": "IMI-778",
        "optional_units": "D/506/2119;H/506/2154",
        "assessor_email": "ann.assessor@centre.example",
        "iv_email": "ivan.verifier@centre.example",
    }
    values.update(changes)
    return ",".join(values.values())


def problems_of(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported" in html
    return html


# ------------------------------------------------------------------------------- access


def test_it_asks_strangers_to_sign_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["learner", "assessor", "iv", "eqa"])
def test_other_roles_are_refused(client: Client, centre: Centre, role: str) -> None:
    client.force_login(member(centre, role))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": csv_file(good_row())}).status_code == 403
    assert not Registration.objects.exists()


def test_someone_with_no_role_is_refused(client: Client, user: User) -> None:
    client.force_login(user)

    assert client.get(URL).status_code == 403


def test_an_admin_working_as_assessor_is_refused(client: Client, centre: Centre) -> None:
    person = member(centre, "admin")
    Membership.objects.create(user=person, centre=centre, role="assessor")
    client.force_login(person)
    assessor_role = Membership.objects.get(user=person, role="assessor")
    client.post(reverse("switch_role"), {"membership": assessor_role.pk})

    assert client.get(URL).status_code == 403


def test_the_page_documents_every_column(admin_client: Client) -> None:
    html = admin_client.get(URL).content.decode()

    for column in HEADER.split(","):
        assert f"<code>{column}</code>" in html
    assert "<caption>" in html
    assert 'type="file"' in html


# ---------------------------------------------------------------------------- happy path


def _accept(email: str) -> User:
    """The invitee answers: an address with an account accepts, a new one signs up."""
    invitation = Invitation.objects.get(email=email, status="pending")
    user = User.objects.filter(email=email).first()
    if user is None:
        user, _ = invitation_sign_up(
            invitation=invitation, full_name="Their Own Name", password="a-long-new-pass-42"
        )
    else:
        invitation_accept(user=user, invitation=invitation)
    return user


def test_a_good_file_registers_learners_here_and_invites_everyone_else(
    admin_client: Client, centre: Centre, staff: dict[str, User], django_capture_on_commit_callbacks
) -> None:
    here = member(centre, "learner", email="lou.here@learner.example")
    # One new address, one that already has a login (at another centre). Kim's date of birth
    # is given: the one the other centre holds is not this centre's to use for the age rule.
    existing = member(CentreFactory(), "learner", email="kim.lee@learner.example")
    rows = [
        good_row(),
        good_row(
            "kim.lee@learner.example",
            full_name="Kim Lee",
            uln="",
            date_of_birth="1999-02-03",
            qualification=ASCENTIS,
            planned_end_date="",
            optional_units="A/601/6047;R/601/6054",
            assessor_email="",
            iv_email="",
        ),
        good_row("lou.here@learner.example", uln="", date_of_birth=""),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"file": csv_file(*rows)}, follow=True)

    assert (
        "Imported at Eastfield College: 1 registration made now; 2 learners invited, with "
        "2 registrations made when they accept"
    ) in response.content.decode()
    assert Registration.objects.get().learner == here
    assert not User.objects.filter(email="sam.jones@learner.example").exists()
    assert not existing.memberships.filter(centre=centre).exists()
    assert len(mail.outbox) == 2

    sam = _accept("sam.jones@learner.example")
    kim = _accept("kim.lee@learner.example")

    profile = sam.learner_profiles.get(centre=centre)
    assert profile.uln == "1234567890"
    assert profile.date_of_birth == datetime.date(2001, 4, 12)
    registration = Registration.objects.get(learner=sam)
    assert registration.centre == centre
    assert registration.qualification.number == IMI
    assert registration.start_date == datetime.date(2026, 9, 1)
    assert registration.planned_end_date == datetime.date(2027, 8, 31)
    assert registration.awarding_body_number == "IMI-778"
    units = set(registration.unit_choices.values_list("unit__key", flat=True))
    assert {"D/506/2119", "H/506/2154", "A/506/2130"} <= units  # A/506/2130 is mandatory
    assert list(registration.assessors.all()) == [staff["assessor"]]
    assert registration.internal_verifier == staff["iv"]
    assert Registration.objects.get(learner=kim).qualification.number == ASCENTIS
    assert Membership.objects.filter(user=kim, centre=centre, role="learner").exists()
    assert AuditEvent.objects.filter(action="registrations.imported").count() == 1
    assert AuditEvent.objects.filter(action="registration.created").count() == 3


def test_the_import_says_the_same_whether_or_not_an_address_has_an_account(
    staff: dict[str, User], django_capture_on_commit_callbacks
) -> None:
    member(CentreFactory(), "learner", email="kim@learner.example")
    replies = []
    for email in ("kim@learner.example", "new@learner.example"):
        college = CentreFactory(name="Same Name College")
        college.qualifications.add(*Qualification.objects.filter(number=IMI))
        admin = member(college, "admin")
        client = Client()  # a fresh session each time, so no message carries over
        client.force_login(admin)
        mail.outbox.clear()
        row = good_row(email, uln="", date_of_birth="", assessor_email="", iv_email="")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {"file": csv_file(row)})
        replies.append(
            (
                response.status_code,
                response["Location"],
                [str(m) for m in get_messages(response.wsgi_request)],
                len(mail.outbox),
            )
        )

    assert replies[0] == replies[1]


def test_two_rows_for_one_new_address_make_one_invitation(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    rows = [good_row(), good_row(qualification=ASCENTIS, optional_units="A/601/6047;R/601/6054")]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(URL, {"file": csv_file(*rows)})

    invitation = Invitation.objects.get()
    assert [entry["qualification"] for entry in invitation.registrations] == [IMI, ASCENTIS]
    assert len(mail.outbox) == 1
    _accept("sam.jones@learner.example")
    assert Registration.objects.count() == 2


def test_a_registration_that_cannot_be_made_at_acceptance_is_kept_and_shown(
    admin_client: Client, centre: Centre, staff: dict[str, User]
) -> None:
    admin_client.post(URL, {"file": csv_file(good_row())})
    Membership.objects.filter(user=staff["assessor"]).update(is_active=False)  # they left

    sam = _accept("sam.jones@learner.example")

    assert Membership.objects.filter(user=sam, centre=centre, role="learner").exists()
    assert not Registration.objects.exists()
    event = AuditEvent.objects.get(action="invitation.registration_failed")
    assert "is not an assessor at Eastfield College" in event.data["reason"]
    html = admin_client.get(reverse("centre:people")).content.decode()
    assert "could not be registered on 601/3456/2" in html
    assert "is not an assessor at Eastfield College" in html


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(
    admin_client: Client,
) -> None:
    file = csv_file(
        f"2026-09-01,{IMI},Alex Kay,alex@learner.example",
        header="start_date,qualification,full_name,email",
    )

    admin_client.post(URL, {"file": file})
    _accept("alex@learner.example")

    registration = Registration.objects.get()
    assert registration.learner.email == "alex@learner.example"
    assert registration.assessors.count() == 0


def test_an_excel_byte_order_mark_is_accepted(admin_client: Client) -> None:
    data = ("\ufeff" + HEADER + "\n" + good_row() + "\n").encode()

    admin_client.post(URL, {"file": SimpleUploadedFile("x.csv", data)})

    assert Invitation.objects.count() == 1


# ------------------------------------------------------------------------- the file itself


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("learners.xlsx", b"PK\x03\x04", "Choose a .csv file"),
        ("learners.csv", b"", "The file is empty."),
        ("learners.csv", "email\nzoë@x.example\n".encode("latin-1"), "The file is not UTF-8"),
        ("learners.csv", b"email,\x00\x00", "This is not a CSV file"),
        ("learners.csv", b"a" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_a_file_that_is_not_a_small_utf8_csv_is_refused(
    admin_client: Client, name: str, data: bytes, message: str
) -> None:
    response = admin_client.post(URL, {"file": SimpleUploadedFile(name, data)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Registration.objects.exists()


def test_no_file_at_all_is_refused(admin_client: Client) -> None:
    response = admin_client.post(URL, {})

    assert "This field is required." in response.content.decode()


def test_a_header_with_no_rows_is_refused(admin_client: Client) -> None:
    html = problems_of(admin_client.post(URL, {"file": csv_file()}))

    assert "The file has a header row but no learners." in html


def test_unknown_and_missing_columns_are_named(admin_client: Client) -> None:
    file = csv_file("a@b.example,Ann,x", header="email,full_name,shoe_size")

    html = problems_of(admin_client.post(URL, {"file": file}))

    assert "Line 1: unknown column(s) &#x27;shoe_size&#x27;" in html
    assert "Line 1: the header row has no qualification, start_date column" in html


def test_a_file_without_a_header_row_is_refused(admin_client: Client) -> None:
    file = csv_file(good_row(), header=good_row("first@learner.example"))

    html = problems_of(admin_client.post(URL, {"file": file}))

    assert "Line 1: unknown column(s)" in html
    assert "the first row must name the columns" in html


# ------------------------------------------------------------------------------ bad rows


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": ""}, "Line 2: email is missing."),
        ({"full_name": ""}, "Line 2: full_name is missing."),
        ({"qualification": ""}, "Line 2: qualification is missing."),
        ({"start_date": ""}, "Line 2: start_date is missing."),
        ({"email": "not-an-address"}, "Line 2: &#x27;not-an-address&#x27; is not an e-mail"),
        ({"uln": "12345"}, "Line 2: the ULN &#x27;12345&#x27; is not 10 digits."),
        (
            {"start_date": "01/09/2026"},
            "Line 2: start_date &#x27;01/09/2026&#x27; is not a date written YYYY-MM-DD.",
        ),
        ({"date_of_birth": "2001-13-01"}, "Line 2: date_of_birth &#x27;2001-13-01&#x27; is not"),
        (
            {"planned_end_date": "2026-01-01"},
            "Line 2: the planned end date is before the start date.",
        ),
        ({"qualification": "999/9999/9"}, "Line 2: there is no qualification 999/9999/9"),
        (
            {"qualification": PEARSON, "optional_units": ""},
            "Line 2: Eastfield College is not approved to offer 603/5449/5",
        ),
        (
            {"qualification": ASCENTIS, "date_of_birth": "2016-01-01", "optional_units": ""},
            "has a minimum age of 14",
        ),
        (
            {"qualification": ASCENTIS, "date_of_birth": "", "optional_units": ""},
            "record the learner&#x27;s date of birth first",
        ),
        ({"optional_units": "X/000/0000"}, "Line 2: X/000/0000 is not part of this qualification."),
        (
            {"qualification": ASCENTIS, "optional_units": "A/601/6047;R/601/6068"},
            "cannot be taken with",
        ),
        (
            {"assessor_email": "nobody@centre.example"},
            "Line 2: nobody@centre.example is not an assessor at Eastfield College.",
        ),
        (
            {"assessor_email": "ivan.verifier@centre.example"},
            "Line 2: ivan.verifier@centre.example is not an assessor at Eastfield College.",
        ),
        (
            {"iv_email": "ann.assessor@centre.example"},
            "Line 2: ann.assessor@centre.example is not an internal verifier at Eastfield",
        ),
    ],
)
def test_each_bad_row_is_reported_with_its_line(
    admin_client: Client, changes: dict[str, str], message: str
) -> None:
    html = problems_of(admin_client.post(URL, {"file": csv_file(good_row(**changes))}))

    assert message in html
    assert not Registration.objects.exists()
    assert not User.objects.filter(email="sam.jones@learner.example").exists()


def test_staff_of_another_centre_are_not_accepted(admin_client: Client) -> None:
    elsewhere = CentreFactory()
    member(elsewhere, "assessor", email="far.assessor@elsewhere.example")
    member(elsewhere, "iv", email="far.iv@elsewhere.example")
    row = good_row(
        assessor_email="far.assessor@elsewhere.example", iv_email="far.iv@elsewhere.example"
    )

    html = problems_of(admin_client.post(URL, {"file": csv_file(row)}))

    assert "far.assessor@elsewhere.example is not an assessor at Eastfield College." in html
    assert "far.iv@elsewhere.example is not an internal verifier at Eastfield College." in html


def test_a_row_with_the_wrong_number_of_values_is_reported(admin_client: Client) -> None:
    html = problems_of(admin_client.post(URL, {"file": csv_file("a@b.example,Ann")}))

    assert "Line 2: 2 values for 11 columns." in html


def test_a_learner_twice_on_one_qualification_is_a_duplicate_row(admin_client: Client) -> None:
    html = problems_of(admin_client.post(URL, {"file": csv_file(good_row(), good_row())}))

    assert "Line 3: sam.jones@learner.example on 601/3456/2 is already on line 2." in html


def test_an_existing_record_is_never_contradicted(admin_client: Client, centre: Centre) -> None:
    person = member(centre, "learner", email="sam.jones@learner.example")
    LearnerProfile.objects.filter(user=person).update(uln="1111111111")

    html = problems_of(admin_client.post(URL, {"file": csv_file(good_row())}))

    sam = "Line 2: sam.jones@learner.example"
    assert f"{sam} is already recorded here with a different date of birth." in html
    assert f"{sam} is already recorded here with a different ULN." in html


def test_one_bad_row_stops_every_row_and_all_are_reported(admin_client: Client) -> None:
    rows = [
        good_row("first@learner.example"),
        good_row("second@learner.example", start_date="soon"),
        good_row("third@learner.example"),
        good_row("fourth@learner.example", qualification="nope"),
    ]

    html = problems_of(admin_client.post(URL, {"file": csv_file(*rows)}))

    assert "Nothing was imported: the file has 2 problems" in html
    assert "Line 3: start_date &#x27;soon&#x27;" in html
    assert "Line 5: there is no qualification nope" in html
    assert not Registration.objects.exists()
    assert not User.objects.filter(email__endswith="@learner.example").exists()
    assert not AuditEvent.objects.exists()


def test_importing_the_same_file_again_duplicates_nothing(
    admin_client: Client, centre: Centre
) -> None:
    member(centre, "learner", email="kim@learner.example")
    row = good_row("kim@learner.example", uln="", date_of_birth="")
    admin_client.post(URL, {"file": csv_file(row)})
    events = AuditEvent.objects.count()

    html = problems_of(admin_client.post(URL, {"file": csv_file(row)}))

    assert "Line 2: kim@learner.example is already registered on 601/3456/2 here." in html
    assert Registration.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_inviting_the_same_file_again_resends_one_invitation(admin_client: Client) -> None:
    for _ in range(2):
        admin_client.post(URL, {"file": csv_file(good_row())})

    invitation = Invitation.objects.get()
    assert len(invitation.registrations) == 1
    _accept("sam.jones@learner.example")
    assert Registration.objects.count() == 1


def test_the_import_only_touches_the_admins_active_centre(
    admin_client: Client, centre: Centre
) -> None:
    admin_client.post(URL, {"file": csv_file(good_row())})
    _accept("sam.jones@learner.example")

    assert set(Registration.objects.values_list("centre", flat=True)) == {centre.pk}
