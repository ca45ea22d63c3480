"""Benchmark (issue 19): the progress reviews, the gateway and the cohort of apprentices, each
beside its SQL floor.

Suite: `bench(ctx)` (bench/run.py) measures seed_scale's apprentices (demo/scale.py,
`apprentices`, `_more_apprentices`, `apprentice_reviews`): some 110 NCFE apprentices at five
employers, each with three progress reviews signed by all three and locked (the longest log's
apprentice six), every eighth past the gateway and a third of those with an end-point result.
The ids come from the manifest ("review", "review_registration", "gateway_registration"), else
are found in the database; a database seeded before they existed answers with an error row
(reseed).

Rows, each through the test client (session, sign-in, permission, queries, template) beside
the hand-written SQL that returns exactly the data the page shows, with what every signed-in
page reads (the session, the user and their roles: harness.SIGNED_IN), timed in turn in the same
run (pages_portfolio.paired_medians):
  - the progress reviews list of a registration, as the apprentice and as the assessor: the
    programme's employer, when the next review is due, each review with its writer, signers
    and state;
  - one review's page, as the apprentice and as the assessor (who also reads the staff-only
    wellbeing notes): the review with its KSB snapshot, hours and targets, its signatures;
  - the gateway page as the assessor and as the centre admin: the readiness checklist (KSB
    coverage from the decisions, sign-offs and units taken, the named gaps, approved hours,
    English and maths, duration), the declaration's signatures and the end-point results;
  - the cohort page "Apprentices" as the centre admin, first page sorted by name and sorted by
    hours behind (which reads the whole cohort to sort it), and its CSV export (every row).
Goals: at most 3x the floor and under 100 ms (a page of 25 rows: the cohort's pages) or 150 ms
(the others, which show all of one apprentice's data; the CSV, every row).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row, signed_in_floor, sql_floor, within  # noqa: E402
from bench.pages_portfolio import paired_medians  # noqa: E402

RATIO = 3.0
PAGE_UNDER_MS = 100.0
UNDER_MS = 150.0
PAGE = 25

# ---------------------------------------------------------------- shared parts of the floors

# The registration in the page's heading and breadcrumbs.
HEADER = """
    SELECT r.id, r.status, r.learner_id, r.centre_id, u.full_name, c.name, q.number, q.title
    FROM portfolios_registration r
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN accounts_centre c ON c.id = r.centre_id
    JOIN qualifications_qualification q ON q.id = r.qualification_id
    WHERE r.id = %(r)s
"""
# Whether the one looking sees the registration and as what: its learner, an assessor of it,
# its IV, or a member of its centre in a staff role (what the rules ask, in one query).
VIEWER = """
    SELECT EXISTS (SELECT 1 FROM portfolios_registration WHERE id = %(r)s AND learner_id = %(u)s),
           EXISTS (SELECT 1 FROM portfolios_registration_assessors
                   WHERE registration_id = %(r)s AND user_id = %(u)s),
           EXISTS (SELECT 1 FROM accounts_membership m
                   JOIN portfolios_registration r ON r.centre_id = m.centre_id
                   WHERE r.id = %(r)s AND m.user_id = %(u)s AND m.role = 'admin')
"""

# ---------------------------------------------------------------- the progress reviews

PROGRAMME = """
    SELECT a.practical_start, e.name,
           (SELECT max(review_date) FROM portfolios_progressreview
            WHERE registration_id = a.registration_id AND status = 'locked'),
           (SELECT s.interval_weeks FROM portfolios_reviewschedule s
            JOIN portfolios_registration r ON r.centre_id = s.centre_id
            WHERE r.id = a.registration_id)
    FROM portfolios_apprenticeship a
    JOIN accounts_employer e ON e.id = a.employer_id
    WHERE a.registration_id = %(r)s
"""
# Each review, newest first, with its writer and the review correcting it.
REVIEWS = """
    SELECT p.id, p.review_date, p.status, p.supersedes_id, w.full_name, s.id, s.review_date
    FROM portfolios_progressreview p
    JOIN accounts_user w ON w.id = p.written_by_id
    LEFT JOIN portfolios_progressreview s ON s.supersedes_id = p.id
    WHERE p.registration_id = %(r)s
    ORDER BY p.review_date DESC, p.id DESC
"""
REVIEW_SIGNERS = """
    SELECT g.review_id, g.role FROM portfolios_reviewsignature g
    JOIN portfolios_progressreview p ON p.id = g.review_id
    WHERE p.registration_id = %(r)s
    ORDER BY g.review_id, g.signed_at, g.id
"""
# One review as its page shows it: the staff's columns (the notes) only for staff.
REVIEW = """
    SELECT p.id, p.review_date, p.status, p.supersedes_id, p.ksb_snapshot, p.progress_comment,
           p.otj_approved_hours, p.otj_planned_to_date, p.otj_planned_total, p.otj_behind,
           p.targets, p.pdf_status, {notes} w.full_name, s.id, s.review_date,
           r.id, r.learner_id, r.centre_id, u.full_name, q.number, q.title, e.name
    FROM portfolios_progressreview p
    JOIN accounts_user w ON w.id = p.written_by_id
    LEFT JOIN portfolios_progressreview s ON s.supersedes_id = p.id
    JOIN portfolios_registration r ON r.id = p.registration_id
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN qualifications_qualification q ON q.id = r.qualification_id
    JOIN portfolios_apprenticeship a ON a.registration_id = r.id
    JOIN accounts_employer e ON e.id = a.employer_id
    WHERE p.id = %(p)s
"""
SIGNATURES = """
    SELECT role, signed_name, link_id, signed_at, content_hash FROM portfolios_reviewsignature
    WHERE review_id = %(p)s ORDER BY signed_at, id
"""


def reviews_floor(ids: dict[str, Any], viewer: int) -> list[tuple[str, dict[str, Any]]]:
    params = {"r": ids["review_registration"], "u": viewer}
    return [
        (HEADER, params),
        (VIEWER, params),
        (PROGRAMME, params),
        (REVIEWS, params),
        (REVIEW_SIGNERS, params),
    ]


def review_floor(ids: dict[str, Any], viewer: int, *, staff: bool) -> list[tuple[str, Any]]:
    params = {"r": ids["review_registration"], "p": ids["review"], "u": viewer}
    return [
        (REVIEW.format(notes="p.staff_notes," if staff else ""), params),
        (VIEWER, params),
        (SIGNATURES, params),
    ]


# ---------------------------------------------------------------- the KSB coverage, for ids

# `{ids}` is a subquery of registration ids: one registration, a page of the cohort, or all of
# it. What readiness_for reads: met criteria, signed-off units, units taken, the standards'
# statements with what each is mapped to, the named gaps and the approved hours.
MET = """
    SELECT d.registration_id, d.criterion_id FROM assessments_decision d
    WHERE d.registration_id IN ({ids}) AND d.outcome = 'met'
      AND NOT EXISTS (SELECT 1 FROM assessments_decision s WHERE s.supersedes_id = d.id)
"""
SIGNED = """
    SELECT registration_id, unit_id FROM assessments_unitsignoff
    WHERE registration_id IN ({ids}) AND unlocked_at IS NULL
"""
TAKEN = """
    SELECT registration_id, unit_id FROM portfolios_registrationunit
    WHERE registration_id IN ({ids})
"""
STANDARDS = """
    SELECT DISTINCT a.standard_id FROM portfolios_apprenticeship a
    WHERE a.registration_id IN ({ids})
"""
STATEMENT_CRITERIA = """
    SELECT st.id, st.standard_id, st.code, st.category, st.no_mapping, {text}
           sc.criterion_id, ac.unit_id
    FROM qualifications_statement st
    LEFT JOIN qualifications_statementcriterion sc ON sc.statement_id = st.id
    LEFT JOIN qualifications_assessmentcriterion ac ON ac.id = sc.criterion_id
    WHERE st.standard_id IN ({standards})
    ORDER BY st.standard_id, st.position, sc.position
"""
STATEMENT_UNITS = """
    SELECT su.statement_id, su.unit_id FROM qualifications_statement_units su
    JOIN qualifications_statement st ON st.id = su.statement_id
    WHERE st.standard_id IN ({standards})
"""
GAPS = """
    SELECT g.registration_id, g.statement_id, {columns} g.id FROM portfolios_gatewaygap g
    WHERE g.registration_id IN ({ids}) AND g.superseded_at IS NULL
"""
APPROVED = """
    SELECT registration_id, SUM(hours) FROM portfolios_offthejobactivity
    WHERE registration_id IN ({ids}) AND status = 'approved'
    GROUP BY registration_id
"""


def coverage_floor(ids_sql: str, params: dict[str, Any], *, page: bool) -> list[tuple[str, Any]]:
    """The checklist's data for the registrations `ids_sql` selects; with `page`, the gateway
    page's wording too (the statements' text, the gap notes)."""
    standards = STANDARDS.format(ids=ids_sql)
    return [
        (MET.format(ids=ids_sql), params),
        (SIGNED.format(ids=ids_sql), params),
        (TAKEN.format(ids=ids_sql), params),
        (
            STATEMENT_CRITERIA.format(standards=standards, text="st.text," if page else ""),
            params,
        ),
        (STATEMENT_UNITS.format(standards=standards), params),
        (
            GAPS.format(ids=ids_sql, columns="g.gap, g.plan, g.written_at," if page else ""),
            params,
        ),
        (APPROVED.format(ids=ids_sql), params),
    ]


# ---------------------------------------------------------------- the gateway page

GATEWAY_PROGRAMME = """
    SELECT a.practical_start, a.practical_planned_end, a.minimum_otj_hours,
           a.rpl_reduction_hours, a.english_requirement, a.english_status, a.maths_requirement,
           a.maths_status, a.standard_version, a.epao_name, e.name, s.id, s.title, s.reference,
           s.qualification_id
    FROM portfolios_apprenticeship a
    JOIN accounts_employer e ON e.id = a.employer_id
    JOIN qualifications_standard s ON s.id = a.standard_id
    WHERE a.registration_id = %(r)s
"""
# The declaration: every signature, current or withdrawn, with who signed and who withdrew.
GATEWAY_SIGNATURES = """
    SELECT g.party, g.signed_at, g.checklist_hash, g.withdrawn_at, g.withdraw_reason,
           s.full_name, w.full_name
    FROM portfolios_gatewaysignature g
    JOIN accounts_user s ON s.id = g.signed_by_id
    LEFT JOIN accounts_user w ON w.id = g.withdrawn_by_id
    WHERE g.registration_id = %(r)s
    ORDER BY g.signed_at, g.id
"""
RESULTS = """
    SELECT x.grade, x.assessed_on, x.epao_name, x.recorded_at, x.reason, x.superseded_at,
           u.full_name
    FROM portfolios_endpointresult x JOIN accounts_user u ON u.id = x.recorded_by_id
    WHERE x.registration_id = %(r)s
    ORDER BY x.recorded_at DESC, x.id DESC
"""


def gateway_floor(ids: dict[str, Any], viewer: int) -> list[tuple[str, Any]]:
    params = {"r": ids["gateway_registration"], "u": viewer}
    return [
        (HEADER, params),
        (VIEWER, params),
        (GATEWAY_PROGRAMME, params),
        *coverage_floor("%(r)s", params, page=True),
        (GATEWAY_SIGNATURES, params),
        (RESULTS, params),
    ]


# ---------------------------------------------------------------- the cohort page

# The centre admin's cohort: the centre's registrations with a programme record, not withdrawn
# or transferred, not their own.
COHORT_WHERE = """
    FROM portfolios_registration r
    JOIN portfolios_apprenticeship a ON a.registration_id = r.id
    JOIN accounts_user u ON u.id = r.learner_id
    WHERE r.centre_id = %(c)s AND r.status NOT IN ('withdrawn', 'transferred')
      AND r.learner_id <> %(u)s
"""
ADMIN = """
    SELECT c.id, c.name, c.number FROM accounts_membership m
    JOIN accounts_centre c ON c.id = m.centre_id
    WHERE m.user_id = %(u)s AND m.centre_id = %(c)s AND m.role = 'admin'
"""
EMPLOYERS = "SELECT id, name FROM accounts_employer WHERE centre_id = %(c)s ORDER BY name, id"
COUNT = f"SELECT count(*) {COHORT_WHERE}"
RECORD_COLUMNS = """
    r.id, u.full_name, e.name, s.title, a.standard_version, a.practical_start,
    a.practical_planned_end, a.minimum_otj_hours, a.rpl_reduction_hours, a.english_requirement,
    a.english_status, a.maths_requirement, a.maths_status
"""
RECORDS_FROM = """
    FROM portfolios_registration r
    JOIN portfolios_apprenticeship a ON a.registration_id = r.id
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN accounts_employer e ON e.id = a.employer_id
    JOIN qualifications_standard s ON s.id = a.standard_id
    WHERE r.centre_id = %(c)s AND r.status NOT IN ('withdrawn', 'transferred')
      AND r.learner_id <> %(u)s
"""
BY_NAME_IDS = f"""
    SELECT r.id {COHORT_WHERE} ORDER BY u.full_name, r.id LIMIT {PAGE}
"""
BY_NAME = f"""
    SELECT {RECORD_COLUMNS} {RECORDS_FROM} ORDER BY u.full_name, r.id LIMIT {PAGE}
"""
# Hours behind, worked out in SQL as off_the_job.planned_to_date does (pro rata by the days of
# the practical period elapsed, to two places), less the approved hours, never below nothing.
# By dialect: the days between two dates and the larger of two values.
DAYS = {
    "postgresql": "({later} - {earlier})",
    "sqlite": "(julianday({later}) - julianday({earlier}))",
}
LARGER = {"postgresql": "GREATEST", "sqlite": "max"}


def behind_ids(vendor: str) -> str:
    """The ids of the first page by hours behind (most first, level ones by name)."""
    elapsed = DAYS[vendor].format(later="%(today)s", earlier="a.practical_start")
    period = DAYS[vendor].format(later="a.practical_planned_end", earlier="a.practical_start")
    return f"""
        SELECT id FROM (
            SELECT r.id AS id, u.full_name AS name, {LARGER[vendor]}(
                CASE WHEN a.practical_planned_end <= a.practical_start
                          OR %(today)s >= a.practical_planned_end
                     THEN a.minimum_otj_hours - a.rpl_reduction_hours
                     WHEN %(today)s <= a.practical_start THEN 0
                     ELSE ROUND((a.minimum_otj_hours - a.rpl_reduction_hours) * {elapsed}
                                / ({period} * 1.0), 2)
                END - COALESCE((SELECT SUM(o.hours) FROM portfolios_offthejobactivity o
                                WHERE o.registration_id = r.id AND o.status = 'approved'), 0),
                0) AS behind
            {COHORT_WHERE}
        ) f ORDER BY behind DESC, name, id LIMIT {PAGE}
    """  # noqa: S608 - constants only


ALL_IDS = f"SELECT r.id {COHORT_WHERE}"
ALL = f"""
    SELECT {RECORD_COLUMNS} {RECORDS_FROM} ORDER BY u.full_name, r.id
"""
# The next review due (the last locked review and the centre's interval), the declaration's
# signatures counted and the current results, of the rows wanted.
DUE = """
    SELECT p.registration_id, max(p.review_date) FROM portfolios_progressreview p
    WHERE p.registration_id IN ({ids}) AND p.status = 'locked' GROUP BY p.registration_id
"""
INTERVAL = "SELECT interval_weeks FROM portfolios_reviewschedule WHERE centre_id = %(c)s"
SIGNED_COUNT = """
    SELECT registration_id, count(*) FROM portfolios_gatewaysignature
    WHERE registration_id IN ({ids}) AND withdrawn_at IS NULL GROUP BY registration_id
"""
CURRENT_RESULTS = """
    SELECT registration_id, grade, assessed_on FROM portfolios_endpointresult
    WHERE registration_id IN ({ids}) AND superseded_at IS NULL
"""


def cohort_floor(
    ids: dict[str, Any], today: Any, vendor: str, *, sort: str = "name", every: bool = False
) -> list[tuple[str, Any]]:
    """The cohort's first page by name or by hours behind, or (`every`) every row, as the CSV."""
    params = {"c": ids["centre"], "u": ids["admin"], "today": today}
    if every:
        records, wanted = ALL, ALL_IDS
    elif sort == "behind":
        wanted = behind_ids(vendor)
        records = f"SELECT {RECORD_COLUMNS} {RECORDS_FROM} AND r.id IN ({wanted})"
    else:
        records, wanted = BY_NAME, BY_NAME_IDS
    page = [] if every else [(EMPLOYERS, params), (COUNT, params)]
    return [
        (ADMIN, params),
        *page,
        (records, params),
        *coverage_floor(wanted, params, page=False),
        (DUE.format(ids=wanted), params),
        (INTERVAL, params),
        (SIGNED_COUNT.format(ids=wanted), params),
        (CURRENT_RESULTS.format(ids=wanted), params),
    ]


# ---------------------------------------------------------------- what is measured


def measured(scale: dict[str, Any]) -> dict[str, Any]:
    """Ids of the apprentice with the most reviews and their latest locked review, one past the
    gateway with a result, their assessors and the centre admin: from seed_scale's manifest,
    else found in the database."""
    from django.db.models import Count

    from accounts.models import Membership, Role
    from portfolios.models import ProgressReview, Registration

    review = scale.get("review") or (
        ProgressReview.objects.filter(locked_at__isnull=False)
        .annotate(n=Count("registration__progress_reviews"))
        .order_by("-n", "-review_date", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    gateway = scale.get("gateway_registration") or (
        Registration.objects.filter(epa_results__isnull=False, epa_results__superseded_at=None)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if review is None or gateway is None:
        raise RuntimeError(
            "the bench database has no locked progress review or no gateway passed: it was "
            "seeded before them (run bench/run.py --reseed)"
        )
    reviewed = Registration.objects.get(progress_reviews=review)
    passed = Registration.objects.get(pk=gateway)
    admin = (
        Membership.objects.filter(centre_id=reviewed.centre_id, role=Role.CENTRE_ADMIN)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )
    return {
        "review": review,
        "review_registration": reviewed.pk,
        "reviews": reviewed.progress_reviews.count(),
        "apprentice": reviewed.learner_id,
        "assessor": reviewed.assessors.order_by("pk").values_list("pk", flat=True).first(),
        "gateway_registration": passed.pk,
        "gateway_assessor": passed.assessors.order_by("pk").values_list("pk", flat=True).first(),
        "centre": reviewed.centre_id,
        "admin": admin,
        "apprentices": Registration.objects.filter(
            centre_id=reviewed.centre_id, apprenticeship__isnull=False
        ).count(),
    }


def bench(ctx: Context) -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User

    ids = measured(ctx.scale)
    today = timezone.localdate()

    def client_for(pk: int) -> Client:
        client = Client()
        client.force_login(User.objects.get(pk=pk))
        return client

    def row(
        measure: str, client: Client, url: str, floor: list[tuple[str, Any]], under: float
    ) -> Row:
        size = 0

        def get() -> None:
            nonlocal size
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            content = (
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
                if response.streaming
                else response.content
            )
            size = len(content)

        floor = [*signed_in_floor(client), *floor]
        page_s, floor_s = paired_medians(get, sql_floor(floor), repeat=ctx.repeat)
        ms, floor_ms = page_s * 1000, floor_s * 1000
        return Row(
            measure=measure,
            project=ms,
            unit="ms",
            floor=floor_ms,
            goal=f"<= {RATIO:g}x floor and < {under:g} ms",
            met=within(ms, floor_ms, ratio=RATIO, under=under),
            note=f"{size / 1024:.1f} KB",
        )

    rows = []
    apprentice, assessor = client_for(ids["apprentice"]), client_for(ids["assessor"])
    admin = client_for(ids["admin"])
    reviews_url = reverse("reviews:list", args=[ids["review_registration"]])
    review_url = reverse("reviews:detail", args=[ids["review"]])
    for who, client, pk, staff in (
        ("apprentice", apprentice, ids["apprentice"], False),
        ("assessor", assessor, ids["assessor"], True),
    ):
        rows.append(
            row(
                f"progress reviews list, {ids['reviews']} reviews, as the {who}",
                client,
                reviews_url,
                reviews_floor(ids, pk),
                UNDER_MS,
            )
        )
        rows.append(
            row(
                f"progress review page, as the {who}" + (" (wellbeing notes)" if staff else ""),
                client,
                review_url,
                review_floor(ids, pk, staff=staff),
                UNDER_MS,
            )
        )
    gateway_url = reverse("gateway:page", args=[ids["gateway_registration"]])
    for who, pk in (("assessor", ids["gateway_assessor"]), ("centre admin", ids["admin"])):
        rows.append(
            row(
                f"gateway page (passed, with a result), as the {who}",
                client_for(pk),
                gateway_url,
                gateway_floor(ids, pk),
                UNDER_MS,
            )
        )
    cohort_url = reverse("cohort:page")
    rows.append(
        row(
            f"apprentices cohort, {ids['apprentices']} apprentices, first page by name",
            admin,
            cohort_url,
            cohort_floor(ids, today, connection.vendor, sort="name"),
            PAGE_UNDER_MS,
        )
    )
    rows.append(
        row(
            f"apprentices cohort, {ids['apprentices']} apprentices, first page by hours behind",
            admin,
            f"{cohort_url}?sort=behind",
            cohort_floor(ids, today, connection.vendor, sort="behind"),
            PAGE_UNDER_MS,
        )
    )
    rows.append(
        row(
            f"apprentices cohort CSV, {ids['apprentices']} rows",
            admin,
            reverse("cohort:export"),
            cohort_floor(ids, today, connection.vendor, every=True),
            UNDER_MS,
        )
    )
    return rows
