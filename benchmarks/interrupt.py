"""How soon Ctrl-C stops a sync of a large env file (issue: up to 7 s for 30 MB).

A real ``stagecraft secrets sync`` process copies a generated env file
(300,000 keys, about 30 MB, in the full plan) over an existing target of
the same size, and gets a real SIGINT at several points of its run: fixed
fractions of the uninterrupted sync's own time past its first ``-v`` log
line (start-up is over then: a signal during the interpreter's imports is
Python's to handle, not the sync's), so the points fall in the read, the
plan, the check, the edit and the write.  Measured: the longest
time from the signal to the process's exit.  Compared with the
uninterrupted sync of the same files, measured in the same run.  The target
is absolute as much as relative (at most 1 s on this machine); the row's
ratio shows it against the whole sync.  Each run also checks that the
target is left either as it was or complete.
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Row, cost_row
from benchmarks.startup import clean_env, console_script

#: Fractions of the uninterrupted sync's duration at which the signal is sent.
POINTS = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)
#: The longest signal-to-exit time allowed, as a share of the whole sync (~1 s of 5 s).
TARGET = 0.2


def _env_text(prefix: str, keys: int) -> bytes:
    padding = "x" * 70
    return "".join(f'KEY_{i:06d}="{prefix}-{i:06d}-{padding}"\n' for i in range(keys)).encode()


def run(keys: int) -> list[Row]:
    """The slowest reaction to SIGINT over :data:`POINTS`, against the whole sync."""
    script = str(console_script())
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-interrupt-") as raw:
        root = Path(raw)
        source, target = root / "big.env", root / "out.env"
        source.write_bytes(_env_text("value", keys))
        old = _env_text("old", keys)
        # --force: each run resets the target to the old values, which the write record
        # would otherwise (rightly) report as changed since the last sync: a conflict.
        argv = [script, "-v", "secrets", "sync", "--force", "--from", str(source),
                "--to", f"envfile:{target}"]

        runs = iter(range(10**6))

        def start() -> tuple[subprocess.Popen[bytes], float]:
            """A sync, and when it logged its first line (its start-up over)."""
            # Each run puts the old target back, which a shared write record would
            # rightly call a change made in the target: every run has a record of its own.
            target.write_bytes(old)
            state = root / f"state-{next(runs)}"
            own = {**env, "XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(state)}
            process = subprocess.Popen(argv, cwd=root, env=own, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            assert process.stderr is not None
            process.stderr.readline()
            return process, time.perf_counter()

        def finish(process: subprocess.Popen[bytes]) -> int:
            process.communicate()  # drains the log, so the sync never blocks on a full pipe
            return process.returncode

        process, ready = start()
        if finish(process) != 0:
            raise AssertionError("the uninterrupted sync failed")
        whole = time.perf_counter() - ready
        new = target.read_bytes()
        latencies = []
        for point in POINTS:
            process, ready = start()
            time.sleep(max(0.0, ready + whole * point - time.perf_counter()))
            sent = time.perf_counter()
            process.send_signal(signal.SIGINT)
            code = finish(process)
            latencies.append(time.perf_counter() - sent)
            after = target.read_bytes()
            if after not in (old, new) or code not in (0, 130):
                raise AssertionError(f"exit {code}; the target was left half-written")
    mb = len(old) / 1e6
    return [cost_row(f"Ctrl-C during an envfile sync of {keys} keys ({mb:.0f} MB): "
                     "slowest signal-to-exit", max(latencies),
                     "the uninterrupted sync", whole, TARGET, what="of the whole sync",
                     runs=len(POINTS))]
