"""The project's manifest: its environments, the secrets it needs, and its named syncs.

``secrets.environments``, ``secrets.keys`` and ``secrets.syncs`` in
``stagecraft.yml`` say what should exist where, so that a command can tell a
wrong or empty source from a real one.  This module holds the typed model and
the pure rules every command applies to it ("declared keys guard every
sync"); :mod:`~stagecraft.config.manifest_loading` builds it from the file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Iterable, Mapping

import attrs

from stagecraft.errors import MissingDeclaredKeysError

#: An environment (or sync) name: letters, digits, ``-``, ``_`` and ``.``,
#: starting with a letter or digit so that it is never ``-`` (standard input)
#: or an option on the command line.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

#: ``ID:LOCATION`` as an environment is written: the id as the registry spells ids.
STORE_LOCATION = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*):(.+)", re.DOTALL)


def is_valid_name(name: str) -> bool:
    """Whether ``name`` may name an environment or a sync.

    Where a location goes, a word spelled so can be an environment; ``./dev``,
    ``envfile:dev`` and ``.env.local`` never are, so they are always locations.
    """
    return NAME.fullmatch(name) is not None


@attrs.frozen
class Environment:
    """A named place the project's secrets live: a store and a location in it."""

    name: str
    store_id: str
    location: str

    def __str__(self) -> str:
        """``ID:LOCATION``, as ``--from`` and ``--to`` take it."""
        return f"{self.store_id}:{self.location}"


#: ``required``: every environment (True), none (False), or the environments named.
Required = bool | frozenset[str]


@attrs.frozen
class DeclaredKey:
    """A secret the project needs, and where it is required."""

    name: str
    description: str = ""
    required: Required = True

    def is_required_in(self, environment: str | None) -> bool:
        """Whether this key must exist in ``environment`` (None: a place that is no environment).

        A key required in named environments only is not required in a place
        that is no environment at all; one required everywhere is.
        """
        if isinstance(self.required, bool):
            return self.required
        return environment is not None and environment in self.required


@attrs.frozen
class NamedSync:
    """One entry of ``secrets.syncs``: a copy ``secrets sync`` runs by name.

    ``source`` and ``target`` are as written: an environment name, or an
    ``ID:LOCATION`` or path (resolved by
    :func:`~stagecraft.config.location_words.resolve_location`).  ``keys`` is
    None when the sync names none: then the declared keys, or every key when
    none are declared.
    """

    name: str
    source: str
    target: str
    keys: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    prune: bool = False


@attrs.frozen
class Manifest:
    """What ``stagecraft.yml`` says the project's secrets are.  Empty when it says nothing."""

    environments: Mapping[str, Environment] = attrs.field(factory=dict)
    #: The declared keys in file order; empty when none are declared.
    keys: tuple[DeclaredKey, ...] = ()
    syncs: tuple[NamedSync, ...] = ()
    #: The example env file the keys came from (as written), when ``keys`` named one.
    keys_file: str | None = None

    @property
    def declares_keys(self) -> bool:
        return bool(self.keys)

    def key_names(self) -> list[str]:
        return [key.name for key in self.keys]

    def sync(self, name: str) -> NamedSync | None:
        return next((sync for sync in self.syncs if sync.name == name), None)


def keys_for_sync(
    manifest: Manifest, sync_keys: Iterable[str] | None, source_keys: Collection[str]
) -> list[str] | None:
    """The keys (names or globs) a sync copies: its own, else the declared ones, else all (None).

    With keys declared, a sync that names no keys of its own copies the
    declared keys present in the source (``source_keys``) only, so that a
    stray key in a source does not spread; a declared key absent from the
    source is no selection error (:func:`require_values` says whether it
    is required).  An empty list then means nothing to copy, not every key.
    """
    if sync_keys is not None:
        return list(sync_keys)
    if not manifest.declares_keys:
        return None
    return [name for name in manifest.key_names() if name in source_keys]


def applicable_keys(
    manifest: Manifest, sync_keys: Iterable[str] | None = None, exclude: Iterable[str] = ()
) -> list[DeclaredKey]:
    """The declared keys a sync copies: those its keys (names or globs) select, minus ``exclude``.

    ``sync_keys`` None (the sync names no keys, or a command gave none) selects
    every declared key.
    """
    wanted = None if sync_keys is None else list(sync_keys)
    dropped = list(exclude)
    return [
        key
        for key in manifest.keys
        if (wanted is None or matches_any(key.name, wanted))
        and not matches_any(key.name, dropped)
    ]


def required_in(keys: Iterable[DeclaredKey], environment: str | None) -> list[str]:
    """The names of ``keys`` required in ``environment``, in order.

    ``keys`` are the declared keys that apply (:func:`applicable_keys`);
    ``environment`` is the environment a sync writes to (or a command runs
    with), None for a place that is no environment.
    """
    return [key.name for key in keys if key.is_required_in(environment)]


def require_values(
    required: Iterable[str],
    values: Mapping[str, str],
    source: str,
    environment: str | None,
    *,
    error: type[MissingDeclaredKeysError] = MissingDeclaredKeysError,
) -> None:
    """Raise ``error`` naming every key of ``required`` that ``values`` (the source) lacks
    or holds empty, before anything is written or started.

    This is what keeps a wrong or empty source from emptying a target: an
    empty file lacks the keys, and a template such as ``.env.example`` holds
    them with empty values, which would blank every one of them.
    """
    unusable = [name for name in required if not values.get(name)]
    if unusable:
        raise error(unusable, source, environment,
                    empty=[name for name in unusable if name in values])


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` equals or matches (a shell glob, case-sensitively) one of ``patterns``."""
    return any(name == pattern or fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
