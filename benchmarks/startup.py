"""Row 5: how long the ``stagecraft`` command takes to start and do a small job.

Each contender is a fresh process of the venv's interpreter: ``python -c pass``
(bare start-up, the baseline), ``stagecraft --version`` and ``stagecraft
secrets sync`` of a 20-key env file into a new target through the envfile
provider (entry-point discovery, config lookup, parse, locked atomic write,
report).  The console script next to ``sys.executable`` is the one ``make
install`` created.  ``STAGECRAFT_*`` variables are cleared so the user's
settings cannot change what is measured.
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


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STAGECRAFT_")}


def run(repeats: int) -> list[Row]:
    """Two rows: the 20-key sync and ``--version``, each against ``python -c pass``."""
    script = str(console_script())
    env = _clean_env()
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-startup-") as raw:
        root = Path(raw)
        source = root / "source.env"
        target = root / "target.env"
        source.write_text(
            "".join(f"KEY_{i:02d}=startup-value-{i:02d}\n" for i in range(KEYS)), encoding="utf-8"
        )

        def call(*argv: str) -> None:
            subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)

        def reset() -> None:
            target.unlink(missing_ok=True)

        call(script, "secrets", "sync", "--provider", "envfile", "--from", str(source),
             "--to", str(target))  # a warm-up that also checks the command works
        if target.read_text(encoding="utf-8").count("\n") != KEYS:
            raise AssertionError("stagecraft secrets sync did not write the 20 keys")
        timing = median_times(
            [
                lambda: call(sys.executable, "-c", "pass"),
                lambda: call(script, "secrets", "sync", "--provider", "envfile",
                             "--from", str(source), "--to", str(target)),
                lambda: call(script, "--version"),
            ],
            repeats,
            setup=reset,
        )
    bare, sync, version = timing.medians
    return [
        cost_row(f"stagecraft secrets sync ({KEYS} keys), whole process", sync,
                 "python -c pass", bare, SYNC_TARGET, what="bare start-up", runs=timing.runs),
        cost_row("stagecraft --version, whole process", version, "python -c pass", bare, None,
                 what="bare start-up", runs=timing.runs),
    ]
