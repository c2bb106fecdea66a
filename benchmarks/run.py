"""Rows for ``stagecraft run``: ``stagecraft run --env dev -- true`` with 50 keys from an env file.

The real command, as a user's shell runs it (the console script: argument
parsing, plugin discovery, stagecraft.yml with ``dev: envfile:.env``, the
read, the declared-keys rules, then ``exec``), in a project of its own.

Against, in the same run: ``dotenvx run -f .env -- true`` (the npm package
``@dotenvx/dotenvx`` from ``tests/node``, a real peer; target <= 0.6x) and
``stagecraft secrets sync --dry-run`` from the same file (target <= 1.2x),
which pays the same start-up.  Both modes are timed: plain (Stagecraft
becomes COMMAND) and ``--mask`` (COMMAND a supervised child).  Ratios are
medians of per-round ratios.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times
from benchmarks.startup import clean_env, console_script

ROOT = Path(__file__).resolve().parent.parent
DOTENVX = ROOT / "tests" / "node" / "node_modules" / ".bin" / "dotenvx"
PEER_TARGET = 0.6
SYNC_TARGET = 1.2


def run(keys: int, repeats: int) -> list[Row]:
    """``stagecraft run``, with and without ``--mask``, against dotenvx and a dry-run sync."""
    if not DOTENVX.exists():
        raise FileNotFoundError(
            f"{DOTENVX} not found: run `make tests/node/node_modules/.installed`"
        )
    env = clean_env()
    stagecraft = str(console_script())
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-run-") as raw:
        root = Path(raw)
        source = root / ".env"
        source.write_text(
            "".join(f"KEY_{i:02d}=run-value-{i:02d}\n" for i in range(keys)), encoding="utf-8"
        )
        (root / "stagecraft.yml").write_text(
            "secrets:\n  environments:\n    dev: envfile:.env\n", encoding="utf-8"
        )

        def call(*argv: str) -> None:
            subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)

        runner = (stagecraft, "run", "--env", "dev")
        check = subprocess.run(
            [*runner, "--", "sh", "-c", f'test "$KEY_{keys - 1:02d}" = run-value-{keys - 1:02d}'],
            cwd=root, env=env, check=False, capture_output=True,
        )
        if check.returncode != 0:  # a warm-up that checks the command passes the keys
            raise AssertionError(f"stagecraft run did not pass the keys: {check.stderr!r}")
        timing = median_times(
            [
                lambda: call(*runner, "--", "true"),
                lambda: call(*runner, "--mask", "--", "true"),
                lambda: call(str(DOTENVX), "run", "-f", str(source), "--", "true"),
                lambda: call(stagecraft, "secrets", "sync", "--provider", "envfile",
                             "--from", str(source), "--to", str(root / "target.env"),
                             "--dry-run"),
            ],
            repeats,
        )
    plain, masked, dotenvx, dry_run = timing.medians
    name = f"stagecraft run --env dev -- true ({keys} keys), whole process"
    peer = ("dotenvx run -f .env -- true", dotenvx)
    return [
        cost_row(name, plain, *peer, PEER_TARGET, what="dotenvx", runs=timing.runs,
                 ratio=timing.paired_ratio(0, 2)),
        cost_row(f"stagecraft run --mask -- true ({keys} keys)", masked, *peer, None,
                 what="dotenvx", runs=timing.runs, ratio=timing.paired_ratio(1, 2)),
        cost_row(name, plain, f"stagecraft secrets sync --dry-run ({keys} keys)", dry_run,
                 SYNC_TARGET, what="sync --dry-run", runs=timing.runs,
                 ratio=timing.paired_ratio(0, 3)),
    ]
