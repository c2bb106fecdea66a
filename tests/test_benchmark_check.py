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
