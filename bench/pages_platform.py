"""Every page of Scale Centre, on the small data and on the platform-sized data (issue 15, 2).

    .venv/bin/python bench/pages_platform.py --database-url SMALL --platform-url BIG
        [--repeat 3] [--only name,name] [--no-explain]

SMALL is a database seeded by `manage.py seed_scale` alone; BIG the same centre with the
platform around it (`seed_scale --platform`).
For each page a role of Scale Centre can open (the GET views of every urls.py, each on a real
object of the centre), it times the GET on both databases, page by page in turn so that the
machine's load falls on both alike, and reports the ratio: the goal is at most 3x, the page
costing what its own data costs, not what the platform holds. The small centre's time is the
row's floor.

Then, on BIG, it captures each page's SQL and runs `EXPLAIN` of every SELECT (after ANALYZE)
and flags any sequential scan of a large table (over LARGE_ROWS rows by the planner's count:
decisions, audit events, evidence, mappings, registrations, users, memberships, samples...),
printing the query.

Each database is driven by a worker process of this same file (`--worker`), which sets Django
up on its DATABASE_URL and answers one JSON line per request on stdin/stdout: two databases
cannot both be `default` in one process, and the test client only speaks to `default`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row  # noqa: E402

GOAL_RATIO = 3.0
# A table with more rows than this must be reached through an index.
LARGE_ROWS = 10_000
# The API's reads beside their SQL floors, on the scale database: as the pages' goals (at most
# 3x the floor; under 100 ms for a page of 25, 150 ms for a portfolio's whole progress).
API_RATIO = 3.0
API_UNDER_MS = 100.0
API_PROGRESS_UNDER_MS = 150.0
# The bench calls one token far more often than the per-minute limit allows a client: each call
# is still counted (its cost is the endpoint's), none refused.
API_CALLS_UNLIMITED = 10**9

Ids = dict[str, Any]


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # a key of ids naming the user signed in ("" for nobody)
    url: Callable[[Ids], str | None]  # None: the centre has no such object
    owner: str = ""  # another engineer's page: report, do not fix here
    # An API read: sent with a bearer token made for `who` (Worker.secret), not a session.
    token: bool = False


def _u(name: str, *keys: str, **kwargs: Any) -> Callable[[Ids], str | None]:
    """A URL builder: reverse(name) with the ids named by keys as positional args."""

    def build(ids: Ids) -> str | None:
        from django.urls import reverse

        args = [ids.get(k) for k in keys]
        if any(a is None for a in args):
            return None
        return reverse(name, args=args, **kwargs)

    return build


PAGES: list[Page] = [
    # learner (full.sfj@: SFJ, 59 units, 1,232 criteria decided)
    Page("learner home", "learner", _u("home")),
    Page(
        "learner portfolio", "learner", _u("portfolios:registration", "registration"), "portfolio"
    ),
    Page("learner evidence list", "learner", _u("evidence:portfolio", "registration")),
    Page("learner evidence new", "learner", _u("evidence:create", "registration")),
    Page("learner evidence detail", "learner", _u("evidence:detail", "evidence")),
    Page("learner evidence map", "learner", _u("evidence:map", "draft_evidence")),
    Page("learner witness requests", "learner", _u("witness:list", "registration")),
    Page("learner witness ask", "learner", _u("witness:request", "registration")),
    Page("learner plans", "learner", _u("assessments:plans", "registration")),
    Page("learner achievement", "learner", _u("assessments:achievements", "registration")),
    Page("learner file download", "learner", _u("files:download", "file"), "upload"),
    Page("learner password change", "learner", _u("password_change")),
    # assessor (assessor@: caseload of 200)
    Page("assessor home (caseload)", "assessor", _u("home"), "caseload"),
    Page("assessor queue", "assessor", _u("assessments:queue")),
    Page("assessor caseload plans", "assessor", _u("assessments:caseload_plans")),
    Page(
        "assessor judging page", "assessor", _u("assessments:assess", "judging_evidence"), "judging"
    ),
    Page("assessor evidence detail", "assessor", _u("evidence:detail", "judging_evidence")),
    Page("assessor unit page", "assessor", _u("assessments:unit", "registration", "unit")),
    Page(
        "assessor learner portfolio",
        "assessor",
        _u("portfolios:registration", "judging_registration"),
    ),
    Page("assessor plans", "assessor", _u("assessments:plans", "registration")),
    Page("assessor plan new", "assessor", _u("assessments:plan_create", "registration")),
    Page("assessor plan detail", "assessor", _u("assessments:plan", "plan")),
    Page(
        "assessor record new",
        "assessor",
        _u("assessments:record_create", "judging_registration", "record_kind"),
    ),
    Page("assessor record detail", "assessor", _u("assessments:record", "record")),
    Page("assessor standards", "assessor", _u("assessments:standards")),
    Page("assessor cohort", "assessor", _u("assessments:cohort", "standard")),
    Page("assessor coverage", "assessor", _u("assessments:coverage", "standard_registration")),
    # internal verifier (iv@: plan of 230 samples)
    Page("iv home", "iv", _u("home")),
    Page("iv validation queue", "iv", _u("assessments:validation_queue")),
    Page("iv caseload plans", "iv", _u("assessments:caseload_plans")),
    Page("admin release settings", "admin", _u("assessments:release_settings")),
    Page("iv strategies", "iv", _u("verification:strategies")),
    Page("iv strategy edit", "iv", _u("verification:strategy_edit", "imi")),
    Page("iv ratings", "iv", _u("verification:ratings")),
    Page("iv sampling plan", "iv", _u("verification:plan", "plan_sampling"), "ivplan"),
    Page("iv sample record", "iv", _u("verification:sample", "sample"), "judging"),
    Page("iv standardisation", "iv", _u("verification:standardisation_list")),
    Page("iv standardisation new", "iv", _u("verification:standardisation_create")),
    Page("iv standardisation detail", "iv", _u("verification:standardisation_detail", "meeting")),
    Page("admin eqa visits", "admin", _u("verification:eqa_visits")),
    Page("iv learner portfolio", "iv", _u("portfolios:registration", "judging_registration")),
    # centre admin (admin@: 10,000 registrations to claim)
    Page("admin home", "admin", _u("home")),
    Page("admin people", "admin", _u("centre:people")),
    Page(
        "admin people search",
        "admin",
        lambda ids: _query(_u("centre:people")(ids), q="Claimant 00002"),
    ),
    Page("admin people page 50", "admin", lambda ids: _query(_u("centre:people")(ids), page="50")),
    Page("admin person add", "admin", _u("centre:person_add")),
    Page("admin person", "admin", _u("centre:person", "person")),
    Page("admin person (staff)", "admin", _u("centre:person", "assessor")),
    Page("admin registrations", "admin", _u("centre:registrations")),
    Page(
        "admin registrations search",
        "admin",
        lambda ids: _query(_u("centre:registrations")(ids), q="Claimant 00002"),
    ),
    Page(
        "admin registrations complete",
        "admin",
        lambda ids: _query(_u("centre:registrations")(ids), status="complete"),
    ),
    Page(
        "admin registrations page 50",
        "admin",
        lambda ids: _query(_u("centre:registrations")(ids), page="50"),
    ),
    Page("admin register", "admin", _u("centre:register")),
    # The pickers' searches (the register, holds and sampling plan pages find people by typing).
    Page(
        "admin learner search",
        "admin",
        lambda ids: _query(_u("centre:learner_search")(ids), field="learner", q="Claimant 0000"),
    ),
    Page(
        "admin registration search",
        "admin",
        lambda ids: _query(
            _u("portfolios:registration_search")(ids), field="hold-registration", q="claim0000"
        ),
    ),
    Page(
        "iv registration search",
        "iv",
        lambda ids: _query(
            _u("portfolios:registration_search")(ids),
            field="registration",
            q="Learner 00",
            qualification=str(ids["imi"]),
            open="1",
        ),
    ),
    Page("admin import", "admin", _u("imports:upload")),
    Page("admin claims", "admin", _u("certification:claims")),
    Page("admin claim batch", "admin", _u("certification:claim_batch", "claim_batch")),
    Page("admin claim holds", "admin", _u("certification:claim_holds")),
    # Issue 17: how the centre may assess (SFJ 4.7 agreements; NCFE 601/3973/0's rule).
    Page("admin simulation agreements", "admin", _u("portfolios:simulation_agreements")),
    Page("iv simulation agreements", "iv", _u("portfolios:simulation_agreements")),
    Page("admin combination rule", "admin", lambda ids: "/centre/qualifications/601/3973/0/rule/"),
    Page("admin staff competence", "admin", _u("verification:competence")),
    Page("admin evidence retention", "admin", _u("certification:retention")),
    Page("admin cases", "admin", _u("cases:cases")),
    Page("admin case policy", "admin", _u("cases:case_policy")),
    Page("iv cases", "iv", _u("cases:cases")),
    Page("learner cases", "learner", _u("cases:cases")),
    Page("learner cases panel", "learner", _u("cases:registration_cases", "registration")),
    Page("assessor briefs", "assessor", _u("assessments:briefs")),
    Page("learner briefs", "learner", _u("assessments:briefs")),
    Page("admin catalogue", "admin", _u("qualifications:list")),
    Page(
        "admin qualification",
        "admin",
        lambda ids: f"/catalogue/qualifications/{ids['sfj_number']}/",
    ),
    Page("admin catalogue unit", "admin", _u("qualifications:unit", "unit_key")),
    # nobody signed in
    Page("public sign-in", "", _u("login")),
    Page("public verify form", "", _u("verify_form")),
    Page("public verify record", "", _u("verify", "achievement_code")),
    # Issue 20: the API's pages and what any verifier of a centre's Open Badges opens.
    Page("admin api tokens", "admin", _u("api:tokens")),
    Page("admin single sign-on", "admin", _u("centre:identity_providers")),
    Page("admin single sign-on add", "admin", _u("centre:identity_provider_add")),
    Page("admin portfolio import", "admin", _u("transfer:import")),
    Page("public api docs", "", _u("api_docs")),
    Page("public api schema", "", lambda ids: "/api/v1/openapi.json"),
    Page("public verify badge form", "", _u("verify_badge")),
    Page("public badge did document", "", _u("badge_did", "centre")),
    Page("public badge status list", "", _u("badge_status_list", "centre")),
    # Issue 20: the API's reads, with a bearer token (the admin's is the centre's token, acting
    # as its admin over 10,000 registrations; the assessor's their own, on their caseload).
    Page("api registrations", "admin", lambda ids: "/api/v1/registrations", token=True),
    Page(
        "api registrations (assessor)", "assessor", lambda ids: "/api/v1/registrations", token=True
    ),
    Page(
        "api registration progress",
        "admin",
        lambda ids: f"/api/v1/registrations/{ids['registration']}/progress",
        token=True,
    ),
    Page(
        "api registration decisions",
        "admin",
        lambda ids: f"/api/v1/registrations/{ids['registration']}/decisions",
        token=True,
    ),
    Page("api samples", "admin", lambda ids: "/api/v1/samples", token=True),
    Page("api claims", "admin", lambda ids: "/api/v1/claims", token=True),
    Page("api people", "admin", lambda ids: "/api/v1/people", token=True),
]


def _query(url: str | None, **params: str) -> str | None:
    from urllib.parse import urlencode

    return None if url is None else f"{url}?{urlencode(params)}"


# ---------------------------------------------------------------- the worker (one database)


def resolve_ids() -> Ids:
    """Real objects of Scale Centre for every page, found by the seed's names (so the same
    page opens the same object whichever database, whatever its ids)."""
    from accounts.models import Centre, User
    from assessments.models import AssessorRecord
    from assessments.models.achievement import AchievementRecord
    from assessments.models.plan import AssessmentPlan
    from certification.models import ClaimBatch
    from demo import scale
    from portfolios.models import (
        Evidence,
        EvidenceCriterion,
        EvidenceFile,
        Registration,
        RegistrationUnit,
    )
    from qualifications.models import Qualification
    from verification.models import SamplingPlan
    from verification.models.sample import Sample
    from verification.models.standardisation import StandardisationMeeting

    centre = Centre.objects.get(number=scale.CENTRE_NUMBER)
    users = dict(
        User.objects.filter(
            email__in=[scale.ADMIN, scale.ASSESSOR, scale.IV, scale.FULL_LEARNER]
        ).values_list("email", "pk")
    )
    ids: Ids = {
        "centre": centre.pk,
        "learner": users[scale.FULL_LEARNER],
        "assessor": users[scale.ASSESSOR],
        "iv": users[scale.IV],
        "admin": users[scale.ADMIN],
        "sfj_number": scale.SFJ,
        "imi": Qualification.objects.get(number=scale.IMI).pk,
        "record_kind": "observation",
    }
    registration = Registration.objects.get(centre=centre, learner_id=ids["learner"])
    ids["registration"] = registration.pk
    unit = RegistrationUnit.objects.filter(registration=registration).order_by("pk").first()
    ids["unit"] = unit.unit_id if unit else None
    ids["unit_key"] = unit.unit.key if unit else None
    evidence = Evidence.objects.filter(registration=registration).order_by("pk").first()
    ids["evidence"] = evidence.pk if evidence else None
    draft = Evidence.objects.filter(registration=registration, status="draft").first()
    ids["draft_evidence"] = draft.pk if draft else None
    file = EvidenceFile.objects.filter(evidence__registration=registration).order_by("pk").first()
    ids["file"] = file.pk if file else None
    judging = (
        Evidence.objects.filter(
            registration__centre=centre,
            registration__learner__email=scale.email("learner001"),
            title__startswith="Witness statement",
        )
        .order_by("pk")
        .first()
    )
    ids["judging_evidence"] = judging.pk if judging else None
    ids["judging_registration"] = judging.registration_id if judging else None
    mapping = EvidenceCriterion.objects.filter(evidence=judging).order_by("pk").first()
    ids["judging_criterion"] = mapping.criterion_id if mapping else None
    plan = AssessmentPlan.objects.filter(registration__centre=centre).order_by("pk").first()
    ids["plan"] = plan.pk if plan else None
    record = AssessorRecord.objects.filter(assessor_id=ids["assessor"]).order_by("pk").first()
    ids["record"] = record.pk if record else None
    ids["standard"] = None
    ids["standard_registration"] = None
    # The plan page is addressed by its strategy (verification:plan takes the strategy's id).
    sampling = SamplingPlan.objects.filter(strategy__centre=centre).order_by("pk").first()
    ids["plan_sampling"] = sampling.strategy_id if sampling else None
    sample = Sample.objects.filter(registration__centre=centre, verifier_id=ids["iv"]).first()
    ids["sample"] = sample.pk if sample else None
    meeting = StandardisationMeeting.objects.filter(centre=centre).first()
    ids["meeting"] = meeting.pk if meeting else None
    batch = ClaimBatch.objects.filter(centre=centre).first()
    ids["claim_batch"] = batch.pk if batch else None
    achievement = AchievementRecord.objects.filter(registration__centre=centre).first()
    ids["achievement_code"] = achievement.verification_code if achievement else None
    claimant = User.objects.filter(email=scale.email("claim00002")).first()
    ids["person"] = claimant.pk if claimant else None
    return ids


class Worker:
    def __init__(self) -> None:
        from django.test import Client

        self.ids = resolve_ids()
        self.clients: dict[str, Client] = {}
        self.secrets: dict[str, str] = {}

    def client(self, who: str) -> Any:
        from django.test import Client

        if who not in self.clients:
            client = Client()
            if who:
                from accounts.models import User

                client.force_login(User.objects.get(pk=self.ids[who]))
            self.clients[who] = client
        return self.clients[who]

    def secret(self, who: str) -> str:
        """An API token for `who`, made on first use with every scope: the admin's is the
        scale centre's token (it acts as the centre's admin), anyone else's their own."""
        if who not in self.secrets:
            from accounts.models import Centre, User
            from api.scopes import Scope
            from api.services import token_create

            user = User.objects.get(pk=self.ids[who])
            centre = Centre.objects.get(pk=self.ids["centre"]) if who == "admin" else None
            _, self.secrets[who] = token_create(
                actor=user, name=f"bench {who}", scopes=Scope.values, centre=centre
            )
        return self.secrets[who]

    def page(self, name: str) -> Page:
        return next(p for p in PAGES if p.name == name)

    def url(self, name: str) -> str | None:
        page = self.page(name)
        if page.who and self.ids.get(page.who) is None:
            return None
        try:
            return page.url(self.ids)
        except KeyError:
            return None

    def get(self, name: str) -> Any:
        url = self.url(name)
        page = self.page(name)
        if page.token:
            headers = {"Authorization": f"Bearer {self.secret(page.who)}"}
            response = self.client("").get(url, headers=headers)
        else:
            response = self.client(page.who).get(url)
        # Stream whole bodies (downloads) so that the time includes them.
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return response

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        from bench.harness import median_seconds

        op, name = request["op"], request.get("page", "")
        if op == "url":
            url = self.url(name)
            if url is None:
                return {"url": None}
            response = self.get(name)
            return {"url": url, "status": response.status_code}
        if op == "time":
            seconds = median_seconds(lambda: self.get(name), repeat=request["repeat"])
            return {"ms": seconds * 1000}
        if op == "explain":
            return {"offenders": self.explain(name), "queries": self.queries}
        raise ValueError(op)

    def explain(self, name: str) -> list[dict[str, Any]]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.get(name)
        self.queries = len(captured.captured_queries)
        large = large_tables()
        offenders = []
        seen: set[str] = set()
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            shape = re.sub(r"\b\d+\b", "N", sql)
            if shape in seen:
                continue
            seen.add(shape)
            for table, rows in seq_scans(sql, large):
                offenders.append({"table": table, "rows": rows, "sql": sql})
        return offenders


def large_tables() -> dict[str, int]:
    """Tables the planner counts over LARGE_ROWS rows (after ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.reltuples > %s",
            [LARGE_ROWS],
        )
        return dict(cursor.fetchall())


def seq_scans(sql: str, large: dict[str, int]) -> list[tuple[str, int]]:
    """(table, rows) for each Seq Scan of a large table in the plan of `sql`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    found: list[tuple[str, int]] = []

    def walk(node: dict[str, Any]) -> None:
        relation = node.get("Relation Name")
        if node.get("Node Type") == "Seq Scan" and relation in large:
            found.append((relation, large[relation]))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def worker_main(database_url: str) -> int:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    # The API's reads are timed over and over with one token: counted as ever, never refused.
    settings.API_RATE_LIMIT_PER_MINUTE = API_CALLS_UNLIMITED

    # The test client's templates and context, without DEBUG's query log.
    setup_test_environment()
    out = sys.stdout
    sys.stdout = sys.stderr  # anything printed by the project goes aside
    worker = Worker()
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            answer = worker.handle(json.loads(line))
        except Exception as exc:  # a page that fails is a row, not the end of the run
            answer = {"error": repr(exc)}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


# ---------------------------------------------------------------- the API's reads and their floors

# Every API call: the token by its prefix (with its maker, for a centre token) and the roles the
# token acts in.
API_CALLER = """
    SELECT t.id, t.secret_hash, t.scopes, t.centre_id, t.user_id, t.expires_at, t.last_used_at,
           u.id, u.is_active, u.is_superuser
    FROM api_apitoken t JOIN accounts_user u ON u.id = COALESCE(t.user_id, t.created_by_id)
    WHERE t.prefix = %(prefix)s AND t.revoked_at IS NULL
"""
API_ROLES = """
    SELECT m.id, m.centre_id, m.role FROM accounts_membership m
    WHERE m.user_id = %(user)s AND m.is_active
      AND (m.expires_on IS NULL OR m.expires_on >= %(today)s)
"""
# A registration as the API lists it: learner, centre, qualification and counted progress.
API_REGISTRATION = """
    SELECT r.id, r.status, r.start_date, r.planned_end_date, u.id, u.full_name, u.email,
           c.id, c.name, c.number, q.id, q.number, q.title, p.criteria_required, p.criteria_met,
           p.units_signed_off, p.evidence_waiting, p.paced, p.behind_from
    FROM portfolios_registration r
    JOIN accounts_user u ON u.id = r.learner_id
    JOIN accounts_centre c ON c.id = r.centre_id
    JOIN qualifications_qualification q ON q.id = r.qualification_id
    LEFT JOIN portfolios_registrationprogress p ON p.registration_id = r.id
"""
CENTRE_REGISTRATIONS = "SELECT count(*) FROM portfolios_registration WHERE centre_id = %(c)s"
ASSESSED = "SELECT registration_id FROM portfolios_registration_assessors WHERE user_id = %(a)s"
API_REGISTRATIONS_PAGE = """ ORDER BY u.full_name, r.created_at DESC, r.id DESC LIMIT 25"""
# Every criterion of the units taken, with its outcome's number and whether submitted evidence is
# mapped to it (with pages_portfolio's current decisions, what each criterion's state is made of).
API_CRITERIA = """
    SELECT ac.id, ac.unit_id, ac.number, o.number, ac.id IN (
        SELECT ec.criterion_id FROM portfolios_evidencecriterion ec
        JOIN portfolios_evidence e ON e.id = ec.evidence_id
        WHERE e.registration_id = %(r)s AND e.status IN ('submitted', 'assessed'))
    FROM qualifications_assessmentcriterion ac
    JOIN qualifications_learningoutcome o ON o.id = ac.outcome_id
    WHERE ac.unit_id IN (SELECT unit_id FROM portfolios_registrationunit
                         WHERE registration_id = %(r)s)
    ORDER BY ac.unit_id, o.position, ac.position
"""
API_CREDITED = """
    SELECT unit_id FROM portfolios_credittransfer
    WHERE registration_id = %(r)s AND withdrawn_at IS NULL
"""
API_DECISION_COUNT = "SELECT count(*) FROM assessments_decision WHERE registration_id = %(r)s"
# The first page of the log, oldest first: criterion, assessor, validation, whether superseded.
API_DECISIONS = """
    SELECT d.id, d.criterion_id, ac.number, ac.unit_id, d.outcome, d.feedback, d.method,
           d.assessed_on, d.decided_at, u.id, u.full_name, u.email, d.supersedes_id, d.reason,
           v.outcome, EXISTS (SELECT 1 FROM assessments_decision s WHERE s.supersedes_id = d.id)
    FROM assessments_decision d
    JOIN qualifications_assessmentcriterion ac ON ac.id = d.criterion_id
    JOIN accounts_user u ON u.id = d.assessor_id
    LEFT JOIN assessments_decisionvalidation v ON v.decision_id = d.id
    WHERE d.registration_id = %(r)s ORDER BY d.decided_at, d.id LIMIT 25
"""
CENTRE_SAMPLES = """
    FROM verification_sample s JOIN portfolios_registration r ON r.id = s.registration_id
    WHERE r.centre_id = %(c)s
"""
# The newest 25 samples, each with its verifier and every outcome with who decided it.
API_SAMPLES = f"""
    WITH page AS (
        SELECT s.id, s.registration_id, s.unit_id, s.stage, s.state, s.started_at, s.verifier_id
        {CENTRE_SAMPLES} ORDER BY s.started_at DESC, s.id DESC LIMIT 25)
    SELECT page.*, u.full_name, u.email, o.outcome, o.decided_at, o.actions, o.deadline,
           o.feedback, ou.id, ou.full_name, ou.email
    FROM page JOIN accounts_user u ON u.id = page.verifier_id
    LEFT JOIN verification_sampleoutcome o ON o.sample_id = page.id
    LEFT JOIN accounts_user ou ON ou.id = o.decided_by_id
    ORDER BY page.started_at DESC, page.id DESC, o.decided_at, o.id
"""  # noqa: S608 - constants only; the ids are bound parameters
CENTRE_CLAIMS = """
    FROM certification_claimline l JOIN certification_claimbatch b ON b.id = l.batch_id
    WHERE b.centre_id = %(c)s
"""
API_CLAIMS = """
    SELECT l.id, l.batch_id, b.state, ab.code, l.registration_id, l.unit_id, l.result,
           l.achievement_date, l.added_at, l.removed_at, l.certificate_number,
           l.certificate_received_on
    FROM certification_claimline l JOIN certification_claimbatch b ON b.id = l.batch_id
    JOIN qualifications_awardingbody ab ON ab.id = b.awarding_body_id
    WHERE b.centre_id = %(c)s ORDER BY l.added_at DESC, l.id DESC LIMIT 25
"""
CENTRE_MEMBERS = """
    SELECT user_id FROM accounts_membership WHERE centre_id = %(c)s AND is_active
      AND (expires_on IS NULL OR expires_on >= %(today)s)
"""
# The first 25 people by name, each with their current roles at the centre.
API_PEOPLE = f"""
    WITH page AS (
        SELECT u.id, u.full_name, u.email FROM accounts_user u WHERE u.id IN ({CENTRE_MEMBERS})
        ORDER BY u.full_name, u.email, u.id LIMIT 25)
    SELECT page.*, m.centre_id, m.role FROM page
    JOIN accounts_membership m ON m.user_id = page.id AND m.centre_id = %(c)s AND m.is_active
      AND (m.expires_on IS NULL OR m.expires_on >= %(today)s)
    ORDER BY page.full_name, page.email, page.id, m.centre_id, m.role
"""  # noqa: S608 - constants only; the ids are bound parameters


def api_floor(name: str, worker: Worker) -> list[tuple[str, dict[str, Any]]]:
    """The hand-written SQL that reads what the API read `name` answers, as its caller."""
    import datetime

    from bench import pages_portfolio
    from portfolios.models import Registration

    ids = worker.ids
    page = worker.page(name)
    secret = worker.secret(page.who)
    params = {
        "prefix": secret.split("_")[1],
        "user": ids[page.who],
        "today": datetime.date.today(),
        "c": ids["centre"],
        "a": ids["assessor"],
        "r": ids["registration"],
        "q": Registration.objects.values_list("qualification_id", flat=True).get(
            pk=ids["registration"]
        ),
    }
    auth = [(API_CALLER, params), (API_ROLES, params)]
    one = [(API_REGISTRATION + " WHERE r.id = %(r)s", params)]
    statements = {
        "api registrations": [
            (CENTRE_REGISTRATIONS, params),
            (API_REGISTRATION + " WHERE r.centre_id = %(c)s" + API_REGISTRATIONS_PAGE, params),
        ],
        "api registrations (assessor)": [
            (f"SELECT count(*) FROM ({ASSESSED}) a", params),  # noqa: S608 - constants
            (API_REGISTRATION + f" WHERE r.id IN ({ASSESSED})" + API_REGISTRATIONS_PAGE, params),
        ],
        "api registration progress": [
            *one,
            (pages_portfolio.HEADER, params),
            (pages_portfolio.CURRENT_DECISIONS, params),
            (pages_portfolio.CHOICES, params),
            (API_CRITERIA, params),
            (API_CREDITED, params),
        ],
        "api registration decisions": [
            *one,
            (pages_portfolio.HEADER, params),
            (API_DECISION_COUNT, params),
            (API_DECISIONS, params),
        ],
        "api samples": [("SELECT count(*) " + CENTRE_SAMPLES, params), (API_SAMPLES, params)],
        "api claims": [("SELECT count(*) " + CENTRE_CLAIMS, params), (API_CLAIMS, params)],
        "api people": [
            # People, not their roles: someone with two roles at the centre is one person.
            (f"SELECT count(DISTINCT user_id) FROM ({CENTRE_MEMBERS}) m", params),  # noqa: S608
            (API_PEOPLE, params),
        ],
    }
    return auth + statements[name]


class _Undone(Exception):
    """Raised to roll back what api_rows made: its tokens and its claim."""


def claim_ready(worker: Worker) -> int:
    """Every registration of the centre ready to claim added to a claim, as the admin does on
    the claims page (claim_export's measure), so the claims read has lines to list; how many."""
    from accounts.models import User
    from certification.claims import add_ready
    from certification.models import ClaimError

    admin = User.objects.get(pk=worker.ids["admin"])
    try:
        return len(add_ready(actor=admin, centre_id=worker.ids["centre"]).added)
    except ClaimError:
        return 0


def api_rows(repeat: int) -> list[Row]:
    """Each API read on the scale database (this process's Django) beside its SQL floor.

    In one transaction, rolled back at the end: the bench's tokens and the claim it adds leave
    the seeded database as it was (claim_export adds the same claim the same way)."""
    from django.db import transaction
    from django.test.utils import override_settings

    rows: list[Row] = []
    try:
        with transaction.atomic(), override_settings(API_RATE_LIMIT_PER_MINUTE=API_CALLS_UNLIMITED):
            worker = Worker()
            claimed = claim_ready(worker)
            for page in PAGES:
                if page.token:
                    rows.append(_api_row(worker, page, repeat, claimed=claimed))
            raise _Undone
    except _Undone:
        pass
    return rows


def _api_row(worker: Worker, page: Page, repeat: int, *, claimed: int) -> Row:
    from django.db import transaction

    from bench.harness import sql_floor, within
    from bench.pages_portfolio import paired_medians

    url = worker.url(page.name)
    size = 0

    def get() -> None:
        nonlocal size
        response = worker.get(page.name)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        size = len(response.content)

    try:
        # A read that fails (a database error included) is a row, not the end of the suite.
        with transaction.atomic():
            project, floor = paired_medians(
                get, sql_floor(api_floor(page.name, worker)), repeat=repeat
            )
    except Exception as exc:
        return Row(measure=page.name, project=0.0, unit="", goal="runs", met=False, note=repr(exc))
    under = API_PROGRESS_UNDER_MS if "progress" in page.name else API_UNDER_MS
    ms, floor_ms = project * 1000, floor * 1000
    note = f"{url}; {size / 1024:.1f} KB"
    if page.name == "api claims":
        note += f"; {claimed:,} lines added to a claim first"
    return Row(
        measure=f"{page.name}, as the {page.who}'s token",
        project=ms,
        unit="ms",
        floor=floor_ms,
        goal=f"<= {API_RATIO:g}x floor and < {under:g} ms",
        met=within(ms, floor_ms, ratio=API_RATIO, under=under),
        note=note,
    )


# ---------------------------------------------------------------- the suite (both databases)


class Remote:
    """A worker process on one database."""

    def __init__(self, database_url: str) -> None:
        env = {**os.environ, "DATABASE_URL": database_url}
        self.process = subprocess.Popen(  # noqa: S603 (this script, as its own worker)
            [sys.executable, __file__, "--worker", "--database-url", database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.ask_line()

    def ask_line(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the page worker stopped (see its stderr above)")
        return json.loads(line)

    def ask(self, **request: Any) -> dict[str, Any]:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self.ask_line()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def measure(
    small_url: str,
    platform_url: str,
    *,
    repeat: int = 3,
    only: Sequence[str] = (),
    explain: bool = True,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    small, big = Remote(small_url), Remote(platform_url)
    results = []
    try:
        for page in PAGES:
            if only and not any(o in page.name for o in only):
                continue
            result: dict[str, Any] = {"page": page.name, "owner": page.owner}
            first, second = small.ask(op="url", page=page.name), big.ask(op="url", page=page.name)
            if first.get("url") is None or "error" in first or "error" in second:
                result["skipped"] = first.get("error") or second.get("error") or "no such object"
                say(f"{page.name}: skipped ({result['skipped']})")
                results.append(result)
                continue
            result["url"] = first["url"]
            result["status"] = (first["status"], second["status"])
            result["small_ms"] = small.ask(op="time", page=page.name, repeat=repeat)["ms"]
            result["platform_ms"] = big.ask(op="time", page=page.name, repeat=repeat)["ms"]
            result["ratio"] = result["platform_ms"] / result["small_ms"]
            if explain:
                answer = big.ask(op="explain", page=page.name)
                result["offenders"] = answer.get("offenders", [])
                result["queries"] = answer.get("queries")
            say(
                f"{page.name:38} {result['status'][1]} {result['small_ms']:8.1f} ms "
                f"{result['platform_ms']:8.1f} ms {result['ratio']:5.2f}x "
                f"q={result.get('queries')} seq={len(result.get('offenders', []))}"
            )
            results.append(result)
    finally:
        small.close()
        big.close()
    return results


def rows_of(results: Sequence[dict[str, Any]]) -> list[Row]:
    rows = []
    offenders = 0
    for result in results:
        if "skipped" in result:
            continue
        scans = result.get("offenders", [])
        offenders += len(scans)
        note = result["url"]
        if result.get("owner"):
            note += f" (owned by {result['owner']})"
        if scans:
            note += "; seq scan of " + ", ".join(sorted({s["table"] for s in scans}))
        rows.append(
            Row(
                measure=f"{result['page']}, platform vs small",
                project=round(result["platform_ms"], 1),
                floor=round(result["small_ms"], 1),
                unit="ms",
                goal=f"<= {GOAL_RATIO:g}x small",
                met=result["platform_ms"] <= GOAL_RATIO * result["small_ms"] and not scans,
                note=note,
            )
        )
    rows.append(
        Row(
            measure="sequential scans of large tables on the platform's pages",
            project=offenders,
            unit="queries",
            goal="0",
            met=offenders == 0,
        )
    )
    return rows


def bench(ctx: Context) -> list[Row]:
    # The API's reads beside their floors need the scale database alone.
    rows = api_rows(ctx.repeat)
    platform = getattr(ctx, "platform", {}) or {}
    platform_url = platform.get("database_url") or os.environ.get("PLATFORM_DATABASE_URL")
    if not platform_url:
        return [
            *rows,
            Row(
                measure="pages on the platform",
                project=0.0,
                unit="",
                goal="runs",
                met=False,
                note="needs the platform database (run.py --platform)",
            ),
        ]
    return rows + rows_of(measure(ctx.database_url, platform_url, repeat=ctx.repeat))


def report(results: Sequence[dict[str, Any]]) -> str:
    lines = []
    for result in results:
        for scan in result.get("offenders", []):
            lines.append(
                f"{result['page']}: Seq Scan on {scan['table']} ({scan['rows']:,} rows)\n"
                f"    {scan['sql'][:1500]}"
            )
    return "\n".join(lines) or "No sequential scan of a large table."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="seed_scale alone")
    parser.add_argument("--platform-url", help="seed_scale and the platform")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="pages whose name contains any of these")
    parser.add_argument("--no-explain", dest="explain", action="store_false")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.database_url)
    if not args.platform_url:
        parser.error("--platform-url is needed")
    only = [o for o in args.only.split(",") if o]
    results = measure(
        args.database_url, args.platform_url, repeat=args.repeat, only=only, explain=args.explain
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print()
    for row in rows_of(results):
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        print(
            f"{row.measure:60} {row.project:9.1f} {row.floor or 0:9.1f} {ratio:>7} "
            f"{'met' if row.met else 'NOT MET'}  {row.note}"
        )
    print()
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
