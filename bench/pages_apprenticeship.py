"""Benchmark (issue 19): the off-the-job log page and the employer contact's home, each beside
its SQL floor.

Suite: `bench(ctx)` (bench/run.py) measures seed_scale's apprentices (demo/scale.py,
`apprentices`): the employer contact `employer@scale.example`, whose apprentices are the
caseload's NCFE learners, and the apprentice whose log holds the most entries (300 in the scale
centre). Both are found from the manifest ("employer_contact", "otj_registration"), else by
address; a database seeded before they existed answers with an error row (reseed).

Rows, each through the test client (session, sign-in, permission, queries, template) beside
the hand-written SQL that returns exactly the data the page shows, with what every signed-in
page reads (the session, the user and their roles: harness.SIGNED_IN), timed in turn in the same
run (pages_portfolio.paired_medians):
  - the off-the-job log as the apprentice (with the form: its KSBs and evidence choices) and as
    their assessor (the review buttons): a page of entries with their reviewer, evidence and
    KSBs, the totals, the weeks, the plan;
  - the employer contact's home: a page of apprentices with progress, KSB coverage and hours
    against the plan to date, the testimony asked of the contact and the invitations waiting
    for their answer.
Goals: at most 3x the floor and under 150 ms (the log, whose entries all show) or 100 ms (the
home, one page of 25).
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

SCALE_CONTACT = "employer@scale.example"
RATIO = 3.0
LOG_UNDER_MS = 150.0
HOME_UNDER_MS = 100.0
PAGE = 25

# ---------------------------------------------------------------- the floors

HEADER = """
    SELECT r.id, r.status, r.learner_id, r.centre_id, r.qualification_id, u.full_name, c.name,
           q.number, q.title
    FROM portfolios_registration r
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN accounts_centre c ON c.id = r.centre_id
    JOIN qualifications_qualification q ON q.id = r.qualification_id
    WHERE r.id = %(r)s
"""
# A page of entries (the newest 25), with reviewer, evidence and the codes of the KSBs served.
ENTRIES = f"""
    SELECT a.id, a.date, a.hours, a.kind, a.description, a.status, a.reviewed_at,
           a.query_reason, u.full_name, e.id, e.title, st.code
    FROM portfolios_offthejobactivity a
    LEFT JOIN accounts_user u ON u.id = a.reviewer_id
    LEFT JOIN portfolios_evidence e ON e.id = a.evidence_id
    LEFT JOIN portfolios_offthejobactivity_statements s ON s.offthejobactivity_id = a.id
    LEFT JOIN qualifications_statement st ON st.id = s.statement_id
    WHERE a.id IN (
        SELECT id FROM portfolios_offthejobactivity WHERE registration_id = %(r)s
        ORDER BY date DESC, id DESC LIMIT {PAGE}
    )
    ORDER BY a.date DESC, a.id DESC, st.position
"""  # noqa: S608 - constants only
# How many entries the log holds (its pages).
ENTRY_COUNT = "SELECT count(*) FROM portfolios_offthejobactivity WHERE registration_id = %(r)s"
TOTALS = """
    SELECT SUM(CASE WHEN status = 'approved' THEN hours END),
           SUM(CASE WHEN status = 'submitted' THEN hours END)
    FROM portfolios_offthejobactivity WHERE registration_id = %(r)s
"""
# The Monday of each entry's week, by dialect: the floor is the cheapest SQL each one has.
WEEKS = {
    "postgresql": """
        SELECT date_trunc('week', date)::date AS monday,
               SUM(CASE WHEN status = 'approved' THEN hours END),
               SUM(CASE WHEN status = 'submitted' THEN hours END)
        FROM portfolios_offthejobactivity WHERE registration_id = %(r)s
        GROUP BY 1 ORDER BY 1
    """,
    "sqlite": """
        SELECT date(date, 'weekday 0', '-6 days') AS monday,
               SUM(CASE WHEN status = 'approved' THEN hours END),
               SUM(CASE WHEN status = 'submitted' THEN hours END)
        FROM portfolios_offthejobactivity WHERE registration_id = %(r)s
        GROUP BY 1 ORDER BY 1
    """,
}
PLAN = """
    SELECT minimum_otj_hours, rpl_reduction_hours, practical_start, practical_planned_end
    FROM portfolios_apprenticeship WHERE registration_id = %(r)s
"""
# Whether the one looking reviews the hours (an assessor of the registration, or its IV).
REVIEWS = """
    SELECT EXISTS (SELECT 1 FROM portfolios_registration_assessors
                   WHERE registration_id = %(r)s AND user_id = %(u)s)
        OR EXISTS (SELECT 1 FROM portfolios_registration
                   WHERE id = %(r)s AND internal_verifier_id = %(u)s)
"""

# The apprentice's form: the KSBs an entry may serve (each a checkbox with its code and text,
# grouped by category), and the pieces of their portfolio it may name as evidence.
FORM_KSBS = """
    SELECT st.id, st.category, st.code, st.text
    FROM qualifications_statement st
    JOIN qualifications_standard s ON s.id = st.standard_id
    JOIN portfolios_registration r ON r.qualification_id = s.qualification_id
    WHERE r.id = %(r)s
    ORDER BY s.title, st.position
"""
FORM_EVIDENCE = """
    SELECT id, title, version FROM portfolios_evidence WHERE registration_id = %(r)s
    ORDER BY id DESC
"""

# The contact's apprentices at the centre: one page, in name order, and how many in all.
APPRENTICES_WHERE = """
    FROM portfolios_registration r
    JOIN portfolios_apprenticeship a ON a.registration_id = r.id
    JOIN accounts_user u ON u.id = r.learner_id
    WHERE r.centre_id = %(c)s AND a.employer_id = %(e)s
"""
PAGE_IDS = f"""
    SELECT r.id {APPRENTICES_WHERE} ORDER BY u.full_name, u.email, r.id LIMIT {PAGE}
"""
APPRENTICES = f"""
    SELECT r.id, u.full_name, u.email, q.number, q.title, p.criteria_met, p.criteria_required,
           a.standard_id, a.minimum_otj_hours, a.rpl_reduction_hours, a.practical_start,
           a.practical_planned_end
    FROM portfolios_registration r
    JOIN portfolios_apprenticeship a ON a.registration_id = r.id
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN qualifications_qualification q ON q.id = r.qualification_id
    LEFT JOIN portfolios_registrationprogress p ON p.registration_id = r.id
    WHERE r.centre_id = %(c)s AND a.employer_id = %(e)s
    ORDER BY u.full_name, u.email, r.id LIMIT {PAGE}
"""  # noqa: S608 - constants only
COUNT = f"SELECT count(*) {APPRENTICES_WHERE}"
HOURS = f"""
    SELECT registration_id, SUM(CASE WHEN status = 'approved' THEN hours END),
           SUM(CASE WHEN status = 'submitted' THEN hours END)
    FROM portfolios_offthejobactivity WHERE registration_id IN ({PAGE_IDS})
    GROUP BY registration_id
"""  # noqa: S608 - constants only
# KSB coverage (assessments.coverage): each page row's met criteria, signed-off units and units
# taken, and the statements of their standards with what each is mapped to.
MET = f"""
    SELECT d.registration_id, d.criterion_id FROM assessments_decision d
    WHERE d.registration_id IN ({PAGE_IDS}) AND d.outcome = 'met'
      AND NOT EXISTS (SELECT 1 FROM assessments_decision s WHERE s.supersedes_id = d.id)
"""  # noqa: S608 - constants only
SIGNED = f"""
    SELECT registration_id, unit_id FROM assessments_unitsignoff
    WHERE registration_id IN ({PAGE_IDS}) AND unlocked_at IS NULL
"""  # noqa: S608 - constants only
TAKEN = f"""
    SELECT registration_id, unit_id FROM portfolios_registrationunit
    WHERE registration_id IN ({PAGE_IDS})
"""  # noqa: S608 - constants only
STANDARDS = f"""
    SELECT DISTINCT a.standard_id FROM portfolios_apprenticeship a
    WHERE a.registration_id IN ({PAGE_IDS})
"""  # noqa: S608 - constants only
STATEMENT_CRITERIA = f"""
    SELECT st.id, st.code, st.category, st.no_mapping, sc.criterion_id, ac.unit_id
    FROM qualifications_statement st
    LEFT JOIN qualifications_statementcriterion sc ON sc.statement_id = st.id
    LEFT JOIN qualifications_assessmentcriterion ac ON ac.id = sc.criterion_id
    WHERE st.standard_id IN ({STANDARDS})
    ORDER BY st.standard_id, st.position, sc.position
"""  # noqa: S608 - constants only
STATEMENT_UNITS = f"""
    SELECT su.statement_id, su.unit_id FROM qualifications_statement_units su
    JOIN qualifications_statement st ON st.id = su.statement_id
    WHERE st.standard_id IN ({STANDARDS})
"""  # noqa: S608 - constants only
# The testimony asked of the contact at the centre, still open.
TESTIMONY = """
    SELECT w.id, w.activity, w.expires_at, u.full_name, b.full_name
    FROM portfolios_witnessrequest w
    JOIN portfolios_registration r ON r.id = w.registration_id
    JOIN portfolios_apprenticeship a ON a.registration_id = r.id
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN accounts_user b ON b.id = w.requested_by_id
    WHERE w.witness_user_id = %(u)s AND r.centre_id = %(c)s AND a.employer_id = %(e)s
      AND w.used_at IS NULL AND w.expires_at > %(now)s
    ORDER BY w.expires_at, w.id
"""

# Every home page lists the invitations waiting for the person's answer, with who sent them and
# from which centre (as bench/pages_caseload.py's AROUND reads them for the assessor's home).
INVITATIONS = """
    SELECT i.id, i.role, i.expires_at, c.name, b.full_name
    FROM accounts_invitation i
    JOIN accounts_centre c ON c.id = i.centre_id
    LEFT JOIN accounts_user b ON b.id = i.invited_by_id
    WHERE i.email = %(email)s AND i.status = 'pending' AND i.expires_at > %(now)s
    ORDER BY i.expires_at, i.id
"""


def log_floor(
    ids: dict[str, Any], vendor: str, viewer: int, *, form: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """The log's data; with `form` (the apprentice's view), the logging form's choices too."""
    params = {"r": ids["registration"], "u": viewer}
    return [
        (HEADER, params),
        (ENTRY_COUNT, params),
        (ENTRIES, params),
        (TOTALS, params),
        (WEEKS[vendor], params),
        (PLAN, params),
        (REVIEWS, params),
        *([(FORM_KSBS, params), (FORM_EVIDENCE, params)] if form else []),
    ]


def home_floor(ids: dict[str, Any], now: Any) -> list[tuple[str, dict[str, Any]]]:
    params = {
        "c": ids["centre"],
        "e": ids["employer"],
        "u": ids["contact"],
        "now": now,
        "email": ids["contact_email"],
    }
    return [
        (APPRENTICES, params),
        (COUNT, params),
        (HOURS, params),
        (MET, params),
        (SIGNED, params),
        (TAKEN, params),
        (STATEMENT_CRITERIA, params),
        (STATEMENT_UNITS, params),
        (TESTIMONY, params),
        (INVITATIONS, params),
    ]


# ---------------------------------------------------------------- what is measured


def measured(scale: dict[str, Any]) -> dict[str, Any]:
    """Ids of the contact, their employer and centre, and the apprentice with the longest log:
    from seed_scale's manifest, else found by the contact's address."""
    from django.db.models import Count

    from accounts.models import Membership, Role
    from portfolios.models import Registration

    contact = scale.get("employer_contact")
    membership = (
        Membership.objects.filter(role=Role.EMPLOYER)
        .filter(**({"user_id": contact} if contact else {"user__email": SCALE_CONTACT}))
        .select_related("user")
        .first()
    )
    if membership is None:
        raise RuntimeError(
            "the bench database has no employer contact: it was seeded before apprenticeships "
            "(run bench/run.py --reseed)"
        )
    apprentices = Registration.objects.filter(
        centre_id=membership.centre_id, apprenticeship__employer_id=membership.employer_id
    )
    longest = scale.get("otj_registration") or (
        apprentices.annotate(entries=Count("off_the_job"))
        .order_by("-entries", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    registration = Registration.objects.get(pk=longest)
    return {
        "contact": membership.user_id,
        "contact_email": membership.user.email.lower(),
        "employer": membership.employer_id,
        "centre": membership.centre_id,
        "apprentices": apprentices.count(),
        "registration": registration.pk,
        "learner": registration.learner_id,
        "assessor": registration.assessors.order_by("pk").values_list("pk", flat=True).first(),
        "entries": registration.off_the_job.count(),
    }


def bench(ctx: Context) -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User

    ids = measured(ctx.scale)

    def client_for(pk: int) -> Client:
        client = Client()
        client.force_login(User.objects.get(pk=pk))
        return client

    def timed(client: Client, url: str, floor: list[tuple[str, Any]]) -> tuple[float, float, int]:
        size = 0

        def get() -> None:
            nonlocal size
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            size = len(response.content)

        floor = [*signed_in_floor(client), *floor]
        page_s, floor_s = paired_medians(get, sql_floor(floor), repeat=ctx.repeat)
        return page_s * 1000, floor_s * 1000, size

    rows = []
    log_url = reverse("off_the_job:log", args=[ids["registration"]])
    viewers = [("apprentice", ids["learner"])]
    if ids["assessor"]:
        viewers.append(("assessor", ids["assessor"]))
    for who, pk in viewers:
        ms, floor, size = timed(
            client_for(pk),
            log_url,
            log_floor(ids, connection.vendor, viewer=pk, form=who == "apprentice"),
        )
        rows.append(
            Row(
                measure=f"off-the-job log, {ids['entries']} entries, as the {who}",
                project=ms,
                unit="ms",
                floor=floor,
                goal=f"<= {RATIO:g}x floor and < {LOG_UNDER_MS:g} ms",
                met=within(ms, floor, ratio=RATIO, under=LOG_UNDER_MS),
                note=f"{size / 1024:.1f} KB",
            )
        )
    ms, floor, size = timed(
        client_for(ids["contact"]), reverse("home"), home_floor(ids, timezone.now())
    )
    rows.append(
        Row(
            measure=f"employer contact's home, {ids['apprentices']} apprentices",
            project=ms,
            unit="ms",
            floor=floor,
            goal=f"<= {RATIO:g}x floor and < {HOME_UNDER_MS:g} ms",
            met=within(ms, floor, ratio=RATIO, under=HOME_UNDER_MS),
            note=f"{size / 1024:.1f} KB",
        )
    )
    return rows
