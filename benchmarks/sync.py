"""Rows 2 and 3: a full envfile sync, and how its cost grows with the file.

A sync is ``stagecraft_envfile.EnvfileStore().sync``: read and parse the source, read
and parse the target under its lock, set every key (10% of them changed),
render and write the target atomically, and keep the write record up to date
(look up the fingerprints of the keys it overwrites, for conflicts, and of the
unchanged ones; record the changed ones).  Its alternative is python-dotenv
*only parsing the source*: the target says the whole sync costs less than that
one step of a python-dotenv based tool.  Before each timed sync the target and
the record are restored to what an earlier sync left (the record then matches
the target, so there is no conflict), so every run does the same work.

Sizes run smallest first.  When the growth seen so far predicts that one run
of the next size would take longer than ``max_run`` seconds, that size is not
run: its row FAILs with the predicted time, so a superlinear regression shows
as a failure instead of a benchmark that never ends.
"""

from __future__ import annotations

import math
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times, speedup_row
from benchmarks.inputs import changed, entries, render
from benchmarks.parsing import label, python_dotenv_parse
from stagecraft.providers.secrets import Action, Context, SyncOptions, SyncResult
from stagecraft.record import RECORD_FILE, state_home
from stagecraft_envfile import EnvfileStore

#: The store this benchmark drives (the plugin builds its own in the hook).
PROVIDER = EnvfileStore()


CHANGED_FRACTION = 0.10
MEMORY_TARGET = 10.0  # peak traced memory over the source file's size
SCALING_TARGET = 1.5  # per-key cost over the smallest size's


class Case:
    """A source and a target file of ``count`` keys, 10% of the target's values different."""

    def __init__(self, root: Path, count: int) -> None:
        self.root = root
        self.count = count
        items = entries(count)
        self.source_text = render(items)
        self.source = root / f"source-{count}.env"
        self.target = root / f"target-{count}.env"
        self.source.write_text(self.source_text, encoding="utf-8")
        self.target_bytes = changed(items, CHANGED_FRACTION).encode("utf-8")
        # A sync of the target's own values leaves the record an earlier sync would.
        self.record = state_home() / RECORD_FILE
        self.record.unlink(missing_ok=True)
        base = root / f"base-{count}.env"
        base.write_bytes(self.target_bytes)
        self.target.unlink(missing_ok=True)
        self.sync(base)
        base.unlink()
        self.record_bytes = self.record.read_bytes()
        self.restore()

    def restore(self) -> None:
        self.target.write_bytes(self.target_bytes)
        self.target.chmod(0o600)
        self.record.write_bytes(self.record_bytes)

    def sync(self, source: Path | None = None) -> SyncResult:
        ctx = Context(cwd=self.root, config_dir=self.root)
        return PROVIDER.sync(ctx, SyncOptions(source=str(source or self.source),
                                              target=str(self.target)))

    def check(self, result: SyncResult) -> None:
        """The sync did what the benchmark claims: every key seen, 10% updated."""
        updated = len(result.keys_with(Action.UPDATED))
        expected = int(self.count * CHANGED_FRACTION)
        if updated != expected or len(result.changes) != self.count:
            raise AssertionError(f"sync of {self.count} keys updated {updated}, not {expected}")

    def peak_memory(self) -> int:
        """Peak bytes Python allocated during one sync (tracemalloc; untimed)."""
        self.restore()
        tracemalloc.start()
        try:
            self.check(self.sync())
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def remove(self) -> None:
        self.source.unlink(missing_ok=True)
        self.target.unlink(missing_ok=True)
        self.record.unlink(missing_ok=True)


def _predict(done: dict[int, float], count: int) -> float:
    """One run's time at ``count`` keys, extrapolated from the largest sizes measured.

    The growth exponent comes from the last two sizes (never below 1), so a
    quadratic step is extrapolated as such.
    """
    sizes = sorted(done)
    last = sizes[-1]
    exponent = 1.0
    if len(sizes) >= 2:
        previous = sizes[-2]
        if done[previous] > 0 and done[last] > 0:
            exponent = max(1.0, math.log(done[last] / done[previous]) / math.log(last / previous))
    return float(done[last] * (count / last) ** exponent)


def run(
    sizes: Sequence[tuple[int, int]],
    full_count: int,
    python_dotenv_medians: dict[int, float] | None = None,
    *,
    budget: float | None = None,
    max_run: float | None = None,
) -> list[Row]:
    """Row 2 at ``full_count`` keys, then row 3 over ``sizes`` (``(keys, repeats)``).

    ``full_count`` must be one of ``sizes``.  python-dotenv's median on the same
    source text is taken from ``python_dotenv_medians`` when the parse benchmark
    already measured it in this run, and measured here otherwise.  ``budget``
    caps the seconds spent per size; ``max_run`` skips sizes predicted to take
    longer than that per run.
    """
    known = dict(python_dotenv_medians or {})
    medians: dict[int, float] = {}
    runs: dict[int, int] = {}
    predicted: dict[int, float] = {}
    full_rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-sync-") as raw:
        root = Path(raw)
        for count, repeats in sorted(sizes):
            if medians and max_run is not None:
                guess = _predict(medians, count)
                if guess > max_run:
                    predicted[count] = guess
                    continue
            case = Case(root, count)
            funcs: list[Callable[[], object]] = [case.sync]
            with_parse = count == full_count and count not in known
            if with_parse:
                funcs.append(partial(python_dotenv_parse, case.source_text))
            timing = median_times(funcs, repeats, setup=case.restore, budget=budget)
            medians[count] = timing.medians[0]
            runs[count] = timing.runs
            if with_parse:
                known[count] = timing.medians[1]
            if count == full_count:
                full_rows.append(speedup_row(
                    f"envfile sync {label(count)} keys, 10% changed", medians[count],
                    "python-dotenv parse of the source alone", known[count], 1.0,
                    runs=timing.runs,
                ))
                full_rows.append(cost_row(
                    f"envfile sync {label(count)} keys: peak memory (tracemalloc)",
                    case.peak_memory(), "source file size", case.source.stat().st_size,
                    MEMORY_TARGET, unit="B", what="file size",
                ))
            case.remove()
    if full_count in predicted:
        full_rows.append(Row(
            f"envfile sync {label(full_count)} keys, 10% changed", predicted[full_count],
            "python-dotenv parse of the source alone", known.get(full_count, math.nan),
            math.nan, f">= 1x faster (not run: predicted {predicted[full_count]:.0f} s a run)",
            False,
        ))
    smallest = min(medians)
    per_key_base = medians[smallest] / smallest
    scaling: list[Row] = []
    for count, _ in sorted(sizes):
        if count in predicted:
            per_key = predicted[count] / count
            scaling.append(Row(
                f"scaling: sync {label(count)} keys, per key", per_key,
                f"per key at {label(smallest)}", per_key_base, per_key / per_key_base,
                f"<= {SCALING_TARGET:g}x per-key cost (not run: predicted "
                f"{predicted[count]:.0f} s a run)",
                False,
            ))
            continue
        scaling.append(cost_row(
            f"scaling: sync {label(count)} keys (total {medians[count]:.2f} s), per key",
            medians[count] / count, f"per key at {label(smallest)}", per_key_base,
            SCALING_TARGET if count != smallest else None, what="per-key cost",
            runs=runs[count],
        ))
    return full_rows + scaling
