"""Wall time of syncing 60 keys through a fake ``encore`` that takes 100 ms per call.

Run: ``.venv/bin/python contrib/encore/tests/bench_encore.py [CONCURRENCY ...]``.
It prints the measured time next to the ideal ``ceil(60 / concurrency) x 100 ms``
and the sequential ``60 x 3 x 100 ms`` a call per key and type would take, after
measuring what one call of the fake costs without latency (starting a Python
process; on a 2-core machine that cost does not shrink with concurrency).
Not a test: timings depend on the machine, so nothing is asserted.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from stagecraft.providers.secrets import Context, SyncOptions
from stagecraft_encore.config import Config
from stagecraft_encore.provider import EncoreProvider

KEYS = 60
LATENCY = 0.1
FAKE_SCRIPT = Path(__file__).resolve().with_name("fake_encore.py")


def peak_overlap(log: Path) -> int:
    """The most calls the fake saw running at once."""
    calls = [json.loads(line) for line in log.read_text("ascii").splitlines()]
    events = sorted([(c["start"], 1) for c in calls] + [(c["end"], -1) for c in calls])
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def run(concurrency: int, latency: float = LATENCY) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as raw:
        root = Path(raw)
        bin_dir = root / "bin"
        bin_dir.mkdir()
        wrapper = bin_dir / "encore"
        wrapper.write_text(
            f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -S "
            f'{shlex.quote(str(FAKE_SCRIPT))} "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        app = root / "app"
        app.mkdir()
        (app / "encore.app").write_text("{}\n", encoding="utf-8")
        lines = [f'KEY_{i:02}="value-{i}"\n' for i in range(KEYS)]
        (app / ".env").write_text("".join(lines), encoding="utf-8")
        os.environ.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            FAKE_ENCORE_STATE=str(root / "state.json"),
            FAKE_ENCORE_LOG=str(root / "calls.jsonl"),
            FAKE_ENCORE_LATENCY=str(latency),
        )
        ctx = Context(cwd=app, config_dir=app)
        options = SyncOptions(
            config=Config(concurrency=concurrency), source=".env", target="dev,preview,local"
        )
        started = time.perf_counter()
        result = EncoreProvider().sync(ctx, options)
        elapsed = time.perf_counter() - started
        calls = len((root / "calls.jsonl").read_text("ascii").splitlines())
        assert len(result.added) == KEYS
        assert calls == KEYS
        return elapsed, peak_overlap(root / "calls.jsonl")


def main(argv: list[str]) -> None:
    # What one call costs besides the simulated latency (process start of the
    # fake CLI, a Python script; the real CLI is a Go binary).
    overhead = run(1, latency=0.0)[0] / KEYS
    print(
        f"fixed cost per call of the fake CLI (no latency, one at a time): {overhead * 1000:.0f} ms"
    )
    for concurrency in [int(arg) for arg in argv] or [8]:
        elapsed, peak = run(concurrency)
        ideal = math.ceil(KEYS / concurrency) * LATENCY
        print(
            f"concurrency {concurrency}: {KEYS} keys in {elapsed * 1000:.0f} ms "
            f"(ideal ceil({KEYS}/{concurrency}) x {LATENCY * 1000:.0f} ms = {ideal * 1000:.0f} ms; "
            f"one call per key and type, sequential: {KEYS * 3 * LATENCY * 1000:.0f} ms); "
            f"at most {peak} calls in flight"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
