"""What the project's manifest adds to one sync: which keys it may copy, and which must exist.

Declared keys guard every sync (``secrets.keys`` in ``stagecraft.yml``):

* a sync that names no keys of its own (no ``keys`` in a named sync, no
  KEYS on the command line or in :func:`stagecraft.sync`) copies the
  declared keys only, so a stray key in a source does not spread;
* a declared key required where the sync writes, yet missing from the
  source or empty there, stops the sync before anything is written, dry run
  and ``--check`` included.  A wrong or empty source lacks them, and a
  template holds them empty, so neither can empty a target (not even with
  ``--prune``).

Where the sync writes is an environment when its target is written as an
environment's name, or is the environment's location (the same file, for a
file store); otherwise it is no environment, and only the keys required everywhere
(``required: true``) must exist: a key required in a list of environments
is required in those alone.

The engine applies a :class:`SyncScope` (:attr:`SyncOptions.scope
<stagecraft.providers.secrets.SyncOptions.scope>`) right after reading the
source (:meth:`SyncScope.require`) and after selecting keys
(:meth:`SyncScope.limit`); :func:`scope_for_sync` builds it from the manifest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from stagecraft.config.manifest import (
    Manifest,
    applicable_keys,
    matches_any,
    require_values,
    required_in,
)
from stagecraft.config.schema import Config
from stagecraft.filestore import FileStore
from stagecraft.providers.registry import Registry

__all__ = ["SyncScope", "same_place_key", "scope_for_sync", "target_environment"]


@attrs.frozen
class SyncScope:
    """The manifest's part of one sync's selection (names only, never values)."""

    #: Pattern lists a selected key must also match, each in turn: the declared key
    #: names (a sync naming no keys), the command's KEYS narrowing named syncs.
    #: Empty: the selection stands as it is.
    limits: tuple[tuple[str, ...], ...] = ()
    #: Patterns of keys left out on top of the sync's own ``exclude`` (the
    #: command's ``--exclude`` over named syncs): matching none is no error.
    dropped: tuple[str, ...] = ()
    #: The declared keys this sync copies that are required where it writes.
    required: tuple[str, ...] = ()
    #: The environment the sync writes to (None: a place that is no environment).
    environment: str | None = None

    def require(self, values: Mapping[str, str], source: str) -> None:
        """Raise :class:`~stagecraft.errors.MissingDeclaredKeysError` naming every required
        key ``source`` (read as ``values``) lacks or holds empty."""
        require_values(self.required, values, source, self.environment)

    def limit(self, keys: Sequence[str]) -> list[str]:
        """The keys of ``keys`` (in order) that every limit allows and none drops."""
        return [key for key in keys
                if all(matches_any(key, patterns) for patterns in self.limits)
                and not matches_any(key, self.dropped)]


def target_environment(
    config: Config, registry: Registry, *, written: str, store_id: str | None, location: str,
    cwd: Path,
) -> str | None:
    """The environment a place is, else None: where a sync writes, or where ``run`` reads.

    ``written`` is the place as the user wrote it: an environment's name
    names it.  Otherwise the place (``location`` in the store ``store_id``,
    None for a plain env file; a relative path against ``cwd``) is compared
    with each environment's location, a file store's paths as absolute paths.
    """
    environments = config.manifest.environments
    if written in environments:
        return written
    here = same_place_key(registry, store_id, location, cwd)
    return next((env.name for env in environments.values()
                 if same_place_key(registry, env.store_id, env.location, config.directory) == here),
                None)


def same_place_key(
    registry: Registry, store_id: str | None, location: str, base: Path
) -> tuple[str, str]:
    """A location comparable with another: a file (a file store's, or an env file: no
    ``store_id``) as its absolute, normal path; another store's location as written."""
    if store_id is None or (registry.has(store_id)
                            and isinstance(registry.get(store_id), FileStore)):
        return "file", os.path.normpath(base / Path(location).expanduser())
    return store_id, location


def scope_for_sync(
    manifest: Manifest,
    *,
    environment: str | None,
    selection: Sequence[str] = (),
    exclude: Sequence[str] = (),
    narrowing: Sequence[str] = (),
    dropping: Sequence[str] = (),
) -> SyncScope | None:
    """The scope of a sync writing to ``environment``; None when it adds nothing.

    ``selection`` and ``exclude`` are what the engine selects by (a single
    sync's KEYS and ``--exclude``, a named sync's ``keys``; empty
    ``selection``: the sync names no keys).  ``narrowing`` and ``dropping``
    apply on top (the command's KEYS over named syncs; a named sync's
    ``exclude`` and the command's ``--exclude``): they narrow what it copies,
    and a pattern matching nothing is no error.
    """
    limits: tuple[tuple[str, ...], ...] = (tuple(narrowing),) if narrowing else ()
    if not manifest.declares_keys:
        return SyncScope(limits, tuple(dropping)) if limits or dropping else None
    declared = applicable_keys(manifest, selection or None, [*exclude, *dropping])
    if narrowing:
        declared = [key for key in declared if matches_any(key.name, narrowing)]
    if not selection:
        limits += (tuple(manifest.key_names()),)
    required = tuple(required_in(declared, environment))
    return SyncScope(limits, tuple(dropping), required, environment)
