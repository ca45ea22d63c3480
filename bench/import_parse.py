"""Benchmark: how long each awarding body's specification takes to parse (target: under 0.5 s).

    .venv/bin/python bench/import_parse.py [--repeat N]

Parsing is pure Python over the committed sources in fixtures/sources/, so no database is needed.
This used to be a timed test; timings belong here, where a loaded machine cannot fail the suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = {
    "sfj": "sfj-601-1109-4.txt",
    "imi": "imi-601-3456-2.txt",
    "ascentis": "ascentis-600-1686-3-600-1684-x.txt",
    "pearson": "pearson-603-5449-5-603-5450-1.txt",
    "ncfe-standard": "ncfe-601-3973-0-standard-mapping.txt",
}
TARGET_SECONDS = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from qualifications.importers.base import read_document
    from qualifications.importers.registry import parser_for

    worst = 0.0
    for fmt, name in SOURCES.items():
        parse = parser_for(fmt)
        times = []
        for _ in range(args.repeat):
            document = read_document(ROOT / "fixtures" / "sources" / name, fmt)
            started = time.perf_counter()
            parse(document)
            times.append(time.perf_counter() - started)
        best = min(times)
        worst = max(worst, best)
        print(f"{fmt:14} best {best * 1000:7.1f} ms over {args.repeat} runs")
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    target_ms = TARGET_SECONDS * 1000
    print(f"slowest parser {worst * 1000:.1f} ms (target < {target_ms:.0f} ms): {verdict}")


if __name__ == "__main__":
    main()
