"""The secrets provider interface and the registry that holds providers.

A provider moves secrets from a source to a target.  The pieces here are the
contract between the core and every provider plugin:

* :class:`SyncOptions`: what to sync (the provider's config section, source,
  target, keys, dry run).
* :class:`SecretsProvider`: the protocol a provider implements.
* :class:`Context`: the run's working directory, cancellation, deadline,
  logger and redactor.
* :class:`SyncResult`: per-key changes, never values.
* :class:`Registry`: providers by id, sorted and thread-safe.

The module-level :func:`register`, :func:`get`, :func:`has`, :func:`ids` and
:func:`list_providers` act on a default registry that is built from the
installed plugins the first time one of them is called.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from stagecraft.errors import (
    CancelledError,
    DeadlineError,
    PluginError,
    ProviderError,
    StagecraftError,
    UserError,
    did_you_mean,
)
from stagecraft.interrupts import Interrupts
from stagecraft.redact import Redactor

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    "get",
    "has",
    "ids",
    "list_providers",
    "register",
    "reset_default_registry",
]


# --------------------------------------------------------------------- errors


class EmptyProviderIDError(PluginError):
    """A provider has an empty id."""


class InvalidProviderError(PluginError):
    """Something that is not a provider was offered as one."""


class DuplicateProviderError(PluginError):
    """Two different providers claim the same id.

    ``conflicts`` maps each contested id to every origin that provided it.
    """

    def __init__(self, conflicts: dict[str, list[Origin]]) -> None:
        self.conflicts = {key: list(origins) for key, origins in sorted(conflicts.items())}
        lines = ["conflicting secrets provider ids:"]
        for provider_id, origins in self.conflicts.items():
            counts: dict[Origin, int] = {}
            for origin in origins:
                counts[origin] = counts.get(origin, 0) + 1
            named = " and ".join(
                str(origin) if n == 1 else f"{origin} ({n} different objects)"
                for origin, n in counts.items()
            )
            lines.append(f"  {provider_id!r} is provided by {named}")
        lines.append(
            "Disable all but one of them: `-p no:NAME`, `plugins.disable` in "
            "stagecraft.yml, or STAGECRAFT_DISABLE_PLUGINS=NAME."
        )
        super().__init__("\n".join(lines))


class UnknownProviderError(UserError):
    """No provider has the requested id."""

    def __init__(self, provider_id: str, available: Sequence[str]) -> None:
        self.provider_id = provider_id
        self.available = tuple(available)
        # "loaded", not "installed": plugins may be installed yet filtered out
        # (STAGECRAFT_LOAD_PLUGINS, -p no:NAME); `stagecraft plugins` lists them.
        listed = ", ".join(self.available) if self.available else "none loaded"
        super().__init__(
            f"unknown secrets provider {provider_id!r}"
            f"{did_you_mean(provider_id, self.available)} (available: {listed})"
        )


class InvalidOptionsError(UserError, ValueError):
    """:class:`SyncOptions` were given invalid keys."""


class MissingKeysError(UserError):
    """Requested keys (or glob patterns) match nothing in the source.

    Raised before anything is written.  ``patterns`` are the glob patterns
    that matched no key; ``excluded`` says they came from ``--exclude``.
    """

    def __init__(
        self,
        keys: Iterable[str],
        source: str,
        *,
        patterns: Iterable[str] = (),
        excluded: bool = False,
    ) -> None:
        from stagecraft.errors import printable

        self.keys = tuple(sorted(keys))
        self.patterns = tuple(patterns)
        self.source = source
        parts = []
        if self.keys:
            noun = "key" if len(self.keys) == 1 else "keys"
            parts.append(f"requested {noun} not found: {', '.join(map(printable, self.keys))}")
        if self.patterns:
            what = "--exclude pattern" if excluded else "pattern"
            noun = what if len(self.patterns) == 1 else what + "s"
            listed = ", ".join(map(printable, self.patterns))
            parts.append(f"{noun} matched no key: {listed}")
        super().__init__(f"{source}: " + "; ".join(parts))


class PartialSyncError(ProviderError):
    """Some keys were synced and some failed.

    ``result`` holds the changes that did happen, ``failed`` maps each key that
    was not synced to the reason (which never includes its value), and
    ``unknown`` each key whose write was sent but not answered (a timeout, a
    second Ctrl-C): it may or may not have been written.
    """

    def __init__(
        self, message: str, result: SyncResult, failed: dict[str, str],
        unknown: dict[str, str] | None = None,
    ) -> None:
        self.result = result
        self.failed = dict(sorted(failed.items()))
        self.unknown = dict(sorted((unknown or {}).items()))
        lines = [message]
        done = [change.key for change in result.changes]
        lines.append(f"  synced ({len(done)}): {', '.join(done) if done else '-'}")
        if self.failed or not self.unknown:
            lines.append(f"  not synced ({len(self.failed)}):")
            lines.extend(f"    {key}: {reason}" for key, reason in self.failed.items())
        if self.unknown:
            lines.append(f"  unknown, may or may not have been written ({len(self.unknown)}):")
            lines.extend(f"    {key}: {reason}" for key, reason in self.unknown.items())
        super().__init__("\n".join(lines))


# ------------------------------------------------------------------- results


class Action(str, enum.Enum):
    """What a sync did (or would do) to one key of the target."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"

    def __str__(self) -> str:
        return self.value


def _to_action(action: Action | str) -> Action:
    return action if isinstance(action, Action) else Action(action)


@attrs.frozen
class Change:
    """One key and what happened to it.  Deliberately has no value field."""

    key: str
    action: Action = attrs.field(converter=_to_action)


def _to_changes(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(changes)


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

    @property
    def added(self) -> tuple[str, ...]:
        return self.keys_with(Action.ADDED)

    @property
    def updated(self) -> tuple[str, ...]:
        return self.keys_with(Action.UPDATED)

    @property
    def unchanged(self) -> tuple[str, ...]:
        return self.keys_with(Action.UNCHANGED)

    @property
    def removed(self) -> tuple[str, ...]:
        return self.keys_with(Action.REMOVED)

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
    #: Glob patterns of keys to leave out (``--exclude``); stores only.
    exclude: tuple[str, ...] = attrs.field(default=(), converter=_to_keys)
    #: Remove target keys the source lacks, within the selection (``--prune``); stores only.
    prune: bool = False
    #: Read and update the record of what was written to write-only stores
    #: (``--no-record`` turns it off); stores only.  See :mod:`stagecraft.record`.
    record: bool = True

    @keys.validator
    def _check_keys(self, _attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        seen: set[str] = set()
        duplicates: list[str] = []
        for key in value:
            if not isinstance(key, str) or not key.strip():
                raise InvalidOptionsError("key names must be non-empty strings")
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        if duplicates:
            raise InvalidOptionsError(f"key requested more than once: {', '.join(duplicates)}")

    def select(self, available: Iterable[str], *, source: str) -> list[str]:
        """The keys to sync: all of ``available`` or the requested ones.

        Raises :class:`MissingKeysError` naming every requested key that
        ``available`` lacks, so a provider can fail before writing anything.
        """
        names = list(available)
        if not self.keys:
            return names
        present = set(names)
        missing = [key for key in self.keys if key not in present]
        if missing:
            raise MissingKeysError(missing, source)
        return list(self.keys)


# ------------------------------------------------------------------- context


def _default_logger() -> logging.Logger:
    return logging.getLogger("stagecraft")


def _absolute(path: str | Path) -> Path:
    # resolve() promises an absolute path, so the bases it joins onto must be.
    return Path(path).absolute()


class Context:
    """What a provider needs to know about the run, beyond the options.

    * ``cwd``: the working directory; paths given on the command line are
      relative to it.
    * ``config_dir``: the directory of ``stagecraft.yml`` (``cwd`` without
      one); paths from the config file are relative to it.
    * ``deadline``: a :func:`time.monotonic` time after which the sync should
      stop (None for no deadline); see :meth:`check`.
    * ``logger``: where providers log; values must never be logged.
    * ``redactor``: providers register the values they read with
      :meth:`add_secrets`, so the command can mask them should one slip into
      an error message.

    A plain class, not attrs (``attrs.evolve`` does not apply): it is a
    handle on the run rather than a value, compared by identity, and every
    command defines it, so generated methods would only cost start-up time.
    Assigned paths are made absolute, as the constructor makes them.
    """

    __slots__ = (
        "__weakref__", "_cancelled", "_config_dir", "_cwd", "_interrupts", "config", "configs",
        "deadline", "logger", "on_progress", "redactor", "registry",
    )

    def __init__(
        self,
        cwd: str | Path | None = None,
        config_dir: str | Path | None = None,
        deadline: float | None = None,
        logger: logging.Logger | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.cwd = Path.cwd() if cwd is None else cwd
        self.config_dir = config_dir
        self.deadline = deadline
        self.logger: logging.Logger = _default_logger() if logger is None else logger
        self.redactor: Redactor = Redactor() if redactor is None else redactor
        self._cancelled = threading.Event()
        self._interrupts = Interrupts()
        #: The typed config of the store being called (set by the engine).
        self.config: Any = None
        #: Where ``--from ID:`` / ``--to ID:`` look stores up (None: the default registry).
        self.registry: Registry | None = None
        #: Structures a provider's ``stagecraft.yml`` section (defaults when absent).
        self.configs: Callable[[SecretsProvider], Any] | None = None
        #: Told ``(store id, keys written, keys to write)`` as writes finish (a progress
        #: display); never a value.  Called from the engine's worker threads.
        self.on_progress: Callable[[str, int, int], None] | None = None

    def for_store(self, config: Any) -> Context:
        """A context for one store of a sync: its own ``config``, everything else shared.

        Cancelling either context cancels both: they share one event.
        """
        child = Context(self.cwd, self.config_dir, self.deadline, self.logger, self.redactor)
        child._cancelled = self._cancelled
        child._interrupts = self._interrupts
        child.registry = self.registry
        child.configs = self.configs
        child.on_progress = self.on_progress
        child.config = config
        return child

    @property
    def cwd(self) -> Path:
        return self._cwd

    @cwd.setter
    def cwd(self, value: str | Path) -> None:
        self._cwd = _absolute(value)

    @property
    def config_dir(self) -> Path:
        return self._config_dir

    @config_dir.setter
    def config_dir(self, value: str | Path | None) -> None:
        """None means ``cwd`` (no config file)."""
        self._config_dir = self._cwd if value is None else _absolute(value)

    def __repr__(self) -> str:
        return (
            f"Context(cwd={self.cwd!r}, config_dir={self.config_dir!r}, "
            f"deadline={self.deadline!r})"
        )

    # -- cancellation -------------------------------------------------------

    def cancel(self) -> None:
        """Ask the sync to stop at its next :meth:`check`."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def abandon(self) -> None:
        """Stop waiting for the calls in flight (a second Ctrl-C): cancel, and stop them.

        Runs every stopper registered with :meth:`stoppable` (a store kills
        the child process it waits for); the keys of those calls are
        reported as unknown.
        """
        self._cancelled.set()
        self._interrupts.stop_all()

    @property
    def abandoned(self) -> bool:
        return self._interrupts.stopped.is_set()

    @contextlib.contextmanager
    def interruptible(self) -> Iterator[None]:
        """While the block runs, nothing is in flight that must finish (reading, planning).

        The command's Ctrl-C then stops at once (KeyboardInterrupt in the main
        thread) rather than at the next :meth:`check`; outside such blocks it
        only cancels, so that writes in flight finish.
        """
        with self._interrupts.lock:
            self._interrupts.interruptible += 1
        try:
            yield
        finally:
            with self._interrupts.lock:
                self._interrupts.interruptible -= 1

    @property
    def stops_at_once(self) -> bool:
        """Whether a Ctrl-C now may stop the run at once (see :meth:`interruptible`)."""
        return self._interrupts.interruptible > 0

    @contextlib.contextmanager
    def stoppable(self, stop: Callable[[], None]) -> Iterator[None]:
        """While the block runs, :meth:`abandon` calls ``stop`` (at once if already abandoned).

        ``stop`` must be quick and safe from another thread (``os.killpg`` of a child).
        """
        with self._interrupts.registered(stop):
            yield

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None when there is none)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``; wakes at once when the sync is cancelled."""
        self._cancelled.wait(seconds)

    def check(self) -> None:
        """Raise :class:`CancelledError` if cancelled or past the deadline."""
        if self._cancelled.is_set():
            raise CancelledError("sync cancelled")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise DeadlineError("sync ran past its deadline")

    # -- paths and secrets ----------------------------------------------------

    def resolve(self, path: str | Path, *, from_config: bool = False) -> Path:
        """Make ``path`` absolute: config paths against ``config_dir``, others against ``cwd``."""
        candidate = Path(path).expanduser()
        if candidate.is_absolute():
            return candidate
        base = self.config_dir if from_config else self.cwd
        return base / candidate

    def add_secrets(self, values: Iterable[str]) -> None:
        """Register values the sync handles, so they are masked in any output."""
        self.redactor.update(values)


# ------------------------------------------------------------------ protocol


@runtime_checkable
class SecretsProvider(Protocol):
    """What a secrets provider implements.

    A provider may also have a ``Config`` attribute holding an attrs class:
    the core then structures the provider's section of ``stagecraft.yml``
    into it and passes the instance as ``SyncOptions.config``.
    """

    @property
    def id(self) -> str: ...

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult: ...


# ------------------------------------------------------------------ registry


@attrs.frozen
class Origin:
    """Where a provider came from, for messages and listings."""

    plugin: str = ""
    distribution: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        text = f"plugin {self.plugin!r}" if self.plugin else "an unnamed caller"
        if self.distribution:
            text += f" ({self.distribution} {self.version or '?'})"
        return text


def provider_id(provider: object) -> str:
    """The id of ``provider``, checking that it is shaped like a provider.

    A provider *class* with a class-level ``id`` passes the protocol check,
    but calling its ``sync`` would fail much later with a confusing
    TypeError, so classes are rejected here with the fix spelled out.
    """
    if isinstance(provider, type):
        name = provider.__name__
        raise InvalidProviderError(
            f"the class {name} was given instead of an instance; use {name}() to create one"
        )
    if not isinstance(provider, SecretsProvider):
        raise InvalidProviderError(
            f"{type(provider).__name__} object is not a secrets provider "
            "(it needs an `id` string and a `sync(ctx, opts)` method)"
        )
    value = provider.id
    if not isinstance(value, str):
        raise InvalidProviderError(
            f"{type(provider).__name__}.id is {type(value).__name__}, not str"
        )
    if not callable(provider.sync):
        raise InvalidProviderError(f"{type(provider).__name__}.sync is not callable")
    if value.strip() and not _VALID_ID.fullmatch(value):
        # An empty id has its own error (EmptyProviderIDError) in the registry.
        raise InvalidProviderError(
            f"{type(provider).__name__}.id {value!r} is not a valid provider id: "
            "use letters, digits, '-', '_' and '.' only"
        )
    return value


#: What a provider id may hold: ids are typed on command lines and in
#: ``--to ID:LOCATION`` (so no ``:``), and shown in tables (so no spaces).
_VALID_ID = re.compile(r"[A-Za-z0-9._-]+")


class Registry:
    """Providers by id: sorted, de-duplicated and thread-safe.

    * ``register(p)`` adds a provider; the same object again is a no-op, a
      different provider with a taken id raises :class:`DuplicateProviderError`
      and an empty id :class:`EmptyProviderIDError`.
    * ``get(id)`` returns it or raises :class:`UnknownProviderError` listing
      the available ids.
    * ``ids()`` and ``list()`` are in lexicographic order of id.
    """

    def __init__(self, providers: Iterable[SecretsProvider] = ()) -> None:
        self._lock = threading.RLock()
        self._providers: dict[str, SecretsProvider] = {}
        self._origins: dict[str, Origin] = {}
        self._sorted_ids: tuple[str, ...] = ()
        for provider in providers:
            self.register(provider)

    def __repr__(self) -> str:
        return f"<Registry ids={list(self.ids())!r}>"

    def __len__(self) -> int:
        return len(self._providers)

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._providers

    def __iter__(self) -> Iterator[SecretsProvider]:
        return iter(self.list())

    def register(self, provider: SecretsProvider, origin: Origin | None = None) -> None:
        """Add ``provider``; ``origin`` says where it came from, for messages."""
        key = provider_id(provider)
        origin = origin or Origin()
        if not key.strip():
            raise EmptyProviderIDError(f"{origin} contributed a secrets provider with an empty id")
        with self._lock:
            existing = self._providers.get(key)
            if existing is provider:
                return
            if existing is not None:
                raise DuplicateProviderError({key: [self._origins[key], origin]})
            self._providers[key] = provider
            self._origins[key] = origin
            self._sorted_ids = tuple(sorted(self._providers))

    def get(self, provider_id: str) -> SecretsProvider:
        """The provider with this id."""
        with self._lock:
            provider = self._providers.get(provider_id)
            if provider is None:
                raise UnknownProviderError(provider_id, self._sorted_ids)
            return provider

    def has(self, provider_id: str) -> bool:
        return provider_id in self._providers

    def ids(self) -> tuple[str, ...]:
        """Every id, in lexicographic order."""
        return self._sorted_ids

    def list(self) -> list[SecretsProvider]:
        """Every provider, sorted by id."""
        with self._lock:
            return [self._providers[key] for key in self._sorted_ids]

    def origin(self, provider_id: str) -> Origin:
        """Where the provider with this id came from."""
        with self._lock:
            if provider_id not in self._origins:
                raise UnknownProviderError(provider_id, self._sorted_ids)
            return self._origins[provider_id]


# ------------------------------------------------------- default registry

# Re-entrant so that a plugin touching the default registry while it is being
# built (say, calling register() at import time) gets a clear error from the
# check below instead of deadlocking its own thread.
_default_lock = threading.RLock()
_default: Registry | None = None
_building = threading.local()
#: Builds the default registry; the plugin layer hands it over when it is imported
#: (this module, the interface, knows nothing of how plugins are found).
_factory: Callable[[], Registry] | None = None


def set_default_registry_factory(factory: Callable[[], Registry]) -> None:
    """Say how the default registry is built (:mod:`stagecraft.plugins` does, on import)."""
    global _factory
    _factory = factory


def default_registry() -> Registry:
    """The registry of the installed plugins, built on first use."""
    global _default
    with _default_lock:
        if _default is None:
            if getattr(_building, "active", False):
                raise PluginError(
                    "the default secrets provider registry was used while it is being built "
                    "(a plugin called stagecraft.providers.secrets functions at import time); "
                    "return providers from the secrets_provider_register hook instead"
                )
            if _factory is None:
                import stagecraft

                stagecraft.wire_default_registry()
            assert _factory is not None
            _building.active = True
            try:
                _default = _factory()
            finally:
                _building.active = False
        return _default


def reset_default_registry(registry: Registry | None = None) -> None:
    """Forget (or replace) the default registry; the next use rebuilds it."""
    global _default
    with _default_lock:
        _default = registry


def register(provider: SecretsProvider, origin: Origin | None = None) -> None:
    """Add a provider to the default registry."""
    default_registry().register(provider, origin)


def get(provider_id: str) -> SecretsProvider:
    """The provider with this id from the default registry."""
    return default_registry().get(provider_id)


def has(provider_id: str) -> bool:
    return default_registry().has(provider_id)


def ids() -> tuple[str, ...]:
    return default_registry().ids()


def list_providers() -> list[SecretsProvider]:
    return default_registry().list()
