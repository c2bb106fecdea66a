"""The engine's progress seam: ``ctx.on_progress(store id, done, total)`` as writes finish.

In-process syncs through small stores: per-key stores (``write_one``, run
concurrently) report each finished key, batch stores report once; keys
that fail are not counted, dry runs and unchanged keys report nothing, and
the callback never sees a key or a value.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

import stagecraft
from stagecraft.engine import sync
from stagecraft.providers.secrets import Context, PartialSyncError, Registry, SyncOptions


class Memory(stagecraft.SecretStore):
    """A per-key store in memory; ``fail`` keys raise."""

    id = "memory"
    writes_one_by_one = True
    concurrency = 4

    def __init__(self, fail: Collection[str] = ()) -> None:
        self.data: dict[str, str] = {}
        self.fail = set(fail)
        self.lock = threading.Lock()

    def read(self, ctx: Context, location: str, keys: Collection[str] | None) -> Mapping[str, str]:
        return dict(self.data)

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        if key in self.fail:
            raise stagecraft.ProviderError("refused")
        with self.lock:
            self.data[key] = value


class Batch(Memory):
    id = "batch"
    writes_one_by_one = False  # it has write_one, yet declares batch writes

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        raise AssertionError("not called")

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        self.data.update(values)


VALUES = {f"K{i}": f"progress-value-{i}" for i in range(8)}


def run(
    tmp_path: Path, store: Memory, *, dry_run: bool = False,
    calls: list[tuple[str, int, int]] | None = None,
) -> list[tuple[str, int, int]]:
    source = tmp_path / "src.env"
    source.write_text("".join(f"{k}={v}\n" for k, v in VALUES.items()))
    registry = Registry()
    registry.register(store)
    calls = [] if calls is None else calls
    lock = threading.Lock()

    def record(store_id: str, done: int, total: int) -> None:
        with lock:
            calls.append((store_id, done, total))

    ctx = Context(tmp_path, registry=registry, on_progress=record)
    try:
        sync(ctx, store, SyncOptions(source=str(source), target="here", dry_run=dry_run))
    finally:
        for call in calls:
            assert not set(map(str, call)) & set(VALUES.values())
    return calls


def test_each_write_one_is_counted(tmp_path: Path) -> None:
    calls = run(tmp_path, Memory())
    assert sorted(calls) == [("memory", n, 8) for n in range(1, 9)]


def test_a_batch_write_is_counted_once(tmp_path: Path) -> None:
    assert run(tmp_path, Batch()) == [("batch", 8, 8)]


def test_failed_keys_are_not_counted(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    with pytest.raises(PartialSyncError):
        run(tmp_path, Memory(fail={"K0", "K5"}), calls=calls)
    assert sorted(calls) == [("memory", n, 8) for n in range(1, 7)]


def test_dry_runs_and_unchanged_keys_report_nothing(tmp_path: Path) -> None:
    assert run(tmp_path, Memory(), dry_run=True) == []
    store = Memory()
    store.data = dict(VALUES)
    assert run(tmp_path, store) == []


def test_for_store_contexts_share_the_callback(tmp_path: Path) -> None:
    ctx = Context(tmp_path, on_progress=print)
    assert ctx.for_store(None).on_progress is print
