"""Benchmark: the largest IMI achievement record, the project's build beside WeasyPrint alone.

    .venv/bin/python bench/achievement_record.py --database-url postgres://... [--repeat 5]
        [--profile]

The record is seed_scale's (imi.full@scale.example's, when `--manifest`, default
bench/.scale.json, names it), else the full achievement record of a learner on the IMI
qualification with the most criteria, registered on its largest valid combination of units,
every criterion met with evidence and every unit signed off (built through the services by
bench/achievement_build.py's set-up; a learner built by an earlier run is used again).

Rows:
- the project's render (`render_achievement_pdf`: the template, the QR code, WeasyPrint with the
  project's trimmed user-agent sheet and the collector paused), beside its floor: WeasyPrint
  alone (`weasyprint.HTML(string=html).write_pdf(...)`, same PDF/A variant and tags) on the very
  HTML the project printed. Goal: under 3 s on an idle machine. The floor moves with the
  document: a lighter document lowers both.
- the HTML's size and the PDF's pages and size, which the document's weight shows in.

--profile prints cProfile's top functions of one project render, to see where the time goes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row, median_seconds, print_profile, within  # noqa: E402

GOAL_SECONDS = 3.0
LEARNER = "Grace Bench-Learner"


def largest_imi_number() -> str:
    """The IMI qualification whose units hold the most assessment criteria."""
    from django.db.models import Count

    from qualifications.models import Qualification

    best = (
        Qualification.objects.filter(awarding_body__code__icontains="imi")
        .annotate(criteria=Count("memberships__unit__criteria", distinct=True))
        .order_by("-criteria", "number")
        .values_list("number", flat=True)
        .first()
    )
    if best is None:
        raise SystemExit("no IMI qualification in the catalogue: run load_catalogue")
    return best


def bench_record(number: str, scale: dict[str, Any] | None = None) -> Any:
    """The full record of the largest learner on `number`: seed_scale's (imi.full@scale.example,
    named in its manifest) when there is one, else the bench's own learner, reused when an
    earlier run made one on this database, else built through the services."""
    from assessments import achievements
    from assessments.achievement_models import AchievementRecord
    from portfolios.models import Registration, RegistrationStatus

    seeded = (scale or {}).get("achievement_record")
    record = AchievementRecord.objects.filter(pk=seeded).first() if seeded else None
    if record is not None:
        return record

    registration = (
        Registration.objects.filter(
            learner__full_name=LEARNER,
            qualification__number=number,
            status=RegistrationStatus.COMPLETE,
        )
        .order_by("-pk")
        .first()
    )
    if registration is None:
        from bench.achievement_build import set_up_learner

        registration = set_up_learner(name=LEARNER, number=number)
    record, _ = achievements.request_record(
        actor=None, registration=registration, kind="full", check_access=False, queue=False
    )
    # As a build prints it: with the audit chain's head.
    record.audit_sequence, record.audit_hash = 123456, "0" * 64
    return record


def weasyprint_alone(html: str) -> bytes:
    """The floor: the renderer's plain call on the same HTML, same archival variant and tags."""
    from weasyprint import HTML

    from assessments.pdf import PDF_VARIANT

    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def count_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def measure(record: Any, *, repeat: int) -> dict[str, Any]:
    from assessments import achievements, pdf

    template, context = achievements.print_context(record)
    html = pdf.render_html(template, context)
    data = achievements.render_achievement_pdf(record)
    units = record.content["units"]
    return {
        "units": len(units),
        "criteria": sum(len(o["criteria"]) for u in units for o in u["outcomes"]),
        "html_bytes": len(html.encode()),
        "pdf_bytes": len(data),
        "pages": count_pages(data),
        "project": median_seconds(
            lambda: achievements.render_achievement_pdf(record), repeat=repeat
        ),
        "floor": median_seconds(lambda: weasyprint_alone(html), repeat=repeat),
    }


def rows(number: str, result: dict[str, Any]) -> list[Row]:
    shape = (
        f"IMI {number}, {result['units']} units, {result['criteria']} criteria, "
        f"{result['pages']} pages"
    )
    project, floor = result["project"] * 1000, result["floor"] * 1000
    return [
        Row(
            measure="achievement record PDF, largest IMI",
            project=round(project),
            unit="ms",
            goal=f"< {GOAL_SECONDS * 1000:.0f} ms",
            met=within(project, floor, under=GOAL_SECONDS * 1000),
            floor=round(floor),
            note=f"{shape}; floor: WeasyPrint alone on the same HTML",
        ),
        Row(
            measure="achievement record, HTML and PDF size",
            project=round(result["html_bytes"] / 1000, 1),
            unit="KB",
            goal="record",
            met=True,
            note=f"HTML; PDF {result['pdf_bytes'] / 1000:.0f} KB, {result['pages']} pages",
        ),
    ]


def bench(ctx: Context) -> list[Row]:
    number = largest_imi_number()
    return rows(number, measure(bench_record(number, ctx.scale), repeat=ctx.repeat))


def profile(record: Any) -> None:
    from assessments import achievements

    print_profile(lambda: achievements.render_achievement_pdf(record), top=30)


def setup_django(database_url: str | None, workdir: str) -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES["default"]["OPTIONS"]["location"] = f"{workdir}/media"
    call_command("migrate", verbosity=0)
    from qualifications.models import Qualification

    if not Qualification.objects.exists():
        call_command("load_catalogue", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a throwaway SQLite database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=ROOT / "bench" / ".scale.json",
        help="seed_scale's manifest, used when it exists (default bench/.scale.json)",
    )
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="achievement-record-bench-")
    setup_django(args.database_url, workdir)
    scale = json.loads(args.manifest.read_text()) if args.manifest.exists() else {}
    number = largest_imi_number()
    record = bench_record(number, scale)
    if args.profile:
        profile(record)
        return
    for row in rows(number, measure(record, repeat=args.repeat)):
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        print(
            f"{row.measure}: {row.project} {row.unit} (floor {row.floor}, ratio {ratio}; "
            f"goal {row.goal}: {'met' if row.met else 'MISSED'}) {row.note}"
        )
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
