"""Keep ``benchmarks/aws.py`` from rotting: its rows on a tiny input (timings never asserted)."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_aws_benchmark_gives_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    aws = importlib.import_module("benchmarks.aws")
    rows = aws.run(keys=5, latency=0.001, repeats=1, baseline_repeats=1)
    assert [row.benchmark.split(",")[0] for row in rows] == [
        "aws-sm 5 keys", "aws-sm 5 keys", "aws-sm 5 keys", "aws-sm 5 keys"]
    assert "sequential boto3 loop: 5 CreateSecret calls" in rows[0].baseline_name
    assert rows[1].baseline_name.startswith("ideal (ceil(5/10) writes + 1 reads)")
    assert rows[2].passed is None  # the 0 ms floor is informational
    # The sync with nothing changed: one ListSecrets and one BatchGetSecretValue.
    assert rows[3].measured == 2
    assert rows[3].passed is True
    for row in rows:
        assert math.isfinite(row.ratio)
        assert row.measured > 0
    assert aws.run(keys=0, latency=0.05, repeats=1, baseline_repeats=1) == []
