"""Benchmark: how long each awarding body's specification takes to parse (target: under 0.5 s).

    .venv/bin/python bench/import_parse.py [--repeat N]

A suite of bench/run.py (`bench(ctx)`: one row per format); run alone, it prints the same.

Parsing is pure Python over the committed sources in fixtures/sources/, so no database is needed.
This used to be a timed test; timings belong here, where a loaded machine cannot fail the suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row  # noqa: E402

SOURCES = {
    "sfj": "sfj-601-1109-4.txt",
    "imi": "imi-601-3456-2.txt",
    "ascentis": "ascentis-600-1686-3-600-1684-x.txt",
    "pearson": "pearson-603-5449-5-603-5450-1.txt",
    "ncfe-standard": "ncfe-601-3973-0-standard-mapping.txt",
}
TARGET_SECONDS = 0.5


def best_seconds(fmt: str, name: str, repeat: int) -> float:
    """The best of `repeat` parses (reading the file is left out: parsing is what is measured)."""
    from qualifications.importers.base import read_document
    from qualifications.importers.registry import parser_for

    parse = parser_for(fmt)
    times = []
    for _ in range(repeat):
        document = read_document(ROOT / "fixtures" / "sources" / name, fmt)
        started = time.perf_counter()
        parse(document)
        times.append(time.perf_counter() - started)
    return min(times)


def rows(repeat: int) -> list[Row]:
    made = []
    for fmt, name in SOURCES.items():
        best = best_seconds(fmt, name, repeat)
        made.append(
            Row(
                measure=f"import_parse: parse {fmt}",
                project=best * 1000,
                unit="ms",
                goal=f"< {TARGET_SECONDS * 1000:.0f} ms",
                met=best < TARGET_SECONDS,
                note=f"best of {repeat}",
            )
        )
    return made


def bench(ctx: Context) -> list[Row]:
    return rows(ctx.repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for row in rows(args.repeat):
        verdict = "met" if row.met else "MISSED"
        print(f"{row.measure}: best {row.project:7.1f} ms ({row.goal}: {verdict})")


if __name__ == "__main__":
    main()
