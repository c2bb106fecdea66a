"""Keep the ``secrets check`` benchmark from rotting: one tiny run, its row well formed
(timings are never asserted; the benchmark itself checks the commands did the work)."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_check_benchmark_gives_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    check = importlib.import_module("benchmarks.check")
    [row] = check.run(5, 0.001, 1)
    assert row.benchmark == "secrets check, 4 environments x 5 keys, 1 ms per read"
    assert row.baseline_name == "secrets list of the slowest environment"
    assert row.measured > 0
    assert row.baseline > 0
    assert math.isfinite(row.ratio)
    assert row.passed is (row.ratio <= check.TARGET)


def test_the_check_benchmark_over_real_stores_gives_its_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two env files, OpenBao and moto: the row, and its baseline the slower server's list."""
    monkeypatch.syspath_prepend(str(ROOT))
    check = importlib.import_module("benchmarks.check")
    [row] = check.run_stores(5, 0.001, 1)
    assert row.benchmark.startswith("secrets check, 2 env files + vault + aws-sm x 5 keys")
    assert row.baseline_name.startswith("secrets list of the slowest environment, ")
    assert row.measured > 0
    assert row.baseline > 0
    assert row.passed is (row.ratio <= check.TARGET)
