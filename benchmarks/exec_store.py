"""Row: an exec-protocol store, against the helper's own run time.

A sync of ``keys`` new keys into the Node helper of ``plugins/exec`` costs
one ``read`` (of the target) and one ``write`` call of the helper, plus
whatever stagecraft adds: reading the source, planning, building the
requests, checking the answers, masking.  The named alternative is the
helper alone, given the same two requests ready-made on its stdin: what the
two processes cost with no stagecraft around them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times
from stagecraft.exec_command import exec_command
from stagecraft.exec_store import ExecStore
from stagecraft.providers.secrets import Context, Registry, SyncOptions

TARGET = 2.0
HELPER = Path(__file__).resolve().parent.parent / "plugins" / "exec" / "stagecraft-store-node"


def run(keys: int, repeats: int, root: Path) -> list[Row]:
    values = {f"KEY_{i:05d}": f"value-{i:05d}-{'x' * 24}" for i in range(keys)}
    source = root / "exec-source.env"
    source.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    store = ExecStore(exec_command("bench", [str(HELPER)]))
    ctx = Context(cwd=root, registry=Registry([store]))
    store.description  # noqa: B018 - asked once per process, as a real sync does first
    rounds = iter(range(10**6))

    def engine() -> None:
        target = str(root / f"engine-{next(rounds)}.json")
        result = store.sync(ctx, SyncOptions(source=str(source), target=target))
        if len(result.added) != keys:
            raise AssertionError("the exec store did not write every key")

    def helper_alone() -> None:
        target = str(root / f"alone-{next(rounds)}.json")
        for request in (
            {"protocol": 1, "op": "read", "location": target, "keys": None, "config": {}},
            {"protocol": 1, "op": "write", "location": target, "values": values, "config": {}},
        ):
            subprocess.run([str(HELPER)], input=json.dumps(request).encode(), check=True,
                           capture_output=True, cwd=root)

    timing = median_times([engine, helper_alone], repeats)
    measured, baseline = timing.medians
    return [cost_row(
        f"exec store (Node helper) sync of {keys} keys: one read, one write",
        measured, "the helper alone on the same two requests", baseline, TARGET,
        runs=timing.runs, ratio=timing.paired_ratio(0, 1),
    )]
