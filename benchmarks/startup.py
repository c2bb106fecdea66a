"""Row 5: how long the ``stagecraft`` command takes to start and do a small job.

Each contender is a fresh process of the venv's interpreter: ``python -c pass``
(bare start-up, the baseline), ``stagecraft --version`` and ``stagecraft
secrets sync`` of a 20-key env file into a new target through the envfile
provider (entry-point discovery, config lookup, parse, locked atomic write,
report), once with the entry-point cache as a second run finds it and once
with it off.  For scale, one more process only imports the libraries a sync
needs by design.  The console script next to ``sys.executable`` is the one
``make install`` created.  ``STAGECRAFT_*`` variables are cleared so the
user's settings cannot change what is measured, and the cache lives in the
benchmark's temporary directory.

Ratios are medians of per-round ratios (see ``Timing.paired_ratio``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times

SYNC_TARGET = 3.0
KEYS = 20


def console_script() -> Path:
    """The ``stagecraft`` console script installed next to this interpreter."""
    script = Path(sys.executable).with_name("stagecraft")
    if not script.exists():
        raise FileNotFoundError(f"{script} not found: run `make install` first")
    return script


def clean_env(cache_dir: Path) -> dict[str, str]:
    """``os.environ`` without the user's ``STAGECRAFT_*`` settings, the cache in ``cache_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGECRAFT_")}
    env["STAGECRAFT_CACHE_DIR"] = str(cache_dir)  # the entry-point cache, kept in the run's dir
    return env


#: The libraries every sync needs by design (SyncOptions is an attrs class,
#: plugins are pluggy's, the command is argparse and logs through logging):
#: importing them alone is the floor under any Stagecraft command.
DEPENDENCIES = "import attrs, pluggy, argparse, logging"


def run(repeats: int) -> list[Row]:
    """The 20-key sync (entry-point cache warm, then off) and ``--version``, against
    ``python -c pass``; and the floor its dependencies set, for scale."""
    script = str(console_script())
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-startup-") as raw:
        root = Path(raw)
        env = clean_env(root / "cache")
        cold_env = dict(env, STAGECRAFT_NO_CACHE="1")
        source = root / "source.env"
        target = root / "target.env"
        source.write_text(
            "".join(f"KEY_{i:02d}=startup-value-{i:02d}\n" for i in range(KEYS)), encoding="utf-8"
        )
        sync = (script, "secrets", "sync", "--provider", "envfile", "--from", str(source),
                "--to", str(target))

        def call(*argv: str, environ: dict[str, str] = env) -> None:
            subprocess.run(argv, cwd=root, env=environ, check=True, capture_output=True)

        def reset() -> None:
            target.unlink(missing_ok=True)

        call(*sync)  # a warm-up that fills the entry-point cache and checks the command works
        if target.read_text(encoding="utf-8").count("\n") != KEYS:
            raise AssertionError("stagecraft secrets sync did not write the 20 keys")
        timing = median_times(
            [
                lambda: call(sys.executable, "-c", "pass"),
                lambda: call(*sync),
                lambda: call(script, "--version"),
                lambda: call(*sync, environ=cold_env),
                lambda: call(sys.executable, "-c", DEPENDENCIES),
            ],
            repeats,
            setup=reset,
        )
    bare, warm, version, cold, floor = timing.medians
    against = ("python -c pass", bare)
    return [
        cost_row(f"stagecraft secrets sync ({KEYS} keys), whole process", warm, *against,
                 SYNC_TARGET, what="bare start-up", runs=timing.runs,
                 ratio=timing.paired_ratio(1, 0)),
        cost_row("stagecraft --version, whole process", version, *against, None,
                 what="bare start-up", runs=timing.runs, ratio=timing.paired_ratio(2, 0)),
        cost_row("same sync, entry-point cache off (STAGECRAFT_NO_CACHE=1)", cold, *against,
                 None, what="bare start-up", runs=timing.runs, ratio=timing.paired_ratio(3, 0)),
        cost_row(f"floor: python -c '{DEPENDENCIES}'", floor, *against, None,
                 what="bare start-up", runs=timing.runs, ratio=timing.paired_ratio(4, 0)),
    ]
