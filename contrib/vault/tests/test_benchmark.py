"""Keep ``benchmarks/vault.py`` from rotting: its rows on a tiny input (timings never asserted)."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_vault_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # the repository root, for `benchmarks`
    vault = importlib.import_module("benchmarks.vault")
    rows = vault.run(keys=3, repeats=1)
    assert [row.benchmark for row in rows] == [
        "vault sync 3 keys into one path, whole process",
        "vault sync 3 keys, nothing changed, whole process",
        "same no-change sync vs the Go binary run directly",
        "floor: python -c 'import hvac' (hvac + requests)",
    ]
    assert [row.target for row in rows[:2]] == ["<= 1.5x bao kv put", "<= 1.2x bao kv get"]
    for row in rows:
        assert math.isfinite(row.ratio)
        assert row.ratio > 0
        assert row.measured > 0
        assert row.runs == 1
    assert rows[2].passed is None
    assert rows[3].passed is None
