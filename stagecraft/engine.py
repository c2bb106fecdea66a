"""The sync engine: one pipeline for every store.

:meth:`stagecraft.SecretStore.sync` calls :func:`sync`, which does, in order:

1. resolve both ends: the target store (the provider the hook was called
   with, routed for the location) and the source (``ID:LOCATION`` or an env
   file), refusing a source that is the target;
2. read the source and register every value for masking at once; a source
   that does not exist (:class:`~stagecraft.store.NoSuchLocationError`) is
   an error naming it;
3. select keys (names, glob patterns, ``--exclude``), naming what matched
   nothing before anything is written; with ``--prune``, refuse a source
   that yields no selected key unless ``--allow-empty-source``;
4. read the target's current values when the store is readable (and
   register those too; a target that does not exist reads as empty), or ask
   a write-only store which keys exist (it may refuse here, before any
   write, when it knows a write would fail);
5. plan each key (:mod:`stagecraft.plan`): added, updated, unchanged, or
   removed (``--prune``); the write record (:mod:`stagecraft.record`;
   ``--no-record`` turns it off) gives a write-only store its
   ``unchanged``, and makes a readable target's key that was changed there
   since this machine last synced it a conflict: nothing is written
   (unless ``--force``);
6. ask the store which values it cannot hold, and whether the location can
   take the write as a whole, and refuse either at once, before any write
   (:mod:`stagecraft.refusals`);
7. stop here on a dry run (``--dry-run``, ``--check``);
8. write only what changes: one batch ``write``, or ``write_one`` calls
   with bounded concurrency, retries of transient failures with backoff,
   and no new calls once the context is cancelled or past its deadline;
9. delete pruned keys; record keyed fingerprints of what the target now
   holds; return the result, or raise :class:`PartialSyncError` listing the
   keys that were written and every key that was not.

A store never sees another store, the command line or the config file:
everything it needs arrives as its location, its keys and ``ctx.config``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from stagecraft.errors import (
    EXIT_INTERRUPTED,
    CancelledError,
    DeadlineError,
    UserError,
    printable,
)
from stagecraft.locations import ENV_FILE, Endpoint, split
from stagecraft.outcomes import (
    STOPPED_WAITING,
    UNKNOWN,
    UntilWrites,
    give_up,
    outcome,
    reason_of,
)
from stagecraft.plan import ConflictError, Plan, plan
from stagecraft.providers.secrets import (
    Action,
    Context,
    PartialSyncError,
    Registry,
    SyncOptions,
    SyncResult,
)
from stagecraft.record import TargetRecord, WriteRecord
from stagecraft.refusals import RefusedValuesError, check_refusals
from stagecraft.selection import select
from stagecraft.store import (
    KeysNotWrittenError,
    NoSuchLocationError,
    OutcomeUnknownError,
    SecretStore,
    StoreSession,
)

__all__ = [
    "ConflictError",
    "InterruptedSyncError",
    "Plan",
    "RefusedValuesError",
    "SyncFailedError",
    "plan",
    "resolve_source",
    "resolve_target",
    "sync",
]

T = TypeVar("T")

#: The engine's narration (``-v``): names, paths and counts, never values, so the
#: command shows it unmasked (see :mod:`stagecraft.redacted_logging`).
log = logging.getLogger("stagecraft.engine")

#: First retry delay in seconds; each later one doubles, with jitter.
BACKOFF = 0.2
#: No single wait is longer than this.
MAX_BACKOFF = 5.0


class SyncFailedError(PartialSyncError):
    """Some keys were written and some not; raised by the engine, so its message is its own."""


class InterruptedSyncError(SyncFailedError, CancelledError):
    """The sync was interrupted (SIGINT); ``result`` holds what was written.  Exit 130.

    Also a :class:`~stagecraft.errors.CancelledError`: it is one.
    """

    exit_code = EXIT_INTERRUPTED


# ----------------------------------------------------------------- resolving


def _registry(ctx: Context) -> Registry:
    if ctx.registry is not None:
        return ctx.registry
    from stagecraft.providers.secrets import default_registry

    return default_registry()


def config_for(ctx: Context, store: SecretStore, given: Any = None) -> Any:
    """The store's typed config: ``given`` (structured if raw), else its section, else defaults."""
    config = given
    if config is None and ctx.configs is not None:
        config = ctx.configs(store)
    config_class = store.Config
    if config_class is None or isinstance(config, config_class):
        return config
    if config is None:  # the defaults: no converter needed (and none imported)
        return config_class()
    from stagecraft.config.converter import structure_plain

    return structure_plain({} if config is None else config, config_class, store.id)


def resolve_target(ctx: Context, store: SecretStore, location: str) -> Endpoint:
    """The target: ``location`` in ``store``, or the store's configured default."""
    if not location:
        location = store.default_location(ctx, "target") or ""
    if not location:
        raise UserError(
            f"{store.id}: no target: pass --to LOCATION"
            + (f" ({store.location_help})" if store.location_help else "")
            + f", or set secrets.to in stagecraft.yml (to: {store.id}:LOCATION)"
        )
    return Endpoint(store.route(ctx, location), location)


def resolve_source(ctx: Context, target: SecretStore, text: str) -> tuple[Endpoint, Any]:
    """The source and its config: ``ID:LOCATION``, an env file, or the target's default."""
    if not text:
        text = target.default_location(ctx, "source") or ""
        if not text:
            raise UserError(
                f"{target.id}: no source: pass --from FILE or --from ID:LOCATION, "
                "or set secrets.from in stagecraft.yml"
            )
        return Endpoint(ENV_FILE, text), None
    store_id, location = split(
        text, _registry(ctx), cwd=ctx.cwd, reserved=target.reserved_prefixes
    )
    if store_id is None:
        return Endpoint(ENV_FILE, location), None
    store = _registry(ctx).get(store_id)
    if not isinstance(store, SecretStore):
        raise UserError(
            f"{store_id}: this provider implements sync itself and cannot be read from; "
            "only stores can be a --from ID:"
        )
    config = config_for(ctx, store)
    sctx = ctx.for_store(config)
    if not location:
        if not store.readable:
            raise UserError(f"{store_id}: this store is write-only and cannot be a source")
        location = store.default_location(sctx, "source") or ""
        if not location:
            raise UserError(f"{store_id}: no source location: write --from {store_id}:LOCATION")
    # Routed first: a store may serve readable and write-only locations (Encore's
    # .secrets.local.cue can be read, its CLI environments cannot).
    routed = store.route(sctx, location)
    if not routed.readable:
        raise UserError(f"{store_id}: this store is write-only and cannot be a source")
    return Endpoint(routed, location), config


# ------------------------------------------------------------------- the sync


def sync(ctx: Context, store: SecretStore, opts: SyncOptions) -> SyncResult:
    """Sync into ``store`` (the steps in the module docstring).

    Until the writes start, nothing is in flight, so the run is interruptible
    (:meth:`Context.interruptible`): a Ctrl-C stops a long read or plan of
    a large file at once, not at the end of it.
    """
    reading = UntilWrites(ctx)
    try:
        return _sync(ctx, store, opts, reading)
    except KeyboardInterrupt:
        if not reading.open:
            raise
        raise InterruptedSyncError(
            f"{store.id}: interrupted before anything was written", SyncResult(), {}
        ) from None
    finally:
        reading.end()


def _sync(ctx: Context, store: SecretStore, opts: SyncOptions, reading: UntilWrites) -> SyncResult:
    target_config = config_for(ctx, store, opts.config)
    tctx = ctx.for_store(target_config)
    target = resolve_target(tctx, store, opts.target)
    source, source_config = resolve_source(tctx, store, opts.source)
    sctx = ctx.for_store(source_config)
    place = target.store.normalise_location(tctx, target.location)
    if source.store.normalise_location(sctx, source.location) == place:
        what = "file" if place.startswith("file:") else "place"
        raise UserError(f"{target}: source and target are the same {what}")
    shown_source = source.shown(sctx)
    where = {"source": shown_source if source.store is ENV_FILE
             else f"{source.store.id}:{shown_source}", "target": target.shown(tctx)}
    ctx.endpoints.update(where)  # for the command's report, should the sync fail
    log.info("reading %s", where["source"])

    try:
        values = _as_dict(_retrying(sctx, source.store,
                                   lambda: source.store.read(sctx, source.location, None),
                                   doing=f"reading the source {where['source']}"))
    except NoSuchLocationError as exc:
        why = f" ({ctx.redactor.redact(exc.why)})" if exc.why else ""
        raise UserError(f"{where['source']}: the source does not exist{why}; check the "
                        "location (nothing was written)") from None
    ctx.add_secrets(values.values())
    if ctx.cancelled:
        raise InterruptedSyncError(
            f"{target}: interrupted before anything was written",
            SyncResult(source=where["source"], target=where["target"]), {},
        )
    ctx.check()
    if opts.prune and not target.store.can_prune:
        why = "cannot delete keys" if not target.store.can_delete else "cannot be read back"
        raise UserError(f"{target.store.id}: this store {why}, so --prune is refused")

    with target.store.session(tctx, target.location, dry_run=opts.dry_run) as session:
        current: Mapping[str, str] | None = None
        existing: Collection[str] | None = None
        if target.store.readable:
            log.info("reading %s", where["target"])
            try:
                current = _retrying(tctx, target.store, lambda: session.read(None),
                                    doing=f"reading the target {target}")
            except NoSuchLocationError:
                log.info("%s does not exist yet: the sync creates it", where["target"])
                current = {}
            # Values equal to the source's are registered already (and registering
            # them again would keep the target's copies alive).
            ctx.add_secrets(v for k, v in current.items() if values.get(k) != v)
            names = list(values)
            names += [key for key in current if key not in values] if opts.prune else []
        else:
            names = list(values)
            if opts.prune:
                names += _listed_not_in(tctx, target, values)
        keys = select(names, opts.keys, opts.exclude, where=where["source"])
        selected = values if len(keys) == len(values) == len(names) else {
            key: values[key] for key in keys if key in values
        }
        prunable = [key for key in keys if key not in values]
        log.info("%d key(s) selected", len(selected))
        if opts.prune and not selected and not opts.allow_empty_source:
            raise UserError(
                f"{where['source']}: the source has no selected key, so --prune would remove "
                f"every selected key of {target}; nothing was written (if that is what you "
                "want, add --allow-empty-source)"
            )
        record = TargetRecord(WriteRecord(log), target.store.id, target.store.record_location(
            tctx, target.location)) if opts.record else None
        recorded: Collection[str] = ()
        if current is None:
            wanted = list(selected)
            existing = _retrying(tctx, target.store, lambda: target.store.existing_keys(
                tctx, target.location, wanted), doing=f"listing the keys of {target}")
            if record is not None and existing is not None:
                recorded = record.matching({k: v for k, v in selected.items() if k in existing})
        the_plan = plan(selected, current, existing, prunable, recorded)
        unchanged = {key: selected[key] for key in the_plan.keys_with(Action.UNCHANGED)}
        if current is not None:
            session.unchanged(unchanged)
            if record is not None and not opts.force:
                the_plan = the_plan.with_conflicts(record.changed(
                    current, the_plan.keys_with(Action.UPDATED, Action.REMOVED)))
        if Action.CONFLICT in the_plan.actions:
            raise ConflictError(str(target), the_plan.result(where=where))
        log.info(
            "plan: %d to write, %d to remove", len(the_plan.writes), len(the_plan.deletes)
        )
        check_refusals(tctx, target, session, the_plan.writes, the_plan.deletes)
        if opts.dry_run:
            return the_plan.result(where=where)
        if ctx.cancelled:
            raise _interrupted_before_writing(target, the_plan, where)
        ctx.check()
        reading.end()
        # Unchanged keys the record does not know yet: the target holds them as synced.
        unrecorded = record.unrecorded(unchanged) if record is not None else {}
        if record is not None:
            record.release()
            record.attempt(the_plan.writes)
        # A large source is not held while writing.
        del values, selected, current, names, keys, unchanged
        try:
            reported = _apply(tctx, target, session, the_plan, where)
        except SyncFailedError as exc:
            if record is not None:
                _record(record, the_plan, exc.result, unrecorded)
            raise
    # The target is written (a file store renders it when its session ends).
    result = the_plan.result(reported, where=where)
    if record is not None:
        _record(record, the_plan, result, unrecorded)
    log.info("written: %d key(s) changed", sum(c.action is not Action.UNCHANGED
                                                       for c in result.changes))
    if ctx.cancelled:
        raise InterruptedSyncError(
            f"{target}: interrupted after every change was written", result, {}
        )
    return result


def _record(
    record: TargetRecord, the_plan: Plan, result: SyncResult, unrecorded: Mapping[str, str]
) -> None:
    """Record what the target now holds: the keys ``result`` says were written, and the
    unchanged ones not yet recorded; forget removed keys.

    A write that failed (or timed out) may or may not have changed the value,
    so neither its old nor its new value says ``unchanged`` any more.
    """
    done = {change.key for change in result.changes}
    written = {key: value for key, value in the_plan.writes.items() if key in done}
    unsure = [key for key in the_plan.writes if key not in done]
    removed = [key for key in the_plan.deletes if key in done]
    record.update({**unrecorded, **written}, removed, unsure)


def _listed_not_in(ctx: Context, target: Endpoint, values: Mapping[str, str]) -> list[str]:
    """The keys a write-only target lists that ``values`` lacks (what ``--prune`` may remove)."""
    return list(_retrying(ctx, target.store, lambda: target.store.prunable_keys(
        ctx, target.location, values)))


def _apply(
    ctx: Context, target: Endpoint, session: StoreSession, the_plan: Plan, where: dict[str, str]
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
                _retrying(ctx, store, lambda: session.write(the_plan.writes),
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
                    raise _interrupted_before_writing(target, the_plan, where) from None
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
                _retrying(ctx, store, lambda: session.delete(the_plan.deletes),
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
            f"{target}: sync {what}: {counts}",
            the_plan.result(reported, {*failed, *unknown}, where=where),
            {printable(key): reason for key, reason in failed.items()},
            {printable(key): reason for key, reason in unknown.items()},
        )
    return reported


def _not_done(ctx: Context, exc: KeysNotWrittenError, what: str) -> dict[str, str]:
    """The keys a batch call failed for, each with the store's reason, masked."""
    return {key: f"{what}: {ctx.redactor.redact(reason)}" for key, reason in exc.failed.items()}


def _interrupted_before_writing(
    target: Endpoint, the_plan: Plan, where: Mapping[str, str]
) -> InterruptedSyncError:
    """Interrupted with nothing written: one message, not a line per planned key."""
    changes = len(the_plan.writes) + len(the_plan.deletes)
    return InterruptedSyncError(
        f"{target}: interrupted before anything was written "
        f"({changes} change(s) planned, none made)",
        SyncResult(source=where["source"], target=where["target"]), {},
    )


def _write_each(
    ctx: Context, store: SecretStore, session: StoreSession, the_plan: Plan
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
            action = _retrying(ctx, store, lambda: session.write_one(key, value),
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

    count_workers = max(1, min(_concurrency(ctx, store), len(the_plan.writes)))
    threads = [threading.Thread(target=worker, name=f"{store.id}-{number}", daemon=True)
               for number in range(count_workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
        with lock:
            ctx.abandon()
            unknown.update(dict.fromkeys(in_flight, STOPPED_WAITING))
            in_flight.clear()
            for key, _value in pending:
                failed[key] = "not written: interrupted"
    return reported, failed, unknown


def _progress(ctx: Context, store: SecretStore, done: int, total: int) -> None:
    """Tell ``ctx.on_progress`` (a progress display, if any) how many writes are done."""
    if ctx.on_progress is not None:
        ctx.on_progress(store.id, done, total)


def _concurrency(ctx: Context, store: SecretStore) -> int:
    configured = getattr(ctx.config, "concurrency", None)
    if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
        return configured
    return max(1, store.concurrency)


def _retrying(
    ctx: Context, store: SecretStore, call: Callable[[], T], *, doing: str = "calling the store"
) -> T:
    """``call()``, retried with jittered exponential backoff while the store calls it transient.

    ``doing`` says what the call is for (``reading the source vault:secret/app``):
    a deadline that stops the call or its retries names it, with the last
    failure.  When an attempt's outcome was unknown and no later one
    succeeded, the error is an :class:`OutcomeUnknownError`: that attempt
    may have landed.
    """
    attempt = 0
    maybe_landed = False
    while True:
        try:
            return call()
        except Exception as exc:
            maybe_landed = maybe_landed or store.outcome_unknown(exc)
            if isinstance(exc, DeadlineError):
                give_up(DeadlineError(f"{doing}: the deadline (--timeout) passed"), maybe_landed)
            if attempt >= store.retries or not store.is_transient(exc):
                if maybe_landed and not store.outcome_unknown(exc):
                    raise OutcomeUnknownError(reason_of(ctx, exc)) from exc
                raise
            last = exc
        attempt += 1
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
        remaining = ctx.remaining()
        if remaining is not None and remaining <= delay:
            give_up(DeadlineError(f"{doing}: the deadline (--timeout) passed before another "
                                   f"try (the last failure: {reason_of(ctx, last)})"), maybe_landed)
        ctx.wait(delay)
        if ctx.cancelled:
            give_up(CancelledError(f"{doing}: interrupted before another try "
                                    f"(the last failure: {reason_of(ctx, last)})"), maybe_landed)
        ctx.check()


def _as_dict(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` as a dict, without copying one (a large source is held once)."""
    return values if isinstance(values, dict) else dict(values)
