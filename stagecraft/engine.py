"""The sync engine: one pipeline for every store.

:meth:`stagecraft.SecretStore.sync` calls :func:`sync`, which does, in order:

1. resolve both ends: the target store (the provider the hook was called
   with, routed for the location) and the source (``ID:LOCATION`` or an env
   file), refusing a source that is the target;
2. read the source and register every value for masking at once; a source
   that does not exist (:class:`~stagecraft.errors.NoSuchLocationError`) is
   an error naming it;
3. refuse a source lacking a declared key required where the sync writes
   (:mod:`stagecraft.sync_scope`); select keys (names, glob patterns,
   ``--exclude``, and only the declared keys when none are named), naming
   what matched nothing before anything is written; with ``--prune``, refuse a source
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
everything it needs arrives as its location, its keys and its typed config
(``ctx.config``, ``session.config``).  The engine talks to the target only
through the session it opens for the sync
(:meth:`~stagecraft.store_base.StoreBase.session`).  The steps have their
own modules: :mod:`stagecraft.plan`, :mod:`stagecraft.refusals`,
:mod:`stagecraft.applying` (writes, with :mod:`stagecraft.retrying` and
:mod:`stagecraft.outcomes`) and :mod:`stagecraft.record`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from stagecraft.applying import (
    InterruptedSyncError,
    SyncFailedError,
    apply,
    interrupted_before_writing,
)
from stagecraft.context import Context
from stagecraft.errors import NoSuchLocationError, UserError
from stagecraft.locations import ENV_FILE, Endpoint, split
from stagecraft.outcomes import UntilWrites
from stagecraft.plan import ConflictError, Plan, plan
from stagecraft.providers.secrets import Action, Registry, SyncOptions, SyncResult
from stagecraft.record import TargetRecord, WriteRecord
from stagecraft.redact import Structural
from stagecraft.refusals import RefusedValuesError, check_refusals
from stagecraft.retrying import retrying
from stagecraft.selection import select
from stagecraft.store_base import StoreBase
from stagecraft.store_session import StoreSession

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

#: The engine's narration (``-v``): names, paths and counts, never values, so the
#: command shows it unmasked (see :mod:`stagecraft.redacted_logging`).
log = logging.getLogger("stagecraft.engine")


# ----------------------------------------------------------------- resolving


def _registry(ctx: Context) -> Registry:
    """Where ``--from ID:`` looks stores up: the run's registry (without one, none: only env
    files and the target's own default can be a source)."""
    return ctx.registry if ctx.registry is not None else Registry()


def resolve_target(ctx: Context, store: StoreBase[Any], location: str) -> Endpoint:
    """The target: ``location`` in ``store``, or the store's configured default."""
    if not location:
        location = store.default_location(ctx, "target") or ""
    if not location:
        raise UserError(Structural(
            f"{store.id}: no target: pass --to LOCATION"
            + (f" ({store.location_help})" if store.location_help else "")
            + f", or set secrets.to in stagecraft.yml (to: {store.id}:LOCATION)"
        ))
    return Endpoint(store.route(ctx, location), location)


def resolve_source(ctx: Context, target: StoreBase[Any], text: str) -> tuple[Endpoint, Any]:
    """The source and its config: ``ID:LOCATION``, an env file, or the target's default."""
    if not text:
        text = target.default_location(ctx, "source") or ""
        if not text:
            raise UserError(
                Structural(f"{target.id}: no source: pass --from FILE or --from ID:LOCATION, "
                "or set secrets.from in stagecraft.yml")
            )
        return Endpoint(ENV_FILE, text), None
    registry = _registry(ctx)
    store_id, location = split(text, registry, cwd=ctx.cwd, reserved=target.reserved_prefixes)
    if store_id is None:
        return Endpoint(ENV_FILE, location), None
    store = registry.get(store_id)
    if not isinstance(store, StoreBase):
        raise UserError(
            Structural(f"{store_id}: this provider implements sync itself and cannot be read from; "
            "only stores can be a --from ID:")
        )
    config = store.config_for(ctx)
    sctx = ctx.for_store(config)
    if not location:
        if not store.readable:
            raise UserError(
                Structural(f"{store_id}: this store is write-only and cannot be a source")
            )
        location = store.default_location(sctx, "source") or ""
        if not location:
            raise UserError(
                Structural(f"{store_id}: no source location: write --from {store_id}:LOCATION")
            )
    # Routed first: a store may serve readable and write-only locations (Encore's
    # .secrets.local.cue can be read, its CLI environments cannot).
    routed = store.route(sctx, location)
    if not routed.readable:
        raise UserError(Structural(f"{store_id}: this store is write-only and cannot be a source"))
    return Endpoint(routed, location), config


# ------------------------------------------------------------------- the sync


def sync(ctx: Context, store: StoreBase[Any], opts: SyncOptions) -> SyncResult:
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
            Structural(f"{store.id}: interrupted before anything was written"), SyncResult(), {}
        ) from None
    finally:
        reading.end()


def _sync(
    ctx: Context, store: StoreBase[Any], opts: SyncOptions, reading: UntilWrites
) -> SyncResult:
    tctx = ctx.for_store(store.config_for(ctx, opts.config))
    target = resolve_target(tctx, store, opts.target)
    source, source_config = resolve_source(tctx, store, opts.source)
    sctx = ctx.for_store(source_config)
    place = target.store.normalise_location(tctx, target.location)
    if source.store.normalise_location(sctx, source.location) == place:
        what = "file" if place.startswith("file:") else "place"
        raise UserError(Structural(f"{target}: source and target are the same {what}"))
    shown_source = source.shown(sctx)
    where = {"source": shown_source if source.store is ENV_FILE
             else f"{source.store.id}:{shown_source}", "target": target.shown(tctx)}
    ctx.endpoints.update(where)  # for the command's report, should the sync fail
    log.info("reading %s", where["source"])

    try:
        values = _as_dict(retrying(sctx, source.store,
                                   lambda: source.store.read(sctx, source.location, None),
                                   doing=f"reading the source {where['source']}"))
    except NoSuchLocationError as exc:
        why = f" ({ctx.redactor.redact(exc.why)})" if exc.why else ""
        raise UserError(Structural(f"{where['source']}: the source does not exist{why}; check the "
                        "location (nothing was written)")) from None
    ctx.add_secrets(values.values())
    if opts.scope is not None:  # a declared key missing: refused before the target is read
        opts.scope.require(values, where["source"])
    if ctx.cancelled:
        raise InterruptedSyncError(
            Structural(f"{target}: interrupted before anything was written"),
            SyncResult(source=where["source"], target=where["target"]), {},
        )
    ctx.check()
    if opts.prune and not target.store.can_prune:
        why = "cannot delete keys" if not target.store.can_delete else "cannot be read back"
        raise UserError(Structural(f"{target.store.id}: this store {why}, so --prune is refused"))

    with target.store.session(tctx, target.location, dry_run=opts.dry_run) as session:
        current: Mapping[str, str] | None = None
        existing: Collection[str] | None = None
        if target.store.readable:
            log.info("reading %s", where["target"])
            try:
                current = retrying(tctx, target.store, lambda: session.read(None),
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
                names += _listed_not_in(tctx, target.store, session, values)
        keys = select(names, opts.keys, opts.exclude, where=where["source"])
        if opts.scope is not None:
            keys = opts.scope.limit(keys)
        selected = values if len(keys) == len(values) == len(names) else {
            key: values[key] for key in keys if key in values
        }
        prunable = [key for key in keys if key not in values]
        log.info("%d key(s) selected", len(selected))
        if opts.prune and not selected and not opts.allow_empty_source:
            raise UserError(Structural(
                f"{where['source']}: the source has no selected key, so --prune would remove "
                f"every selected key of {target}; nothing was written (if that is what you "
                "want, add --allow-empty-source)"
            ))
        record = TargetRecord(WriteRecord(log), target.store.id,
                              session.record_location()) if opts.record else None
        recorded: Collection[str] = ()
        if current is None:
            wanted = list(selected)
            existing = retrying(tctx, target.store, lambda: session.existing_keys(wanted),
                                doing=f"listing the keys of {target}")
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
        check_refusals(target, session, the_plan.writes, the_plan.deletes)
        if opts.dry_run:
            return the_plan.result(where=where)
        if ctx.cancelled:
            raise interrupted_before_writing(target, the_plan, where)
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
            reported = apply(tctx, target, session, the_plan, where)
        except SyncFailedError as exc:
            if record is not None:
                _record(record, the_plan, exc.result, unrecorded)
            raise
    # The target is written (a file store renders it when its session ends).
    result = the_plan.result(reported, where=where)
    # After a Ctrl-C the record keeps what it had before the write: the values written
    # are there as pending, which the next sync reads as synced, so the user does not
    # wait for the whole record to be rewritten.
    if record is not None and not ctx.cancelled:
        _record(record, the_plan, result, unrecorded)
    log.info("written: %d key(s) changed", sum(c.action is not Action.UNCHANGED
                                                       for c in result.changes))
    if ctx.cancelled:
        raise InterruptedSyncError(
            Structural(f"{target}: interrupted after every change was written"), result, {}
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


def _listed_not_in(
    ctx: Context, store: StoreBase[Any], session: StoreSession[Any], values: Mapping[str, str]
) -> list[str]:
    """The keys a write-only target lists that ``values`` lacks (what ``--prune`` may remove)."""
    return list(retrying(ctx, store, lambda: session.prunable_keys(values),
                         doing="listing the keys to remove"))


def _as_dict(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` as a dict, without copying one (a large source is held once)."""
    return values if isinstance(values, dict) else dict(values)
