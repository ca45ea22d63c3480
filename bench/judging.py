"""Benchmark: judging in one form (issue 15, point 3).

    .venv/bin/python bench/judging.py [--database-url URL] [--repeat N]

Two rows, each beside its floor measured in the same run:
- the assessing page (GET) of a piece of evidence mapped to 25 criteria, as its assessor sees
  it (goal: under 150 ms); floor: hand-written SQL reading the same data (the evidence and its
  people, files, the mapped criteria with their decision logs, sign-offs, overall feedback, and
  the learner's units with their criteria for the mapping form);
- the one form's POST judging 3 of those criteria (corrections, each superseding the current
  decision); floor: the inserts the services make, as plain SQL (the registration's row lock,
  the three decisions and their evidence links, an audit event each with the chain head, the
  judgement with its links and event), run in a transaction that is rolled back.

The learner is an SFJ 601/1109/4 learner on every unit the rules allow, as the scale centre's
`full.sfj` learner, so the page's mapping form holds the whole qualification. Everything is
built through the project's services (people rows directly, as the other suites do), in a
centre of its own, "Judging Bench Centre"; each run makes a new learner, so earlier runs'
decisions never lengthen the page.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row, median_seconds, read_scale, sql_floor, within  # noqa: E402

QUALIFICATION = "601/1109/4"
CENTRE_NUMBER = "90015"
CRITERIA = 25
JUDGED = 3
PAGE_GOAL_MS = 150.0


# ---------------------------------------------------------------- building the case


def _person(centre: Any, email: str, name: str, role: str) -> Any:
    from accounts.models import LearnerProfile, Membership, User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, "judging-bench-password", full_name=name)
    Membership.objects.get_or_create(user=user, centre=centre, role=role)
    if role == "learner":
        LearnerProfile.objects.get_or_create(
            user=user,
            centre=centre,
            defaults={"uln": f"{user.pk:010d}", "date_of_birth": datetime.date(1990, 1, 1)},
        )
    return user


def _every_unit(qualification: Any) -> list[str]:
    """As many of the qualification's units as its rules allow together (none barred)."""
    from qualifications.combination import check
    from qualifications.queries import combination_rules

    rules = combination_rules(qualification)
    chosen: list[str] = []
    keys = qualification.memberships.order_by("position").values_list("unit__key", flat=True)
    for key in keys:
        result = check(rules, {*chosen, key})
        if not any(p.code in ("barred", "not_in_qualification") for p in result.problems):
            chosen.append(key)
    return chosen


def build() -> dict[str, Any]:
    """A fresh learner of the bench centre with one submitted piece of evidence mapped to 25
    criteria (the first 3 already judged once, so the POST corrects them)."""
    from django.core.management import call_command

    from accounts.models import Centre, Role
    from assessments.services import record_decision
    from portfolios import evidence as evidence_services
    from portfolios.services import register_learner
    from qualifications.models import AssessmentCriterion, Qualification

    if not Qualification.objects.filter(number=QUALIFICATION).exists():
        call_command("load_catalogue", verbosity=0)
    qualification = Qualification.objects.get(number=QUALIFICATION)
    centre, _ = Centre.objects.get_or_create(
        number=CENTRE_NUMBER, defaults={"name": "Judging Bench Centre"}
    )
    centre.qualifications.add(qualification)
    admin = _person(centre, "admin@judging.bench.example", "Ada Admin", Role.CENTRE_ADMIN)
    assessor = _person(centre, "assessor@judging.bench.example", "Asha Assessor", Role.ASSESSOR)
    # Issue 17: deciding needs a current credential and occupational competence.
    from demo.competence import give_competence

    give_competence(actor=admin, centre=centre, staff={assessor.email: Role.ASSESSOR})
    run = uuid.uuid4().hex[:10]
    learner = _person(centre, f"learner-{run}@judging.bench.example", "Lee Learner", Role.LEARNER)
    today = datetime.date.today()
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        # SFJ 601/1109/4 closed to new learners in March 2021; the scale learner started before.
        start_date=datetime.date(2021, 1, 4),
        unit_keys=_every_unit(qualification),
        assessors=[assessor],
    )
    criteria = list(
        AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit")
        ).order_by("unit__key", "position")[:CRITERIA]
    )
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Incident log and debrief",
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="The log I kept and the debrief notes.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
    )
    for criterion in criteria[:JUDGED]:
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="not_yet_met",
            method="product",
            assessed_on=today,
            evidence=[evidence],
        )
    return {
        "assessor": assessor,
        "registration": registration,
        "evidence": evidence,
        "criteria": criteria,
    }


# ---------------------------------------------------------------- floors


def page_floor(case: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """The assessing page's data, read by hand: what the page shows, nothing else."""
    evidence = case["evidence"]
    registration = case["registration"]
    ids = [c.pk for c in case["criteria"]]
    return [
        (
            "SELECT e.*, r.status, r.centre_id, l.full_name, q.number, q.title, c.name,"
            " cb.full_name, d.typed_name, d.signed_at, d.statement, d.content_hash"
            " FROM portfolios_evidence e"
            " JOIN portfolios_registration r ON r.id = e.registration_id"
            " JOIN accounts_user l ON l.id = r.learner_id"
            " JOIN accounts_centre c ON c.id = r.centre_id"
            " JOIN qualifications_qualification q ON q.id = r.qualification_id"
            " JOIN accounts_user cb ON cb.id = e.created_by_id"
            " LEFT JOIN portfolios_declaration d ON d.evidence_id = e.id"
            " WHERE e.id = %s",
            [evidence.pk],
        ),
        ("SELECT * FROM portfolios_evidencefile WHERE evidence_id = %s", [evidence.pk]),
        (
            "SELECT m.*, ac.number, ac.text, ac.unit_id, u.key, u.reference, p.full_name"
            " FROM portfolios_evidencecriterion m"
            " JOIN qualifications_assessmentcriterion ac ON ac.id = m.criterion_id"
            " JOIN qualifications_unit u ON u.id = ac.unit_id"
            " JOIN accounts_user p ON p.id = m.proposed_by_id"
            " WHERE m.evidence_id = %s ORDER BY ac.unit_id, ac.position",
            [evidence.pk],
        ),
        (
            "SELECT dc.*, a.full_name FROM assessments_decision dc"
            " JOIN accounts_user a ON a.id = dc.assessor_id"
            " WHERE dc.registration_id = %s AND dc.criterion_id = ANY(%s)"
            " ORDER BY dc.decided_at, dc.id",
            [registration.pk, ids],
        ),
        (
            "SELECT unit_id FROM assessments_unitsignoff"
            " WHERE registration_id = %s AND unlocked_at IS NULL",
            [registration.pk],
        ),
        (
            "SELECT j.feedback, j.assessed_on, a.full_name FROM assessments_judgement j"
            " JOIN accounts_user a ON a.id = j.assessor_id"
            " WHERE j.evidence_id = %s AND j.feedback <> ''",
            [evidence.pk],
        ),
        (
            # The mapping form: the learner's units, their outcomes and criteria.
            "SELECT u.key, u.reference, u.title, o.number, o.text, ac.id, ac.number, ac.text"
            " FROM portfolios_registrationunit ru"
            " JOIN qualifications_unit u ON u.id = ru.unit_id"
            " JOIN qualifications_learningoutcome o ON o.unit_id = u.id"
            " JOIN qualifications_assessmentcriterion ac ON ac.outcome_id = o.id"
            " WHERE ru.registration_id = %s ORDER BY u.key, o.position, ac.position",
            [registration.pk],
        ),
    ]


def post_floor(case: dict[str, Any]) -> None:
    """The rows the submit writes, as plain SQL in one transaction, rolled back (so the
    floor leaves nothing behind and pays no commit)."""
    from django.db import connection, transaction

    registration = case["registration"]
    evidence = case["evidence"]
    assessor = case["assessor"]
    today = datetime.date.today()
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (now,) = cursor.fetchone()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM portfolios_registration WHERE id = %s FOR UPDATE", [registration.pk]
        )
        cursor.execute(
            "SELECT id, criterion_id FROM assessments_decision d WHERE registration_id = %s"
            " AND criterion_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM assessments_decision s"
            " WHERE s.supersedes_id = d.id)",
            [registration.pk, [c.pk for c in case["criteria"][:JUDGED]]],
        )
        current = cursor.fetchall()
        made = []
        for previous, criterion in current:
            cursor.execute(
                "INSERT INTO assessments_decision (registration_id, criterion_id, outcome,"
                " feedback, method, assessed_on, assessor_id, decided_at, supersedes_id,"
                " reason) VALUES (%s, %s, 'met', '', 'product', %s, %s, %s, %s,"
                " 'Seen again.') RETURNING id",
                [registration.pk, criterion, today, assessor.pk, now, previous],
            )
            (decision,) = cursor.fetchone()
            made.append(decision)
            cursor.execute(
                "INSERT INTO assessments_decision_evidence (decision_id, evidence_id)"
                " VALUES (%s, %s)",
                [decision, evidence.pk],
            )
            _floor_event(cursor, now, decision)
        cursor.execute(
            "INSERT INTO assessments_judgement (evidence_id, assessor_id, method, assessed_on,"
            " feedback, made_at, token) VALUES (%s, %s, 'product', %s, '', %s, %s)"
            " RETURNING id",
            [evidence.pk, assessor.pk, today, now, uuid.uuid4()],
        )
        (judgement,) = cursor.fetchone()
        for decision in made:
            cursor.execute(
                "INSERT INTO assessments_judgement_decisions (judgement_id, decision_id)"
                " VALUES (%s, %s)",
                [judgement, decision],
            )
        _floor_event(cursor, now, judgement)
        transaction.set_rollback(True)


def _floor_event(cursor: Any, now: Any, target: int) -> None:
    cursor.execute("SELECT sequence, hash FROM core_auditchainhead WHERE id = 1 FOR UPDATE")
    row = cursor.fetchone()
    sequence = (row[0] if row else 0) + 1
    cursor.execute(
        "INSERT INTO core_auditevent (sequence, action, object_type, object_id, data,"
        " occurred_at, previous_hash, hash) VALUES (%s, 'decision.corrected',"
        " 'assessments.decision', %s, '{}', %s, %s, %s)",
        [sequence, str(target), now, "0" * 64, f"{sequence:064x}"],
    )
    cursor.execute("UPDATE core_auditchainhead SET sequence = %s WHERE id = 1", [sequence])


# ---------------------------------------------------------------- measuring


def _check(ok: bool, what: object) -> None:
    """A benchmark that measured the wrong thing must say so, not print a number."""
    if not ok:
        raise RuntimeError(f"judging bench: {what}")


def scale_case(ctx: Context) -> dict[str, Any] | None:
    """The scale centre's judging evidence (seed_scale: a witness statement mapped to 25
    criteria, waiting), when run.py passes its manifest. Only read: the POST writes decisions,
    so it runs on this suite's own learner and leaves the shared centre as seeded."""
    from accounts.models import User
    from portfolios.models import Evidence

    evidence_id, assessor_id = ctx.scale.get("judging_evidence"), ctx.scale.get("assessor")
    if not (evidence_id and assessor_id):
        return None
    evidence = Evidence.objects.select_related("registration").get(pk=evidence_id)
    return {
        "assessor": User.objects.get(pk=assessor_id),
        "registration": evidence.registration,
        "evidence": evidence,
        "criteria": [m.criterion for m in evidence.mappings.select_related("criterion")],
    }


def bench(ctx: Context) -> list[Row]:
    from django.test import Client
    from django.urls import reverse

    from assessments.models import Decision

    case = build()
    shown = scale_case(ctx) or case
    evidence = shown["evidence"]
    client = Client()
    client.force_login(shown["assessor"])
    url = reverse("assessments:assess", args=[evidence.pk])

    def get_page() -> None:
        response = client.get(url)
        _check(response.status_code == 200, response.status_code)
        get_page.size = len(response.content)  # type: ignore[attr-defined]

    get_page()
    page = median_seconds(get_page, repeat=ctx.repeat)
    floor = median_seconds(sql_floor(page_floor(shown)), repeat=ctx.repeat)
    html = client.get(url).content.decode()
    _check(html.count('value="met" id="c') == CRITERIA, "the page must hold 25 judging rows")
    where = "scale centre" if shown is not case else "own SFJ learner"

    evidence = case["evidence"]
    client.force_login(case["assessor"])
    post_url = reverse("assessments:judge", args=[evidence.pk])
    judged = case["criteria"][:JUDGED]
    mapped = [c.pk for c in case["criteria"]]

    def form(outcome: str) -> dict[str, str]:
        current = dict(
            Decision.objects.current()
            .filter(registration=case["registration"], criterion_id__in=mapped)
            .values_list("criterion_id", "pk")
        )
        data = {
            "token": str(uuid.uuid4()),
            "rows": ",".join(str(pk) for pk in mapped),
            "method": "product",
            "assessed_on": datetime.date.today().isoformat(),
            "feedback": "",
        }
        for pk in mapped:
            data[f"c{pk}-seen"] = str(current.get(pk, ""))
        for criterion in judged:
            data[f"c{criterion.pk}-outcome"] = outcome
            data[f"c{criterion.pk}-feedback"] = "Seen again."
            data[f"c{criterion.pk}-reason"] = "Seen again at work."
        return data

    samples = []
    for n in range(ctx.repeat + 1):
        data = form("met" if n % 2 else "not_yet_met")
        started = time.perf_counter()
        response = client.post(post_url, data, headers={"HX-Request": "true"})
        elapsed = time.perf_counter() - started
        _check(response.status_code == 200, response.status_code)
        _check("criteria judged" in response.content.decode(), "the POST must record")
        if n:  # the first is the warm-up
            samples.append(elapsed)
    samples.sort()
    post = samples[len(samples) // 2]
    post_sql = median_seconds(lambda: post_floor(case), repeat=ctx.repeat)

    page_ms, floor_ms = page * 1000, floor * 1000
    return [
        Row(
            measure=f"assessing page, evidence mapped to {CRITERIA} criteria ({where})",
            project=round(page_ms, 1),
            unit="ms",
            goal=f"< {PAGE_GOAL_MS:.0f} ms",
            met=within(page_ms, floor_ms, under=PAGE_GOAL_MS),
            floor=round(floor_ms, 1),
            note=f"{get_page.size // 1024} KB of HTML",  # type: ignore[attr-defined]
        ),
        Row(
            measure=f"one-form judging, POST of {JUDGED} criteria (htmx)",
            project=round(post * 1000, 1),
            unit="ms",
            goal="-",
            met=True,
            floor=round(post_sql * 1000, 1),
            note="floor: the same inserts as plain SQL, rolled back",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/i15_judging"),
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--manifest",
        type=Path,
        default=ROOT / "bench" / ".scale.json",
        help="seed_scale's manifest; without it the page is measured on this suite's learner",
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    scale = read_scale(args.manifest)
    rows = bench(Context(database_url=args.database_url, repeat=args.repeat, scale=scale))
    print(f"{'measure':58} {'project':>9} {'floor':>9} {'ratio':>7}  goal      met  note")
    for row in rows:
        ratio = f"{row.ratio:.1f}x" if row.ratio is not None else "-"
        print(
            f"{row.measure:58} {row.project:>7} {row.unit} {row.floor or '-':>7} {row.unit}"
            f" {ratio:>7}  {row.goal:9} {'yes' if row.met else 'NO':4} {row.note}"
        )


if __name__ == "__main__":
    main()
