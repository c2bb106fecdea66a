"""``python -m benchmarks [--quick] [--only NAME ...] [--markdown FILE]``: run and print the table.

``make bench`` runs the full plan (a few minutes on two cores; the encore
baseline alone is ~20 s of sequential calls).  ``--quick`` runs every
benchmark on tiny inputs in seconds: a smoke run whose verdicts mean nothing.
``--markdown FILE`` also writes the machine description and the table as
Markdown, for ``docs/performance.md``.  The exit status is 0 whatever the
verdicts: the table is the result, and timings are not assertions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import (
    aws,
    check,
    discovery,
    encore,
    exec_store,
    github,
    interrupt,
    named_syncs,
    parsing,
    redaction,
    refusals,
    startup,
    store,
    sync,
    vault,
)
from benchmarks import run as run_rows  # `run` is this module's own function
from benchmarks.harness import Row, markdown, table
from benchmarks.machine import describe


@dataclass(frozen=True)
class Plan:
    """Sizes and repeat counts of one run of every benchmark."""

    parse_sizes: tuple[tuple[int, int], ...]
    sync_sizes: tuple[tuple[int, int], ...]
    sync_full: int
    encore_keys: int
    encore_latency: float
    encore_concurrency: int
    encore_repeats: int
    encore_baseline_repeats: int
    startup_repeats: int
    plugin_sizes: tuple[tuple[int, int], ...]
    store_keys: int
    store_latency: float
    store_concurrency: int
    store_repeats: int
    budget: float  # seconds per size, at most (at least one run always happens)
    max_run: float  # a sync size predicted to take longer than this per run is not run
    vault_keys: int = 0  # keys synced into one vault path (0: no vault rows)
    vault_repeats: int = 0
    aws_keys: int = 0  # 0: the aws benchmark gives no rows
    aws_latency: float = 0.05
    aws_repeats: int = 1
    aws_baseline_repeats: int = 1
    github_keys: int = 0  # 0: the github benchmark gives no rows
    github_latency: float = 0.005
    github_repeats: int = 1
    exec_keys: int = 0  # 0: no exec-protocol row
    exec_repeats: int = 1
    refused_keys: int = 0  # 0: no refusal rows
    redaction_values: int = 0  # 0: no redaction rows
    redaction_repeats: int = 1
    interrupt_keys: int = 0  # keys of the env file a SIGINT interrupts (0: no row)
    run_keys: int = 0  # 0: no `stagecraft run` rows
    run_repeats: int = 1
    check_keys: int = 0  # declared keys of the `secrets check` row (0: no row)
    check_latency: float = 0.05
    check_repeats: int = 1
    named_keys: int = 0  # keys of each of the 8 named syncs (0: no named-sync rows)
    named_latency: float = 0.05
    named_repeats: int = 1


FULL = Plan(
    parse_sizes=((1_000, 15), (10_000, 7), (100_000, 5)),
    sync_sizes=((1_000, 9), (10_000, 5), (100_000, 5), (1_000_000, 3)),
    sync_full=100_000,
    encore_keys=60,
    encore_latency=0.1,
    encore_concurrency=8,
    encore_repeats=5,
    encore_baseline_repeats=1,
    startup_repeats=31,
    plugin_sizes=((1, 101), (10, 41), (100, 9), (500, 5)),
    store_keys=40,
    store_latency=0.1,
    store_concurrency=8,
    store_repeats=3,
    budget=60.0,
    max_run=60.0,
    vault_keys=400,
    vault_repeats=11,
    aws_keys=200,
    aws_latency=0.05,
    aws_repeats=5,
    aws_baseline_repeats=1,
    github_keys=100,
    github_latency=0.005,
    github_repeats=11,
    exec_keys=1_000,
    exec_repeats=9,
    refused_keys=100_000,
    redaction_values=100_000,
    redaction_repeats=5,
    interrupt_keys=300_000,
    run_keys=50,
    run_repeats=21,
    check_keys=200,
    check_latency=0.05,
    check_repeats=15,
    named_keys=25,
    named_latency=0.05,
    named_repeats=7,
)

QUICK = Plan(
    parse_sizes=((50, 3), (200, 3)),
    sync_sizes=((50, 3), (200, 3)),
    sync_full=200,
    encore_keys=6,
    encore_latency=0.01,
    encore_concurrency=2,
    encore_repeats=2,
    encore_baseline_repeats=1,
    startup_repeats=2,
    plugin_sizes=((1, 3), (5, 3)),
    store_keys=8,
    store_latency=0.01,
    store_concurrency=4,
    store_repeats=1,
    budget=5.0,
    max_run=5.0,
    vault_keys=20,
    vault_repeats=1,
    aws_keys=20,
    aws_latency=0.01,
    aws_repeats=1,
    aws_baseline_repeats=1,
    github_keys=10,
    github_latency=0.001,
    github_repeats=1,
    exec_keys=20,
    exec_repeats=1,
    refused_keys=200,
    redaction_values=200,
    redaction_repeats=1,
    interrupt_keys=2_000,
    run_keys=50,
    run_repeats=1,
    check_keys=20,
    check_latency=0.01,
    check_repeats=1,
    named_keys=25,
    named_latency=0.01,
    named_repeats=1,
)

NAMES = (
    "parse", "sync", "encore", "startup", "plugins", "store", "vault", "aws", "github", "exec",
    "refusals", "redaction", "interrupt", "run", "check", "named",
)


def run(plan: Plan, only: Sequence[str] = NAMES,
        progress: Callable[[str], None] | None = None) -> list[Row]:
    """Every selected benchmark under ``plan``, in the issue's order."""
    rows: list[Row] = []
    python_dotenv_medians: dict[int, float] = {}
    steps: list[tuple[str, Callable[[], list[Row]]]] = []

    def parse_step() -> list[Row]:
        found, medians = parsing.run(plan.parse_sizes, plan.budget)
        python_dotenv_medians.update(medians)
        return found

    steps.append(("parse", parse_step))
    steps.append(("sync", lambda: sync.run(
        plan.sync_sizes, plan.sync_full, python_dotenv_medians,
        budget=plan.budget, max_run=plan.max_run,
    )))
    steps.append(("encore", lambda: encore.run(
        plan.encore_keys, plan.encore_latency, plan.encore_concurrency,
        plan.encore_repeats, plan.encore_baseline_repeats,
    )))
    steps.append(("startup", lambda: startup.run(plan.startup_repeats)))
    steps.append(("plugins", lambda: discovery.run(plan.plugin_sizes)))

    def store_step() -> list[Row]:
        with tempfile.TemporaryDirectory(prefix="stagecraft-bench-store-") as raw:
            return store.run(plan.store_keys, plan.store_latency, plan.store_concurrency,
                             plan.store_repeats, Path(raw))

    steps.append(("store", store_step))
    if plan.vault_keys:
        steps.append(("vault", lambda: vault.run(plan.vault_keys, plan.vault_repeats)))
    if plan.aws_keys:
        steps.append(("aws", lambda: aws.run(
            plan.aws_keys, plan.aws_latency, plan.aws_repeats, plan.aws_baseline_repeats,
        )))
    if plan.github_keys:
        steps.append(("github", lambda: github.run(
            plan.github_keys, plan.github_latency, plan.github_repeats,
        )))
    if plan.exec_keys:
        def exec_step() -> list[Row]:
            with tempfile.TemporaryDirectory(prefix="stagecraft-bench-exec-") as raw:
                return exec_store.run(plan.exec_keys, plan.exec_repeats, Path(raw))

        steps.append(("exec", exec_step))
    if plan.refused_keys:
        steps.append(("refusals", lambda: refusals.run(plan.refused_keys)))
    if plan.redaction_values:
        steps.append(("redaction", lambda: redaction.run(plan.redaction_values,
                                                         plan.redaction_repeats)))
    if plan.interrupt_keys:
        steps.append(("interrupt", lambda: interrupt.run(plan.interrupt_keys)))
    if plan.run_keys:
        steps.append(("run", lambda: run_rows.run(plan.run_keys, plan.run_repeats)))
    if plan.check_keys:
        steps.append(("check", lambda: [
            *check.run(plan.check_keys, plan.check_latency, plan.check_repeats),
            *check.run_stores(plan.check_keys, plan.check_latency, plan.check_repeats),
        ]))
    if plan.named_keys:
        steps.append(("named", lambda: named_syncs.run(
            plan.named_keys, plan.named_latency, plan.named_repeats,
        )))
    for name, step in steps:
        if name not in only:
            continue
        started = time.perf_counter()
        found = step()
        rows.extend(found)
        if progress is not None:
            progress(f"{name}: {len(found)} rows in {time.perf_counter() - started:.1f} s")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny inputs: a smoke run")
    parser.add_argument("--only", action="append", choices=NAMES, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(NAMES)}")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the machine and the table as Markdown")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL

    def progress(text: str) -> None:
        print(f"[bench] {text}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-xdg-") as xdg:
        # Every sync updates the write record: these go to a scratch directory.
        os.environ["XDG_STATE_HOME"] = str(Path(xdg) / "state")
        os.environ["XDG_CONFIG_HOME"] = str(Path(xdg) / "config")
        rows = run(plan, args.only or NAMES, progress)
    elapsed = time.perf_counter() - started
    machine = describe()
    kind = "quick smoke run: verdicts mean nothing" if args.quick else "full"
    print(f"Stagecraft benchmarks ({kind}), {elapsed:.0f} s")
    print(machine)
    print()
    print(table(rows))
    failed = sum(row.passed is False for row in rows)
    judged = sum(row.passed is not None for row in rows)
    print()
    print(f"{judged - failed} of {judged} targets met; 'info' rows show the trend only.")
    if args.markdown is not None:
        args.markdown.write_text(f"{machine}\n\n{markdown(rows)}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
