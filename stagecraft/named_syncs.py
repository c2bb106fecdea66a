"""Running the project's named syncs (``secrets.syncs``) in one process.

``stagecraft secrets sync`` with syncs configured and neither ``--from`` nor
``--to`` runs every named sync (or those ``--only`` names), and
:func:`stagecraft.sync_all` does the same for the Python API.  Each sync is
one ordinary sync (:func:`stagecraft.api.prepare_in` and
:func:`~stagecraft.api.run_sync`: the same hook, engine and guards as
``--from``/``--to``), with its own source, target, keys, exclude and prune.

Order and concurrency:

* syncs writing to different targets run concurrently;
* syncs writing to the same target run one after another in file order, so
  the later one's values are what the target ends with; so do a sync that
  reads a target and the syncs that write it (``dev -> staging`` then
  ``staging -> prod`` copies dev's values on to prod);
* a sync that fails stops no other, not even the next one on its target: each
  sync is a copy of its own, guarded by its own checks (declared keys,
  conflicts, refusals), and its report says what it did; the one exception
  is a sync reading a place an earlier sync of its chain wrote in part (a
  partial failure, an interruption): it is not run, since it would pass on
  a mix of old and new values as if they were one state;
* once the run is cancelled (Ctrl-C) no sync starts, and those running stop
  as a single sync does.

Two places are the same when they are the same file (however written, in a
file store or as an env file), or the same location of another store.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from stagecraft.api import (
    PreparedSync,
    Project,
    ProjectOptions,
    as_names,
    mask_error,
    open_sync_run,
    prepare_in,
    run_sync,
)
from stagecraft.endpoints import config_location, reserved_words
from stagecraft.errors import (
    InterruptedSyncError,
    PartialSyncError,
    UserError,
    did_you_mean,
    printable,
)
from stagecraft.interrupts import run_in_threads
from stagecraft.locations import split
from stagecraft.project import ConfigChoice, working_directory
from stagecraft.providers.secrets import SyncResult
from stagecraft.redact import Redactor, Structural

if TYPE_CHECKING:
    from stagecraft.config.manifest import NamedSync

__all__ = [
    "NamedOutcome", "choose_syncs", "run_named_syncs", "sync_all",
    "sync_endpoints",
]


@attrs.define
class NamedOutcome:
    """What one named sync did: its result, or the error that ended it (never a value).

    ``prepared`` is the sync as it ran (None when it could not be prepared).
    """

    sync: NamedSync
    #: Where it read and wrote, resolved (``ID:LOCATION`` or a path).
    source: str
    target: str
    prepared: PreparedSync | None = None
    result: SyncResult | None = None
    error: BaseException | None = None
    #: The run was cancelled before the sync ended (it finished despite a Ctrl-C).
    cancelled: bool = False

    @property
    def name(self) -> str:
        return self.sync.name

    @property
    def ok(self) -> bool:
        """Whether the sync ended without an error."""
        return self.error is None and self.result is not None


def sync_all(
    only: Iterable[str] | None = None,
    keys: Iterable[str] | None = None,
    *,
    dry_run: bool = False,
    config: ConfigChoice = None,
) -> list[NamedOutcome]:
    """Run the project's named syncs, as ``stagecraft secrets sync`` without ``--from``/``--to``.

    ``only``: the names of the syncs to run (None: every one); ``keys``:
    names or globs narrowing each sync.  Prints nothing.  One
    :class:`NamedOutcome` per sync, in file order; a sync's failure is its
    ``error`` (its message masked as the command masks it), not raised.  Raises
    :class:`~stagecraft.errors.UserError` when there are no named syncs or
    ``only`` names an unknown one (nothing ran), and KeyboardInterrupt on a Ctrl-C.
    """
    redactor = Redactor()
    try:
        run = open_sync_run(ProjectOptions(working_directory(), config, redactor=redactor))
        if run.config is None or not run.config.manifest.syncs:
            raise UserError(Structural("no named syncs: add secrets.syncs to stagecraft.yml"))
        syncs = choose_syncs(run.config.manifest.syncs, as_names(only))
        outcomes = run_named_syncs(run, syncs, lambda sync, source, target: prepare_in(
            run, source=source, target=target, keys=as_names(keys), dry_run=dry_run,
            named=sync))
    except Exception as exc:
        mask_error(redactor, exc)
        raise
    if run.ctx.abandoned:
        # A Ctrl-C stopped the waiting (no command caught it to cancel first): the
        # caller's program is interrupted too, as it is by stagecraft.sync(), rather than
        # handed a list it may not look at while syncs still run on their threads.
        raise KeyboardInterrupt
    for outcome in outcomes:
        if outcome.error is not None:
            mask_error(redactor, outcome.error)
    return outcomes


def choose_syncs(syncs: Sequence[NamedSync], only: Sequence[str]) -> list[NamedSync]:
    """The syncs to run, in file order: every one, or those ``only`` names.

    An unknown name is a user error naming the known ones, with a hint.
    """
    names = [sync.name for sync in syncs]
    unknown = [name for name in dict.fromkeys(only) if name not in names]
    if unknown:
        hints = "; ".join(f"--only {printable(name)}: no such sync"
                          f"{did_you_mean(name, names)}" for name in unknown)
        raise UserError(Structural(f"{hints} (syncs: {', '.join(names)})"))
    return [sync for sync in syncs if not only or sync.name in only]


def sync_endpoints(run: Project, sync: NamedSync) -> tuple[str, str]:
    """The sync's source and target as ``--from`` and ``--to`` would take them.

    Environment names become their ``ID:LOCATION``; file paths written in
    stagecraft.yml are relative to its directory, as every path there is.
    """
    assert run.config is not None
    # Only now is the config model needed (see stagecraft.project.load_config).
    from stagecraft.config.location_words import resolve_location

    store_ids = run.registry.ids()
    manifest = run.config.manifest
    return tuple(  # type: ignore[return-value]
        config_location(run.config, run.registry,
                        resolve_location(word, manifest, store_ids).location, role)
        for word, role in ((sync.source, "source"), (sync.target, "target"))
    )


def run_named_syncs(
    run: Project,
    syncs: Sequence[NamedSync],
    prepare: Callable[[NamedSync, str, str], PreparedSync],
) -> list[NamedOutcome]:
    """Run ``syncs`` (see the module docstring); their outcomes in file order.

    ``prepare(sync, source, target)`` builds each sync from its resolved
    endpoints (the command's options or the API's arguments apply to all).
    A KeyboardInterrupt while waiting (a second Ctrl-C) abandons the syncs
    still running: each is reported interrupted, its outcome unknown, and its
    thread (a daemon) is left to the stores' own stopping.
    """
    outcomes: list[NamedOutcome] = []
    finished: set[int] = set()
    for sync in syncs:
        source, target = sync_endpoints(run, sync)
        outcome = NamedOutcome(sync, source, target)
        outcomes.append(outcome)
        try:  # resolved up front: the chains are made of the places they really use
            outcome.prepared = prepare(sync, source, target)
        except Exception as exc:  # noqa: BLE001 - one sync's failure, reported with the rest
            outcome.error = exc
            finished.add(id(outcome))
    ready = [outcome for outcome in outcomes if outcome.prepared is not None]
    places = {id(outcome): _places(run, outcome.prepared) for outcome in ready
              if outcome.prepared is not None}
    lock = threading.Lock()

    def one(outcome: NamedOutcome, spoiled: dict[tuple[str, str], str]) -> None:
        assert outcome.prepared is not None
        result, error, cancelled = None, None, False
        source_place, target_place = places[id(outcome)]
        try:
            if run.ctx.cancelled:
                raise InterruptedSyncError(
                    Structural(f"{outcome.sync.name}: interrupted before it started"),
                    SyncResult(source=outcome.source, target=outcome.target), {})
            if source_place in spoiled:
                raise UserError(Structural(
                    f"{outcome.sync.name}: not run: it reads {outcome.source}, which "
                    f"{spoiled[source_place]} failed to write in full"))
            result = run_sync(outcome.prepared)
            cancelled = run.ctx.cancelled
        except Exception as exc:  # noqa: BLE001 - one sync's failure, reported with the rest
            error = exc
        if isinstance(error, PartialSyncError):  # the target may hold old and new values
            spoiled[target_place] = outcome.sync.name
        with lock:
            if id(outcome) in finished:  # reported already: the run stopped waiting for it
                return
            finished.add(id(outcome))
            outcome.result, outcome.error, outcome.cancelled = result, error, cancelled

    def in_order(group: list[NamedOutcome]) -> None:
        spoiled: dict[tuple[str, str], str] = {}  # a place a sync of the chain half-wrote
        for outcome in group:
            one(outcome, spoiled)

    def stop_waiting() -> None:  # a second Ctrl-C
        run.ctx.abandon()
        with lock:
            for outcome in outcomes:
                if id(outcome) not in finished:
                    finished.add(id(outcome))
                    outcome.error = InterruptedSyncError(
                        Structural(f"{outcome.sync.name}: interrupted; stopped waiting for it, "
                                   "so what it wrote is unknown"),
                        SyncResult(source=outcome.source, target=outcome.target), {})

    run_in_threads([(f"sync-{group[0].sync.name}", functools.partial(in_order, group))
                    for group in _chains(ready, places)], stop_waiting=stop_waiting)
    return outcomes


Place = tuple[str, str]


def _places(run: Project, prepared: PreparedSync) -> tuple[Place, Place]:
    """Where a prepared sync reads and writes, as keys equal for the same place: any file
    by its path (an unprefixed source is an env file; the target is the provider's)."""
    # Only now is the config model needed (see stagecraft.project.load_config).
    from stagecraft.sync_scope import same_place_key

    cwd = run.ctx.cwd
    store_id, location = split(prepared.options.source, run.registry, cwd=cwd,
                               reserved=reserved_words(run.registry))
    return (same_place_key(run.registry, store_id, location, cwd),
            same_place_key(run.registry, prepared.provider.id, prepared.options.target, cwd))


def _chains(
    outcomes: list[NamedOutcome], places: dict[int, tuple[Place, Place]]
) -> list[list[NamedOutcome]]:
    """The syncs that must run one after another, each list in file order.

    Two syncs are in one chain when they write the same target, or one
    reads what the other writes (``promote: dev -> staging`` and ``release:
    staging -> prod``): run side by side, the reader would see the target
    before or after the write, by chance.  Chains are independent.
    """
    chain_of = list(range(len(outcomes)))
    ordered = [places[id(outcome)] for outcome in outcomes]

    def root(index: int) -> int:
        while chain_of[index] != index:
            index = chain_of[index]
        return index

    for later, (source, target) in enumerate(ordered):
        for earlier, (other_source, other_target) in enumerate(ordered[:later]):
            if other_target in (target, source) or other_source == target:
                chain_of[root(later)] = root(earlier)
    chains: dict[int, list[NamedOutcome]] = {}
    for index, outcome in enumerate(outcomes):
        chains.setdefault(root(index), []).append(outcome)
    return list(chains.values())
