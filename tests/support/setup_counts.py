"""Counts the suite's expensive set-up commands and prints the totals after the run.

How often `load_catalogue` and `seed_demo` run, and for how long, does not depend on how busy
the machine is, so the summary line says whether a change made the suite do less work, not only
whether the clock said so. Under xdist each worker counts its own runs and hands them to the
controller, which adds them up.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest
from django.core.management.base import BaseCommand

COUNTED = ("load_catalogue", "seed_demo")

# name -> [runs, wall seconds, CPU seconds of the test process (the database server's not counted)]
_runs: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
_totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])


def _counting(execute: Any) -> Any:
    def wrapper(self: BaseCommand, *args: Any, **options: Any) -> Any:
        name = type(self).__module__.rpartition(".")[2]
        if name not in COUNTED:
            return execute(self, *args, **options)
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return execute(self, *args, **options)
        finally:
            _runs[name][0] += 1
            _runs[name][1] += time.perf_counter() - started
            _runs[name][2] += time.process_time() - cpu

    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(BaseCommand.execute, "_counts_setup", False):
        BaseCommand.execute = _counting(BaseCommand.execute)
        BaseCommand.execute._counts_setup = True  # type: ignore[attr-defined]


def _add(into: dict[str, list[float]], runs: dict[str, list[float]]) -> None:
    for name, run in runs.items():
        for i, value in enumerate(run):
            into[name][i] += value


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["setup_runs"] = {name: list(run) for name, run in _runs.items()}
    else:
        _add(_totals, _runs)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _add(_totals, getattr(node, "workeroutput", {}).get("setup_runs", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if getattr(terminalreporter.config, "workeroutput", None) is not None:
        return
    parts = [
        f"{name} ×{int(_totals[name][0])} ({_totals[name][1]:.1f} s, CPU {_totals[name][2]:.1f} s)"
        for name in COUNTED
        if name in _totals
    ]
    if parts:
        terminalreporter.write_line("set-up commands run: " + ", ".join(parts))
