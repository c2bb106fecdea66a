"""Row 5: how long the ``stagecraft`` command takes to start and do a small job.

Each contender is a fresh process of the venv's interpreter.  The baseline is
the floor any Stagecraft command stands on: a process that only imports the
libraries a sync needs by design (attrs, pluggy, argparse, logging).  Against
it: ``stagecraft secrets sync`` of a 20-key env file into a new target
through the envfile store (entry-point discovery through importlib.metadata,
no cache of any kind, config lookup, the engine, a locked atomic write, the
report), ``stagecraft --version`` and ``python -c pass``.  The console script
next to ``sys.executable`` is the one ``make install`` created;
``STAGECRAFT_*`` variables are cleared so the user's settings cannot change
what is measured.

Ratios are medians of per-round ratios (see ``Timing.paired_ratio``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times

SYNC_TARGET = 2.0
KEYS = 20


def console_script() -> Path:
    """The ``stagecraft`` console script installed next to this interpreter."""
    script = Path(sys.executable).with_name("stagecraft")
    if not script.exists():
        raise FileNotFoundError(f"{script} not found: run `make install` first")
    return script


def clean_env() -> dict[str, str]:
    """``os.environ`` without the user's ``STAGECRAFT_*`` settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("STAGECRAFT_")}


#: The libraries every sync needs by design (SyncOptions is an attrs class,
#: plugins are pluggy's, the command is argparse and logs through logging):
#: importing them alone is the floor under any Stagecraft command.
DEPENDENCIES = "import attrs, pluggy, argparse, logging"

#: The floor plus what finding plugins costs by design before any of them is
#: imported: ``importlib.metadata`` (with the parts of ``email`` and ``zipfile``
#: it loads) and one scan of every installed distribution's entry points.  Not
#: in the judged floor (the row's target predates it); shown so that the
#: share of the start-up that entry-point discovery takes is measured, not guessed.
DISCOVERY = (DEPENDENCIES + ", importlib.metadata; "
             "importlib.metadata.entry_points(group='stagecraft')")


def run(repeats: int) -> list[Row]:
    """The 20-key sync and ``--version`` against the floor of importing the dependencies."""
    script = str(console_script())
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-startup-") as raw:
        root = Path(raw)
        source = root / "source.env"
        target = root / "target.env"
        source.write_text(
            "".join(f"KEY_{i:02d}=startup-value-{i:02d}\n" for i in range(KEYS)), encoding="utf-8"
        )
        sync = (script, "secrets", "sync", "--provider", "envfile", "--from", str(source),
                "--to", str(target))

        def call(*argv: str) -> None:
            subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)

        def reset() -> None:
            target.unlink(missing_ok=True)

        call(*sync)  # a warm-up that checks the command works
        if target.read_text(encoding="utf-8").count("\n") != KEYS:
            raise AssertionError("stagecraft secrets sync did not write the 20 keys")
        timing = median_times(
            [
                lambda: call(sys.executable, "-c", DEPENDENCIES),
                lambda: call(*sync),
                lambda: call(script, "--version"),
                lambda: call(sys.executable, "-c", "pass"),
                lambda: call(sys.executable, "-c", DISCOVERY),
            ],
            repeats,
            setup=reset,
        )
    floor, synced, version, bare, discovery = timing.medians
    against = (f"python -c '{DEPENDENCIES}'", floor)
    return [
        cost_row(f"stagecraft secrets sync ({KEYS} keys), whole process", synced, *against,
                 SYNC_TARGET, what="the dependency floor", runs=timing.runs,
                 ratio=timing.paired_ratio(1, 0)),
        cost_row("stagecraft --version, whole process", version, *against, None,
                 what="the dependency floor", runs=timing.runs, ratio=timing.paired_ratio(2, 0)),
        cost_row("python -c pass (bare interpreter)", bare, *against, None,
                 what="the dependency floor", runs=timing.runs, ratio=timing.paired_ratio(3, 0)),
        cost_row("the floor + importlib.metadata + one entry-point scan", discovery, *against,
                 None, what="the dependency floor", runs=timing.runs,
                 ratio=timing.paired_ratio(4, 0)),
    ]
