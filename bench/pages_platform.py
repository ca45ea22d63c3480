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

Ids = dict[str, Any]


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # a key of ids naming the user signed in ("" for nobody)
    url: Callable[[Ids], str | None]  # None: the centre has no such object
    owner: str = ""  # another engineer's page: report, do not fix here


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

    def client(self, who: str) -> Any:
        from django.test import Client

        if who not in self.clients:
            client = Client()
            if who:
                from accounts.models import User

                client.force_login(User.objects.get(pk=self.ids[who]))
            self.clients[who] = client
        return self.clients[who]

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
        response = self.client(self.page(name).who).get(url)
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
    from django.test.utils import setup_test_environment

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
    platform = getattr(ctx, "platform", {}) or {}
    platform_url = platform.get("database_url") or os.environ.get("PLATFORM_DATABASE_URL")
    if not platform_url:
        return [
            Row(
                measure="pages on the platform",
                project=0.0,
                unit="",
                goal="runs",
                met=False,
                note="needs the platform database (run.py --platform)",
            )
        ]
    return rows_of(measure(ctx.database_url, platform_url, repeat=ctx.repeat))


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
