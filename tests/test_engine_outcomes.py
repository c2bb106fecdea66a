"""What the engine reports when a write's outcome is unknown, and how a deadline is named.

A write that was sent and not answered (a timeout, a dropped connection, a
second Ctrl-C) may have landed: its keys are *unknown*, never "not written".
In-memory stores, through the real engine.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest

from stagecraft import engine
from stagecraft.engine import InterruptedSyncError, SyncFailedError
from stagecraft.errors import CancelledError
from stagecraft.providers.secrets import Context, Registry, SyncOptions
from stagecraft.store import OutcomeUnknownError, SecretStore, TransientError
from stagecraft.testing import write_env_file

VALUES = {"A": "value-aaaa-91", "B": "value-bbbb-92", "C": "value-cccc-93"}


class LandsThenTimesOut(OutcomeUnknownError, TransientError):
    """Sent, applied, and the answer lost: worth another try, unknown if none settles it."""


class MemoryStore(SecretStore):
    """A store in memory whose writes can land and then fail (``after``: what they raise)."""

    id = "memory"
    concurrency = 3

    def __init__(self, after: dict[str, list[Exception]] | None = None,
                 read_failures: list[Exception] | None = None) -> None:
        self.data: dict[str, str] = {}
        self.after = after or {}
        self.read_failures = read_failures or []
        self.attempts: dict[str, int] = {}

    def read(self, ctx: Context, location: str, keys: Collection[str] | None) -> dict[str, str]:
        if self.read_failures:
            raise self.read_failures.pop(0)
        return dict(self.data)

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        self.attempts[key] = self.attempts.get(key, 0) + 1
        self.data[key] = value
        failures = self.after.get(key)
        if failures:
            raise failures.pop(0)


class BatchStore(MemoryStore):
    id = "batch"

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:  # type: ignore[override]
        self.data.update(values)
        failures = self.after.get("*")
        if failures:
            raise failures.pop(0)

    write_one = SecretStore.write_one  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "BACKOFF", 0.001)


def run(tmp_path: Path, store: SecretStore, ctx: Context | None = None, **opts: Any) -> Any:
    write_env_file(tmp_path / "src.env", VALUES)
    ctx = ctx or Context(cwd=tmp_path)
    ctx.registry = Registry([store])
    return store.sync(ctx, SyncOptions(source="src.env", target="here", **opts))


def test_a_write_that_lands_then_times_out_is_unknown(tmp_path: Path) -> None:
    store = MemoryStore(after={"B": [OutcomeUnknownError("no answer within 2 s")]})
    with pytest.raises(SyncFailedError) as info:
        run(tmp_path, store)
    error = info.value
    assert error.failed == {}
    assert error.unknown == {"B": "may or may not have been written: no answer within 2 s"}
    assert {change.key for change in error.result.changes} == {"A", "C"}
    assert store.attempts["B"] == 1, "an unknown outcome that is not transient is not retried"
    assert "unknown, may or may not have been written (1):" in str(error)
    assert "1 unknown" in str(error).splitlines()[0]


def test_an_unknown_attempt_then_a_refusal_is_still_unknown(tmp_path: Path) -> None:
    store = MemoryStore(after={"B": [LandsThenTimesOut("connection lost"),
                                     RuntimeError("permission denied")]})
    with pytest.raises(SyncFailedError) as info:
        run(tmp_path, store)
    assert store.attempts["B"] == 2
    assert info.value.unknown == {"B": "may or may not have been written: permission denied"}
    assert store.data["B"] == VALUES["B"], "the first attempt did land"


def test_an_unknown_attempt_settled_by_a_retry_is_written(tmp_path: Path) -> None:
    store = MemoryStore(after={"B": [LandsThenTimesOut("connection lost")]})
    result = run(tmp_path, store)
    assert set(result.added) == set(VALUES)


def test_a_batch_that_lands_then_times_out_every_time_is_unknown(tmp_path: Path) -> None:
    store = BatchStore(after={"*": [LandsThenTimesOut("no answer") for _ in range(4)]})
    with pytest.raises(SyncFailedError) as info:
        run(tmp_path, store)
    assert set(info.value.unknown) == set(VALUES)
    assert info.value.failed == {}


def test_the_deadline_stopping_retries_after_an_unknown_attempt_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BACKOFF", 60.0)  # longer than what is left: no retry
    store = BatchStore(after={"*": [LandsThenTimesOut("no answer")]})
    ctx = Context(cwd=tmp_path)
    ctx.deadline = float("inf")
    monkeypatch.setattr(Context, "remaining", lambda self: 1.0)
    with pytest.raises(SyncFailedError) as info:
        run(tmp_path, store, ctx)
    reason = info.value.unknown["A"]
    assert reason.startswith("may or may not have been written: writing batch:here"), reason
    assert "the deadline (--timeout) passed before another try" in reason


def test_a_deadline_during_the_plan_read_names_the_step_and_the_last_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BACKOFF", 60.0)
    store = MemoryStore(read_failures=[TransientError("memory: the server answered 503")])
    ctx = Context(cwd=tmp_path)
    ctx.deadline = float("inf")
    monkeypatch.setattr(Context, "remaining", lambda self: 1.0)
    with pytest.raises(CancelledError) as info:
        run(tmp_path, store, ctx)
    assert str(info.value) == (
        "reading the target memory:here: the deadline (--timeout) passed before another try "
        "(the last failure: memory: the server answered 503)"
    )


class StallingStore(MemoryStore):
    """``write_one`` of ``HANG`` keys waits until stopped; the others return at once."""

    concurrency = 2

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Semaphore(0)
        self.stopped = threading.Event()

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        if not key.startswith("HANG"):
            return super().write_one(ctx, location, key, value)
        with ctx.stoppable(self.stopped.set):
            self.started.release()
            self.stopped.wait(30)
        raise OutcomeUnknownError("stopped")


def test_a_second_interrupt_reports_calls_in_flight_unknown_and_stops_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KeyboardInterrupt while the engine waits (what the command's second Ctrl-C raises)."""
    store = StallingStore()
    values = {"HANG_1": "h1", "HANG_2": "h2", "LATER": "l"}
    write_env_file(tmp_path / "src.env", values)
    ctx = Context(cwd=tmp_path)
    ctx.registry = Registry([store])
    joined = threading.Thread.join

    def interrupted_join(thread: threading.Thread, timeout: float | None = None) -> None:
        if thread.name.startswith("memory-"):
            store.started.acquire(timeout=30)
            store.started.acquire(timeout=30)  # both HANG writes are in flight
            ctx.cancel()  # the first Ctrl-C
            raise KeyboardInterrupt  # the second
        joined(thread, timeout)

    monkeypatch.setattr(threading.Thread, "join", interrupted_join)
    with pytest.raises(InterruptedSyncError) as info:
        store.sync(ctx, SyncOptions(source="src.env", target="here"))
    error = info.value
    assert set(error.unknown) == {"HANG_1", "HANG_2"}
    assert all("stopped waiting" in reason for reason in error.unknown.values())
    assert error.failed == {"LATER": "not written: interrupted"}
    assert ctx.abandoned
    assert store.stopped.is_set(), "the calls in flight were not stopped"
    assert "LATER" not in store.data
