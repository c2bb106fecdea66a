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
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from stagecraft.errors import EXIT_INTERRUPTED, CancelledError, UserError, printable
from stagecraft.locations import ENV_FILE, Endpoint, split
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
from stagecraft.store import KeysNotWrittenError, NoSuchLocationError, SecretStore, StoreSession

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
    """Sync into ``store`` (the steps in the module docstring)."""
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
                                   lambda: source.store.read(sctx, source.location, None)))
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
                current = _retrying(tctx, target.store, lambda: session.read(None))
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
                tctx, target.location, wanted))
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
            raise InterruptedSyncError(
                f"{target}: interrupted before anything was written",
                SyncResult(source=where["source"], target=where["target"]),
                {printable(key): "not written: interrupted" for key in the_plan.writes},
            )
        ctx.check()
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
    if the_plan.writes:
        if store.writes_one_by_one:
            reported, failed = _write_each(ctx, store, session, the_plan)
        else:
            try:
                _retrying(ctx, store, lambda: session.write(the_plan.writes))
            except KeysNotWrittenError as exc:
                failed = _not_done(ctx, exc, "not written")
                _progress(ctx, store, len(the_plan.writes) - len(failed), len(the_plan.writes))
            except CancelledError as exc:
                reason = "not written: interrupted" if ctx.cancelled else f"not written: {exc}"
                failed = dict.fromkeys(the_plan.writes, reason)
            except UserError:
                raise  # the user's to fix (a refused value, a missing target): as it is
            except Exception as exc:  # noqa: BLE001 - the batch failed: every key is named
                failed = dict.fromkeys(the_plan.writes, f"not written: {_reason(ctx, exc)}")
            else:
                _progress(ctx, store, len(the_plan.writes), len(the_plan.writes))
    if the_plan.deletes:
        if failed or ctx.cancelled:
            failed.update(dict.fromkeys(the_plan.deletes, "not removed: an earlier step failed"))
        else:
            try:
                _retrying(ctx, store, lambda: session.delete(the_plan.deletes))
            except KeysNotWrittenError as exc:
                failed.update(_not_done(ctx, exc, "not removed"))
            except Exception as exc:  # noqa: BLE001 - reported per key, as the writes are
                reason = _reason(ctx, exc)
                failed.update(dict.fromkeys(the_plan.deletes, f"not removed: {reason}"))
    if failed:
        error = InterruptedSyncError if ctx.cancelled else SyncFailedError
        what = "interrupted" if ctx.cancelled else "failed"
        raise error(
            f"{target}: sync {what}: {len(failed)} of {len(the_plan.keys)} key(s) not synced",
            the_plan.result(reported, failed, where=where),
            {printable(key): reason for key, reason in failed.items()},
        )
    return reported


def _not_done(ctx: Context, exc: KeysNotWrittenError, what: str) -> dict[str, str]:
    """The keys a batch call failed for, each with the store's reason, masked."""
    return {key: f"{what}: {ctx.redactor.redact(reason)}" for key, reason in exc.failed.items()}


def _write_each(
    ctx: Context, store: SecretStore, session: StoreSession, the_plan: Plan
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
            action = _retrying(ctx, store, lambda: session.write_one(key, value))
        except CancelledError as exc:
            reason = "not written: interrupted" if ctx.cancelled else f"not written: {exc}"
            with lock:
                failed[key] = reason
            return
        except Exception as exc:  # noqa: BLE001 - one key's failure, reported with the rest
            reason = _reason(ctx, exc)
            with lock:
                failed[key] = reason
            return
        with lock:
            if isinstance(action, Action) and action is not planned[key]:
                reported[key] = action
            count += 1
            done = count
        log.debug("%s: %s", printable(key), reported.get(key, planned[key]))
        _progress(ctx, store, done, total)

    workers = max(1, min(_concurrency(ctx, store), len(the_plan.writes)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=store.id) as pool:
        for future in [pool.submit(one, k, v) for k, v in the_plan.writes.items()]:
            future.result()
    return reported, failed


def _progress(ctx: Context, store: SecretStore, done: int, total: int) -> None:
    """Tell ``ctx.on_progress`` (a progress display, if any) how many writes are done."""
    if ctx.on_progress is not None:
        ctx.on_progress(store.id, done, total)


def _concurrency(ctx: Context, store: SecretStore) -> int:
    configured = getattr(ctx.config, "concurrency", None)
    if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
        return configured
    return max(1, store.concurrency)


def _retrying(ctx: Context, store: SecretStore, call: Callable[[], T]) -> T:
    """``call()``, retried with jittered exponential backoff while the store calls it transient."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if attempt >= store.retries or not store.is_transient(exc):
                raise
        attempt += 1
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
        remaining = ctx.remaining()
        if remaining is not None and remaining <= delay:
            raise CancelledError("ran past its deadline while retrying")
        ctx.wait(delay)
        ctx.check()


def _as_dict(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` as a dict, without copying one (a large source is held once)."""
    return values if isinstance(values, dict) else dict(values)


def _reason(ctx: Context, exc: BaseException) -> str:
    """Why a key failed, masked: a store's message may quote what it was sent."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return ctx.redactor.redact(first)
