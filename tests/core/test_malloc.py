"""The web process keeps MB-sized request buffers in the heap (see core/malloc.py)."""

from __future__ import annotations

import importlib
import platform
import sys

import pytest

import core.malloc
from core.malloc import keep_large_buffers_on_heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_thresholds() -> None:
    assert keep_large_buffers_on_heap() is True


def test_the_wsgi_entry_point_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(core.malloc, "keep_large_buffers_on_heap", lambda: calls.append(True))
    monkeypatch.delitem(sys.modules, "config.wsgi", raising=False)

    importlib.import_module("config.wsgi")

    assert calls == [True]
