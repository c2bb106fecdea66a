"""Keep ``benchmarks/`` from rotting: run each benchmark on tiny inputs.

Only the structure is checked (every row present, numbers finite and positive,
verdicts consistent with the ratios); timings are never asserted, since they
depend on the machine.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``benchmarks.__main__`` (the repository root is not on sys.path under importlib mode)."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("benchmarks.__main__")


def test_quick_plan_gives_every_row(bench: ModuleType) -> None:
    tiny = bench.Plan(
        parse_sizes=((20, 1), (40, 1)),
        sync_sizes=((20, 1), (40, 1)),
        sync_full=40,
        encore_keys=3,
        encore_latency=0.001,
        encore_concurrency=2,
        encore_repeats=1,
        encore_baseline_repeats=1,
        startup_repeats=1,
        plugin_sizes=((1, 1), (3, 1)),
        store_keys=4,
        store_latency=0.001,
        store_concurrency=2,
        store_repeats=1,
        budget=5.0,
        max_run=60.0,
        exec_keys=5,
    )
    rows = bench.run(tiny)
    prefixes = [
        "parse 20 keys", "parse 20 keys", "parse 40 keys", "parse 40 keys",
        "envfile sync 40 keys, 10% changed",
        "envfile sync 40 keys: peak memory",
        "scaling: sync 20 keys", "scaling: sync 40 keys",
        "encore 3 keys x 3 types, concurrency 2", "encore 3 keys x 3 types, concurrency 2",
        "encore 3 keys, same sync with the fake at 0 ms",
        "encore plan (dry run) of 3 keys: latency it adds",
        "encore plan (dry run) of 3 keys, 1 ms a call",
        "encore --check of 3 unchanged keys: CLI calls (0 set)",
        "stagecraft secrets sync (20 keys)", "stagecraft --version", "python -c pass",
        "the floor + importlib.metadata",
        "registry build, 1 local plugins", "registry build, 3 local plugins",
        "store write_one 4 keys", "store write_one 4 keys",
        "exec store (Node helper) sync of 5 keys",
    ]
    assert len(rows) == len(prefixes)
    for row, prefix in zip(rows, prefixes, strict=True):
        assert row.benchmark.startswith(prefix), (row.benchmark, prefix)
    for row in rows:
        assert math.isfinite(row.ratio), row
        # The plan's added latency is a difference of two timings: at 1 ms a call
        # and one run each, noise can make it zero or negative on a busy machine.
        if "latency it adds" not in row.benchmark:
            assert row.ratio > 0, row
            assert row.measured > 0, row
        assert row.baseline > 0, row
        assert row.baseline_name, row
        if row.passed is not None:
            limit = float(row.target.split()[1].rstrip("x"))
            expected = row.ratio >= limit if row.target.startswith(">=") else row.ratio <= limit
            assert row.passed is expected, row
    # Counted, not timed: a --check right after a sync makes one `list` call, no `set`.
    check = rows[prefixes.index("encore --check of 3 unchanged keys: CLI calls (0 set)")]
    assert (check.measured, check.baseline, check.passed) == (1, 1, True), check
    # The largest size carries the targets, smaller sizes are informational.
    assert [row.passed is None for row in rows[:4]] == [True, True, False, False]

    table = bench.table(rows)
    assert table.count("\n") == len(rows) + 1
    for word in ("benchmark", "baseline median", "ratio", "target", "verdict"):
        assert word in table
    assert bench.markdown(rows).count("\n| ") == len(rows) + 1


def test_quick_command_prints_table_and_machine(
    bench: ModuleType, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = tmp_path / "table.md"
    assert bench.main(["--quick", "--only", "parse", "--markdown", str(doc)]) == 0
    out = capsys.readouterr().out
    assert "Machine:" in out
    assert "python-dotenv dotenv_values" in out
    assert "floor: splitlines+partition" in out
    assert "| parse 200 keys |" in doc.read_text("utf-8")


def test_sync_skips_a_size_predicted_too_slow(bench: ModuleType) -> None:
    sync = importlib.import_module("benchmarks.sync")
    rows = sync.run([(20, 1), (40, 1), (4_000_000, 1)], 40, max_run=1e-9)
    skipped = [row for row in rows if "4M" in row.benchmark]
    assert len(skipped) == 1
    assert skipped[0].passed is False
    assert "not run: predicted" in skipped[0].target


def test_importtime_summary_names_the_command_modules(bench: ModuleType) -> None:
    importtime = importlib.import_module("benchmarks.importtime")
    best = importtime.measure(1)
    assert "stagecraft.cli" in best
    self_us, cumulative_us, depth = best["stagecraft.cli"]
    assert 0 <= self_us <= cumulative_us
    assert depth == 0
    report = importtime.report(best, top=5)
    assert report.splitlines()[0].split() == ["module", "self", "ms", "cumul.", "ms"]
    assert len(report.splitlines()) == 6


def test_refusal_rows_measure_a_refused_sync_of_each_kind(bench: ModuleType) -> None:
    refusals = importlib.import_module("benchmarks.refusals")
    rows = refusals.run(30)
    assert [row.benchmark for row in rows] == [
        "refusal, a reason per key (envfile), 30 keys: stderr",
        "refusal, a reason per key (envfile), 30 keys: peak memory (RSS)",
        "refusal, the whole write (vault fields), 30 keys: stderr",
        "refusal, the whole write (vault fields), 30 keys: peak memory (RSS)",
    ]
    for row in rows:
        assert row.measured > 0, row
        assert row.passed is (row.ratio <= 1.0), row


def test_redaction_rows_mask_and_compare_with_named_alternatives(bench: ModuleType) -> None:
    redaction = importlib.import_module("benchmarks.redaction")
    rows = redaction.run(300, 1)
    assert len(rows) == 9
    assert [row.baseline_name for row in rows if row.passed is not None] == [
        "budget 50 ms", "budget 50 ms"]
    for row in rows:
        assert row.measured > 0, row
        assert row.baseline > 0, row


def test_the_interrupt_benchmark_gives_its_row(bench: ModuleType) -> None:
    """A real SIGINT at each point of a small sync: one row, the target left whole."""
    from benchmarks import interrupt

    [row] = interrupt.run(2_000)
    assert row.benchmark.startswith("Ctrl-C during an envfile sync of 2000 keys")
    assert row.runs == len(interrupt.POINTS)
    assert row.measured > 0
    assert row.baseline > 0
    assert math.isfinite(row.ratio)


def test_run_rows_time_the_real_command_against_dotenvx_and_a_dry_run(bench: ModuleType) -> None:
    run_rows = importlib.import_module("benchmarks.run")
    rows = run_rows.run(5, 1)
    assert [row.baseline_name for row in rows] == [
        "dotenvx run -f .env -- true", "dotenvx run -f .env -- true",
        "stagecraft secrets sync --dry-run (5 keys)"]
    assert rows[0].benchmark.startswith("stagecraft run --env dev -- true (5 keys)")
    for row in rows:
        assert math.isfinite(row.ratio), row
        assert row.ratio > 0, row
        assert row.measured > 0, row


def test_the_named_syncs_benchmark_gives_its_rows(bench: ModuleType) -> None:
    """8 named syncs in one command, against 8 commands and one sync alone, twice."""
    from benchmarks import named_syncs

    rows = named_syncs.run(3, 0.001, 1)
    assert [row.baseline_name for row in rows] == [
        "8 `secrets sync --from --to` commands", "one of them (`--only s0`)",
        "one of them, stagecraft.sync()"] * 2
    assert [row.passed is None for row in rows] == [False, False, False, False, False, True]
    for row in rows:
        assert row.measured > 0
        assert row.baseline > 0
        assert math.isfinite(row.ratio)
