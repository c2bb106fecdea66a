"""Applying a plan to the target's session: writes, then deletes, every key ending done or failed.

A batch store gets one ``write``; a store that writes one key at a time gets
``write_one`` calls with bounded concurrency, each retried while transient,
none started once the run is cancelled or past its deadline.  A key that
was not synced is named with its reason (masked, never a value), and the
keys that were keep their result (:class:`SyncFailedError`).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stagecraft.context import Context
from stagecraft.errors import EXIT_INTERRUPTED, CancelledError, UserError, printable
from stagecraft.locations import Endpoint
from stagecraft.plan import Plan
from stagecraft.providers.secrets import Action, PartialSyncError
from stagecraft.retrying import retrying
from stagecraft.store_base import KeysNotWrittenError, StoreBase, StoreSession

__all__ = ["InterruptedSyncError", "SyncFailedError", "apply", "reason"]

#: Narration (``-v``): names and counts, never values (see :mod:`stagecraft.redacted_logging`).
log = logging.getLogger("stagecraft.engine")


class SyncFailedError(PartialSyncError):
    """Some keys were written and some not; raised by the engine, so its message is its own."""


class InterruptedSyncError(SyncFailedError, CancelledError):
    """The sync was interrupted (SIGINT); ``result`` holds what was written.  Exit 130.

    Also a :class:`~stagecraft.errors.CancelledError`: it is one.
    """

    exit_code = EXIT_INTERRUPTED


def apply(
    ctx: Context, target: Endpoint, session: StoreSession[Any], the_plan: Plan,
    where: dict[str, str],
) -> dict[str, Action]:
    """Write and delete what the plan says; returns the actions stores reported, where they
    differ from the plan.  Raises :class:`SyncFailedError` naming every key not synced."""
    store = target.store
    reported: dict[str, Action] = {}
    failed: dict[str, str] = {}
    if the_plan.writes:
        if store.writes_one_by_one:
            reported, failed = _write_each(ctx, store, session, the_plan)
        else:
            try:
                retrying(ctx, store, lambda: session.write(the_plan.writes))
            except KeysNotWrittenError as exc:
                failed = _not_done(ctx, exc, "not written")
                _progress(ctx, store, len(the_plan.writes) - len(failed), len(the_plan.writes))
            except CancelledError as exc:
                why = "not written: interrupted" if ctx.cancelled else f"not written: {exc}"
                failed = dict.fromkeys(the_plan.writes, why)
            except UserError:
                raise  # the user's to fix (a refused value, a missing target): as it is
            except Exception as exc:  # noqa: BLE001 - the batch failed: every key is named
                failed = dict.fromkeys(the_plan.writes, f"not written: {reason(ctx, exc)}")
            else:
                _progress(ctx, store, len(the_plan.writes), len(the_plan.writes))
    if the_plan.deletes:
        if failed or ctx.cancelled:
            failed.update(dict.fromkeys(the_plan.deletes, "not removed: an earlier step failed"))
        else:
            try:
                retrying(ctx, store, lambda: session.delete(the_plan.deletes))
            except KeysNotWrittenError as exc:
                failed.update(_not_done(ctx, exc, "not removed"))
            except Exception as exc:  # noqa: BLE001 - reported per key, as the writes are
                why = reason(ctx, exc)
                failed.update(dict.fromkeys(the_plan.deletes, f"not removed: {why}"))
    if failed:
        error = InterruptedSyncError if ctx.cancelled else SyncFailedError
        what = "interrupted" if ctx.cancelled else "failed"
        raise error(
            f"{target}: sync {what}: {len(failed)} of {len(the_plan.keys)} key(s) not synced",
            the_plan.result(reported, failed, where=where),
            {printable(key): why for key, why in failed.items()},
        )
    return reported


def _not_done(ctx: Context, exc: KeysNotWrittenError, what: str) -> dict[str, str]:
    """The keys a batch call failed for, each with the store's reason, masked."""
    return {key: f"{what}: {ctx.redactor.redact(why)}" for key, why in exc.failed.items()}


def _write_each(
    ctx: Context, store: StoreBase[Any], session: StoreSession[Any], the_plan: Plan
) -> tuple[dict[str, Action], dict[str, str]]:
    """``write_one`` per key, ``concurrency`` at a time; every key ends done or failed.

    Returns the actions the store reported where they differ from the plan,
    and the reason of each key that failed.
    """
    planned = {key: action for key, action in zip(the_plan.keys, the_plan.actions, strict=True)
               if key in the_plan.writes}
    reported: dict[str, Action] = {}
    failed: dict[str, str] = {}
    lock = threading.Lock()
    total = len(the_plan.writes)
    count = 0

    def one(key: str, value: str) -> None:
        nonlocal count
        try:
            ctx.check()
            action = retrying(ctx, store, lambda: session.write_one(key, value))
        except CancelledError as exc:
            why = "not written: interrupted" if ctx.cancelled else f"not written: {exc}"
            with lock:
                failed[key] = why
            return
        except Exception as exc:  # noqa: BLE001 - one key's failure, reported with the rest
            why = reason(ctx, exc)
            with lock:
                failed[key] = why
            return
        with lock:
            if isinstance(action, Action) and action is not planned[key]:
                reported[key] = action
            count += 1
            done = count
        log.debug("%s: %s", printable(key), reported.get(key, planned[key]))
        _progress(ctx, store, done, total)

    workers = max(1, min(_concurrency(session.config, store), len(the_plan.writes)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=store.id) as pool:
        for future in [pool.submit(one, k, v) for k, v in the_plan.writes.items()]:
            future.result()
    return reported, failed


def _progress(ctx: Context, store: StoreBase[Any], done: int, total: int) -> None:
    """Tell ``ctx.on_progress`` (a progress display, if any) how many writes are done."""
    if ctx.on_progress is not None:
        ctx.on_progress(store.id, done, total)


def _concurrency(config: Any, store: StoreBase[Any]) -> int:
    configured = getattr(config, "concurrency", None)
    if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
        return configured
    return max(1, store.concurrency)


def reason(ctx: Context, exc: BaseException) -> str:
    """Why a key failed, masked: a store's message may quote what it was sent."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return ctx.redactor.redact(first)
