"""Keep ``benchmarks/github.py`` from rotting: its rows on a tiny input (timings never asserted)."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_github_benchmark_gives_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    github = importlib.import_module("benchmarks.github")
    rows = github.run(keys=100, latency=0.0, repeats=1)
    assert [row.benchmark for row in rows] == [
        "github sync 100 new secrets, 0 ms a request (beyond 102 x latency)",
        "same, whole `secrets sync` command in-process (beyond 102 x latency)",
        "github sync 100 keys, nothing changed: requests",
    ]
    assert rows[0].target == "<= 1.2x the loop"
    assert rows[1].passed is None
    # Nothing changed: the names list only, one page of 100 (the run checks no write).
    assert rows[2].measured == 1
    assert rows[2].baseline == 2
    assert rows[2].passed is True
    for row in rows:
        assert math.isfinite(row.ratio)
        assert row.ratio > 0
    assert github.run(keys=0, latency=0.0, repeats=1) == []
