"""Row 7: the engine's bounded concurrency, on a store whose every write waits.

A ``write_one`` store that sleeps ``latency`` per call (what a remote API
costs) receives ``keys`` new keys through :meth:`SecretStore.sync`, with
``concurrency`` calls in flight.  Two named alternatives run in the same
process: the same writes one after another (a plain loop over
``write_one``, what a provider without the engine does), and the ideal,
``ceil(keys / concurrency) x latency``, which no scheduler can beat.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import ClassVar

from benchmarks.harness import Row, cost_row, median_times, speedup_row
from stagecraft.providers.secrets import Context, Registry, SyncOptions
from stagecraft.store import SecretStore

SPEEDUP_TARGET = 6.0
IDEAL_TARGET = 1.3


class SlowStore(SecretStore):
    """Keeps values in memory; every write costs ``latency`` seconds of waiting."""

    id = "slow"
    writes_one_by_one = True
    concurrency: ClassVar[int] = 8

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.data: dict[str, dict[str, str]] = {}

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        return dict(self.data.get(location, {}))

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        time.sleep(self.latency)
        self.data.setdefault(location, {})[key] = value


def run(keys: int, latency: float, concurrency: int, repeats: int, root: Path) -> list[Row]:
    source = root / "store-source.env"
    source.write_text("".join(f"K{i:03d}=value-{i:03d}\n" for i in range(keys)), encoding="utf-8")
    store = SlowStore(latency)
    type(store).concurrency = concurrency
    ctx = Context(cwd=root, registry=Registry([store]))
    rounds = iter(range(10**6))

    def engine() -> None:
        result = store.sync(ctx, SyncOptions(source=str(source), target=f"run{next(rounds)}"))
        if len(result.added) != keys:
            raise AssertionError("the engine did not write every key")

    def sequential() -> None:
        location = f"seq{next(rounds)}"
        for i in range(keys):
            store.write_one(ctx, location, f"K{i:03d}", f"value-{i:03d}")

    timing = median_times([engine, sequential], repeats)
    measured, baseline = timing.medians
    ideal = math.ceil(keys / concurrency) * latency
    label = f"store write_one {keys} keys, {latency * 1000:g} ms a call, concurrency {concurrency}"
    return [
        speedup_row(label, measured, "the same writes one after another", baseline,
                    SPEEDUP_TARGET, runs=timing.runs),
        cost_row(label, measured, f"ideal ceil({keys}/{concurrency}) x {latency * 1000:g} ms",
                 ideal, IDEAL_TARGET, what="the ideal", runs=timing.runs),
    ]
