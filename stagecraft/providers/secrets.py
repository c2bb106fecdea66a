"""The secrets provider interface and the registry that holds providers.

A provider moves secrets from a source to a target.  The pieces here are the
contract between the core and every provider plugin:

* :class:`SyncOptions`: what to sync (the provider's config section, source,
  target, keys, dry run).
* :class:`Context` (from :mod:`stagecraft.context`): the run's working
  directory, cancellation, deadline, logger, redactor and registry.
* :class:`SyncResult`: per-key changes, never values.
* :class:`SecretsProvider` and :class:`Registry` (providers by id, sorted,
  thread-safe, checked once), from :mod:`stagecraft.providers.protocol` and
  :mod:`stagecraft.providers.registry`.

The module-level :func:`register`, :func:`get`, :func:`has`, :func:`ids` and
:func:`list_providers` are a thin facade over one default registry, built
from the installed plugins the first time one of them is called
(:mod:`stagecraft.providers.default_registry`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, overload

import attrs

from stagecraft.context import Context
from stagecraft.errors import (
    CancelledError,
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidOptionsError,
    InvalidProviderError,
    MissingKeysError,
    PartialSyncError,
    ProviderError,
    StagecraftError,
    UnknownProviderError,
)
from stagecraft.providers.default_registry import (
    default_registry,
    get,
    has,
    ids,
    list_providers,
    register,
    reset_default_registry,
    set_default_registry_factory,
)
from stagecraft.providers.protocol import SecretsProvider
from stagecraft.providers.registry import Origin, Registry, provider_id
from stagecraft.redact import Structural
from stagecraft.selection import select
from stagecraft.text_enum import TextEnum

if TYPE_CHECKING:
    from stagecraft.sync_scope import SyncScope

__all__ = [
    "Action",
    "CancelledError",
    "Change",
    "Context",
    "DuplicateProviderError",
    "EmptyProviderIDError",
    "InvalidOptionsError",
    "InvalidProviderError",
    "MissingKeysError",
    "Origin",
    "PartialSyncError",
    "ProviderError",
    "Registry",
    "SecretsProvider",
    "StagecraftError",
    "SyncOptions",
    "SyncResult",
    "UnknownProviderError",
    "default_registry",
    "get",
    "has",
    "ids",
    "list_providers",
    "provider_id",
    "register",
    "reset_default_registry",
    "set_default_registry_factory",
]


# --------------------------------------------------------------------- errors


# ------------------------------------------------------------------- results


class Action(TextEnum):
    """What a sync did (or would do) to one key of the target.

    ``CONFLICT``: the key was changed in the target since this machine last
    synced it, so the sync wrote nothing (see :mod:`stagecraft.record`).
    """

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    CONFLICT = "conflict"


def _to_action(action: Action | str) -> Action:
    return action if isinstance(action, Action) else Action(action)


@attrs.frozen
class Change:
    """One key and what happened to it.  Deliberately has no value field."""

    key: str
    action: Action = attrs.field(converter=_to_action)


def _to_changes(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(changes)


class _KeysWith:
    """A read-only attribute of :class:`SyncResult`: the keys whose change is one action."""

    def __init__(self, action: Action) -> None:
        self.action = action

    @overload
    def __get__(self, result: None, owner: type[SyncResult]) -> _KeysWith: ...
    @overload
    def __get__(self, result: SyncResult, owner: type[SyncResult]) -> tuple[str, ...]: ...
    def __get__(
        self, result: SyncResult | None, owner: type[SyncResult]
    ) -> _KeysWith | tuple[str, ...]:
        return self if result is None else result.keys_with(self.action)


@attrs.frozen
class SyncResult:
    """The outcome of one sync: an action per key, in the provider's order.

    It never holds values, so it is safe to print, log and serialise.
    """

    changes: tuple[Change, ...] = attrs.field(default=(), converter=_to_changes)
    #: Where the sync read and wrote, as resolved (``""``: not said); names, never values.
    source: str = attrs.field(default="", kw_only=True)
    target: str = attrs.field(default="", kw_only=True)

    @changes.validator
    def _check_unique(self, _attribute: attrs.Attribute[Any], value: tuple[Change, ...]) -> None:
        seen: set[str] = set()
        for change in value:
            if not isinstance(change, Change):
                raise TypeError(f"SyncResult.changes holds {type(change).__name__}, not Change")
            if change.key in seen:
                raise ValueError(f"SyncResult lists key {change.key!r} twice")
            seen.add(change.key)

    @classmethod
    def from_actions(cls, actions: Iterable[tuple[str, Action | str]]) -> SyncResult:
        """Build a result from ``(key, action)`` pairs."""
        return cls(Change(key, action) for key, action in actions)

    def keys_with(self, action: Action) -> tuple[str, ...]:
        """Keys whose change is ``action``, in order."""
        return tuple(change.key for change in self.changes if change.action is action)

    added = _KeysWith(Action.ADDED)
    updated = _KeysWith(Action.UPDATED)
    unchanged = _KeysWith(Action.UNCHANGED)
    removed = _KeysWith(Action.REMOVED)
    conflicts = _KeysWith(Action.CONFLICT)

    @property
    def changed(self) -> bool:
        """True when the target differs (or would differ) from before."""
        return any(change.action is not Action.UNCHANGED for change in self.changes)


# ------------------------------------------------------------------- options


def _to_keys(keys: Iterable[str]) -> tuple[str, ...]:
    if isinstance(keys, str):
        # A lone string would otherwise become a tuple of characters.
        return (keys,)
    return tuple(keys)


@attrs.frozen
class SyncOptions:
    """What one sync should do.

    ``config`` is the provider's own section of ``stagecraft.yml`` (structured
    into the provider's ``Config`` class when it declares one), or None.
    ``source`` and ``target`` come from ``--from`` / ``--to``; empty means
    "use the provider's configured default".  ``keys`` empty means all keys.
    """

    config: Any = None
    source: str = ""
    target: str = ""
    keys: tuple[str, ...] = attrs.field(default=(), converter=_to_keys)
    dry_run: bool = False
    #: Glob patterns of keys to leave out (``--exclude``); :meth:`select` applies them.
    exclude: tuple[str, ...] = attrs.field(default=(), converter=_to_keys)
    #: Remove target keys the source lacks, within the selection (``--prune``); the
    #: engine plans it for stores that declare ``can_delete``.
    prune: bool = False
    #: Read and update the record of what this machine last synced to each target
    #: (``--no-record`` turns it off).  See :mod:`stagecraft.record`.
    record: bool = True
    #: With ``prune``: go on when the source yields no selected key, so every
    #: selected target key is removed (``--allow-empty-source``).
    allow_empty_source: bool = False
    #: Overwrite keys changed in the target since the last sync (``--force``);
    #: without it such a key is a conflict and nothing is written.
    force: bool = False
    #: What the project's declared keys add (:mod:`stagecraft.sync_scope`): the keys
    #: a sync naming none may copy, and those the source must hold.  Set by the
    #: core from stagecraft.yml; None: no keys are declared.
    scope: SyncScope | None = None

    @keys.validator
    def _check_keys(self, _attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        seen: set[str] = set()
        duplicates: list[str] = []
        for key in value:
            if not isinstance(key, str) or not key.strip():
                raise InvalidOptionsError(Structural("key names must be non-empty strings"))
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        if duplicates:
            raise InvalidOptionsError(
                Structural(f"key requested more than once: {', '.join(duplicates)}")
            )

    def select(self, available: Iterable[str], *, source: str) -> list[str]:
        """The keys to sync: those of ``available`` that ``keys`` selects, minus ``exclude``.

        The engine's one selection (:func:`stagecraft.selection.select`):
        names and glob patterns.  Raises :class:`MissingKeysError` naming
        every requested key or pattern that ``available`` lacks, so a
        provider can fail before writing anything.
        """
        return select(available, self.keys, self.exclude, where=source)
