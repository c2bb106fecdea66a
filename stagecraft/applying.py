"""Applying a plan to the target's session: writes, then deletes, every key ending done,
failed or unknown.

A batch store gets one ``write``; a store that writes one key at a time gets
``write_one`` calls with bounded concurrency, each retried while transient,
none started once the run is cancelled or past its deadline.  A key that
was not synced is named with its reason (masked, never a value), a key whose
write was sent and not answered is unknown, and the keys that were written
keep their result (:class:`SyncFailedError`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from stagecraft.context import Context
from stagecraft.errors import (
    CancelledError,
    InterruptedSyncError,
    KeysNotWrittenError,
    SyncFailedError,
    UserError,
    printable,
)
from stagecraft.interrupts import run_in_threads
from stagecraft.locations import Endpoint
from stagecraft.outcomes import STOPPED_WAITING, UNKNOWN, outcome, reason_of
from stagecraft.plan import Plan
from stagecraft.providers.secrets import Action, SyncResult
from stagecraft.redact import Structural
from stagecraft.retrying import retrying
from stagecraft.store_base import StoreBase
from stagecraft.store_session import StoreSession

__all__ = ["InterruptedSyncError", "SyncFailedError", "apply", "interrupted_before_writing"]

#: Narration (``-v``): names and counts, never values (see :mod:`stagecraft.redacted_logging`).
log = logging.getLogger("stagecraft.engine")


def apply(
    ctx: Context, target: Endpoint, session: StoreSession[Any], the_plan: Plan,
    where: dict[str, str],
) -> dict[str, Action]:
    """Write and delete what the plan says; returns the actions stores reported, where they
    differ from the plan.  Raises :class:`SyncFailedError` naming every key not synced."""
    store = target.store
    reported: dict[str, Action] = {}
    failed: dict[str, str] = {}
    unknown: dict[str, str] = {}
    if the_plan.writes:
        if store.writes_one_by_one:
            reported, failed, unknown = _write_each(ctx, store, session, the_plan)
        else:
            try:
                retrying(ctx, store, lambda: session.write(the_plan.writes),
                          doing=f"writing {target}")
            except KeysNotWrittenError as exc:
                failed = _not_done(ctx, exc, "not written")
                _progress(ctx, store, len(the_plan.writes) - len(failed), len(the_plan.writes))
            except KeyboardInterrupt:  # a second Ctrl-C: the batch was sent, or being sent
                ctx.abandon()
                unknown = dict.fromkeys(the_plan.writes, STOPPED_WAITING)
            except CancelledError as exc:  # all or nothing, and nothing was: one message
                if not ctx.cancelled:
                    failed = dict.fromkeys(the_plan.writes, f"not written: {reason_of(ctx, exc)}")
                else:
                    raise interrupted_before_writing(target, the_plan, where) from None
            except UserError:
                raise  # the user's to fix (a refused value, a missing target): as it is
            except Exception as exc:  # noqa: BLE001 - the batch failed: every key is named
                kind, reason = outcome(ctx, store, exc)
                (unknown if kind == UNKNOWN else failed).update(
                    dict.fromkeys(the_plan.writes, reason))
            else:
                _progress(ctx, store, len(the_plan.writes), len(the_plan.writes))
    if the_plan.deletes:
        if failed or unknown or ctx.cancelled:
            failed.update(dict.fromkeys(the_plan.deletes, "not removed: an earlier step failed"))
        else:
            try:
                retrying(ctx, store, lambda: session.delete(the_plan.deletes),
                          doing=f"removing keys from {target}")
            except KeysNotWrittenError as exc:
                failed.update(_not_done(ctx, exc, "not removed"))
            except Exception as exc:  # noqa: BLE001 - reported per key, as the writes are
                kind, reason = outcome(ctx, store, exc)
                (unknown if kind == UNKNOWN else failed).update(dict.fromkeys(
                    the_plan.deletes, reason.replace("written", "removed")))
    if failed or unknown:
        error = InterruptedSyncError if ctx.cancelled else SyncFailedError
        what = "interrupted" if ctx.cancelled else "failed"
        counts = f"{len(failed)} of {len(the_plan.keys)} key(s) not synced"
        if unknown:
            counts += f", {len(unknown)} unknown (may or may not have been written)"
        raise error(
            Structural(f"{target}: sync {what}: {counts}"),
            the_plan.result(reported, {*failed, *unknown}, where=where),
            {printable(key): reason for key, reason in failed.items()},
            {printable(key): reason for key, reason in unknown.items()},
        )
    return reported


def _not_done(ctx: Context, exc: KeysNotWrittenError, what: str) -> dict[str, str]:
    """The keys a batch call failed for, each with the store's reason, masked."""
    return {key: f"{what}: {ctx.redactor.redact(reason)}" for key, reason in exc.failed.items()}


def interrupted_before_writing(
    target: Endpoint, the_plan: Plan, where: Mapping[str, str]
) -> InterruptedSyncError:
    """Interrupted with nothing written: one message, not a line per planned key."""
    changes = len(the_plan.writes) + len(the_plan.deletes)
    return InterruptedSyncError(
        Structural(f"{target}: interrupted before anything was written "
        f"({changes} change(s) planned, none made)"),
        SyncResult(source=where["source"], target=where["target"]), {},
    )


def _write_each(
    ctx: Context, store: StoreBase[Any], session: StoreSession[Any], the_plan: Plan
) -> tuple[dict[str, Action], dict[str, str], dict[str, str]]:
    """``write_one`` per key, ``concurrency`` at a time; every key ends done, failed or unknown.

    Returns the actions the store reported where they differ from the plan,
    the reason of each key that failed and of each key whose outcome is
    unknown.  A second Ctrl-C (KeyboardInterrupt while waiting) abandons
    the calls in flight (:meth:`Context.abandon` lets a store stop them) and
    reports their keys unknown without waiting: the workers are daemon
    threads, so the process can exit while one is stuck in a call.
    """
    planned = {key: action for key, action in zip(the_plan.keys, the_plan.actions, strict=True)
               if key in the_plan.writes}
    reported: dict[str, Action] = {}
    failed: dict[str, str] = {}
    unknown: dict[str, str] = {}
    in_flight: set[str] = set()
    lock = threading.Lock()
    total = len(the_plan.writes)
    count = 0
    pending = iter(the_plan.writes.items())

    def one(key: str, value: str) -> None:
        nonlocal count
        try:
            ctx.check()
            action = retrying(ctx, store, lambda: session.write_one(key, value),
                               doing=f"writing {printable(key)}")
        except Exception as exc:  # noqa: BLE001 - one key's failure, reported with the rest
            kind, reason = outcome(ctx, store, exc, prefix=False)
            with lock:
                if key in in_flight:  # else already reported, as abandoned
                    (unknown if kind == UNKNOWN else failed)[key] = reason
            return
        with lock:
            if key not in in_flight:
                return
            if isinstance(action, Action) and action is not planned[key]:
                reported[key] = action
            count += 1
            done = count
        log.debug("%s: %s", printable(key), reported.get(key, planned[key]))
        _progress(ctx, store, done, total)

    def worker() -> None:
        while True:
            with lock:
                item = next(pending, None)
                if item is None or ctx.abandoned:
                    return
                in_flight.add(item[0])
            one(*item)
            with lock:
                in_flight.discard(item[0])

    def stop_waiting() -> None:  # a second Ctrl-C
        with lock:
            ctx.abandon()
            unknown.update(dict.fromkeys(in_flight, STOPPED_WAITING))
            in_flight.clear()
            for key, _value in pending:
                failed[key] = "not written: interrupted"

    count_workers = max(1, min(_concurrency(ctx, store), len(the_plan.writes)))
    run_in_threads([(f"{store.id}-{number}", worker) for number in range(count_workers)],
                   stop_waiting=stop_waiting)
    return reported, failed, unknown


def _progress(ctx: Context, store: StoreBase[Any], done: int, total: int) -> None:
    """Tell ``ctx.on_progress`` (a progress display, if any) how many writes are done."""
    if ctx.on_progress is not None:
        ctx.on_progress(store.id, done, total)


def _concurrency(ctx: Context, store: StoreBase[Any]) -> int:
    configured = getattr(ctx.config, "concurrency", None)
    if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
        return configured
    return max(1, store.concurrency)
