"""Where ``stagecraft secrets sync`` spends its start-up: ``python -X importtime``, summarised.

Run ``python -m benchmarks.importtime [RUNS]``.  It runs the 20-key envfile
sync of the start-up benchmark ``RUNS`` times (default 5) through the console
script, under ``-X importtime`` (``PYTHONPROFILEIMPORTTIME``), after a first,
unmeasured run, and prints, for the
imports that cost the most, the smallest self and cumulative time seen over
the runs (the minimum filters out the moments another process had the CPU).
Nested imports are indented as Python prints them, so a parent's cumulative
time includes its children's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.startup import KEYS, clean_env, console_script

SYNC = ("secrets", "sync", "--provider", "envfile", "--from", "source.env", "--to", "target.env")


def parse(stderr: str) -> dict[str, tuple[int, int, int]]:
    """``-X importtime`` output as module -> (self us, cumulative us, depth)."""
    found: dict[str, tuple[int, int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        head, cumulative_us, name = line.split("|", 2)
        self_us = head.removeprefix("import time:").strip()
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        found[name.strip()] = (int(self_us), int(cumulative_us.strip()), depth)
    return found


def measure(runs: int) -> dict[str, tuple[int, int, int]]:
    """The smallest (self, cumulative) per module over ``runs`` runs of the sync."""
    best: dict[str, tuple[int, int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-importtime-") as raw:
        root = Path(raw)
        env = clean_env()
        (root / "source.env").write_text(
            "".join(f"KEY_{i:02d}=startup-value-{i:02d}\n" for i in range(KEYS)), encoding="utf-8"
        )
        command = [str(console_script()), *SYNC]
        subprocess.run(command, cwd=root, env=env, capture_output=True, check=True)  # warm-up
        env["PYTHONPROFILEIMPORTTIME"] = "1"
        for _ in range(runs):
            (root / "target.env").unlink(missing_ok=True)
            done = subprocess.run(
                command, cwd=root, env=env, capture_output=True, text=True, check=True,
            )
            for name, (self_us, cumulative_us, depth) in parse(done.stderr).items():
                old = best.get(name)
                if old is None:
                    best[name] = (self_us, cumulative_us, depth)
                else:
                    best[name] = (min(old[0], self_us), min(old[1], cumulative_us), depth)
    return best


def report(best: dict[str, tuple[int, int, int]], top: int = 30) -> str:
    """The ``top`` imports by cumulative time, as a plain table."""
    rows = sorted(best.items(), key=lambda item: item[1][1], reverse=True)[:top]
    lines = [f"{'module':<48} {'self ms':>8} {'cumul. ms':>10}"]
    for name, (self_us, cumulative_us, depth) in rows:
        label = "  " * depth + name
        lines.append(f"{label:<48} {self_us / 1000:>8.1f} {cumulative_us / 1000:>10.1f}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 5
    print(f"stagecraft secrets sync ({KEYS} keys): imports, best of {runs} runs")
    print(report(measure(runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
