"""Timing and reporting shared by every benchmark.

A :class:`Row` is one line of the final table: what was measured, the named
alternative it is compared with (measured in the same run), the ratio, the
target and the verdict.  Times are medians: these machines are noisy, and a
single run can be off by 2x.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One table line.  ``passed`` is None for an informational row (no target)."""

    benchmark: str
    measured: float
    baseline_name: str
    baseline: float
    ratio: float
    target: str
    passed: bool | None
    unit: str = "s"
    runs: int = 0  # timed runs behind the median (0: not a timing, or not run)


def speedup_row(
    benchmark: str,
    measured: float,
    baseline_name: str,
    baseline: float,
    minimum: float | None,
    *,
    runs: int = 0,
) -> Row:
    """``ratio = baseline / measured`` (how many times faster); passes at ``>= minimum``."""
    ratio = baseline / measured if measured > 0 else float("inf")
    if minimum is None:
        return Row(benchmark, measured, baseline_name, baseline, ratio, "x faster (info)", None,
                   runs=runs)
    return Row(
        benchmark, measured, baseline_name, baseline, ratio, f">= {minimum:g}x faster",
        ratio >= minimum, runs=runs,
    )


def cost_row(
    benchmark: str,
    measured: float,
    baseline_name: str,
    baseline: float,
    maximum: float | None,
    *,
    unit: str = "s",
    what: str = "of baseline",
    runs: int = 0,
    ratio: float | None = None,
) -> Row:
    """``ratio = measured / baseline`` (the cost relative to it); passes at ``<= maximum``.

    ``ratio`` overrides the ratio of the two medians (see :meth:`Timing.paired_ratio`).
    """
    if ratio is None:
        ratio = measured / baseline if baseline > 0 else float("inf")
    if maximum is None:
        return Row(benchmark, measured, baseline_name, baseline, ratio, f"x {what} (info)", None,
                   unit, runs)
    return Row(
        benchmark, measured, baseline_name, baseline, ratio, f"<= {maximum:g}x {what}",
        ratio <= maximum, unit, runs,
    )


def time_once(func: Callable[[], object]) -> float:
    """Wall time of one call, after a collection so earlier garbage is not billed to it."""
    gc.collect()
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Timing:
    """Medians of interleaved runs, one per function, and how many rounds ran."""

    medians: list[float]
    runs: int
    samples: list[list[float]]  # every timed run, per function, in round order

    def paired_ratio(self, measured: int, baseline: int) -> float:
        """Median over rounds of ``measured / baseline`` within the same round.

        The two runs of a round ran one after the other, so they saw the same
        machine; a ratio of medians mixes runs from the machine's fast and slow
        moments (on these shared machines the bare interpreter's median alone
        moves by 30% between runs of the benchmark).
        """
        pairs = zip(self.samples[measured], self.samples[baseline], strict=True)
        return statistics.median(a / b for a, b in pairs if b > 0)


def median_times(
    funcs: Sequence[Callable[[], object]],
    repeats: int,
    setup: Callable[[], object] | None = None,
    budget: float | None = None,
) -> Timing:
    """Median wall time of each function, the functions interleaved run by run.

    Interleaving (A, B, A, B, ...) spreads the machine's slow moments over every
    contender instead of letting them land on whichever ran during them.
    ``setup`` runs untimed before every timed call (for example to restore a
    file a sync rewrote).  With ``budget`` (seconds), rounds stop early once
    another would pass it, so one slow contender cannot make ``make bench``
    take an hour; at least one round always runs, and the row shows the count.
    """
    samples: list[list[float]] = [[] for _ in funcs]
    spent = 0.0
    rounds = 0
    for _ in range(repeats):
        round_time = 0.0
        for index, func in enumerate(funcs):
            if setup is not None:
                setup()
            elapsed = time_once(func)
            samples[index].append(elapsed)
            round_time += elapsed
        rounds += 1
        spent += round_time
        if budget is not None and spent + round_time > budget:
            break
    return Timing([statistics.median(times) for times in samples], rounds, samples)


def _format(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 1e6:.1f} MB"
    if unit == "s":
        if value >= 1:
            return f"{value:.2f} s"
        if value >= 1e-3:
            return f"{value * 1e3:.1f} ms"
        return f"{value * 1e6:.1f} us"
    return f"{value:.3g} {unit}"


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table."""
    header = ["benchmark", "runs", "measured", "baseline", "baseline median", "ratio",
              "target", "verdict"]
    lines = [header]
    for row in rows:
        verdict = "info" if row.passed is None else ("PASS" if row.passed else "FAIL")
        lines.append([
            row.benchmark,
            str(row.runs) if row.runs else "-",
            _format(row.measured, row.unit),
            row.baseline_name,
            _format(row.baseline, row.unit),
            f"{row.ratio:.2f}x",
            row.target,
            verdict,
        ])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                for line in lines]
    rendered.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def markdown(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table, for ``docs/performance.md``."""
    out = [
        "| benchmark | runs | measured | baseline | baseline median | ratio | target | verdict |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        verdict = "info" if row.passed is None else ("PASS" if row.passed else "FAIL")
        out.append(
            f"| {row.benchmark} | {row.runs or '-'} | {_format(row.measured, row.unit)} | "
            f"{row.baseline_name} | "
            f"{_format(row.baseline, row.unit)} | {row.ratio:.2f}x | {row.target} | {verdict} |"
        )
    return "\n".join(out)
