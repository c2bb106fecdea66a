"""The secrets provider interface and the registry that holds providers.

A provider moves secrets from a source to a target.  The pieces here are the
contract between the core and every provider plugin:

* :class:`SyncOptions`: what to sync (the provider's config section, source,
  target, keys, dry run).
* :class:`Context`: the run's working directory, cancellation, deadline,
  logger and redactor.
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

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from stagecraft.errors import (
    CancelledError,
    DeadlineError,
    ProviderError,
    StagecraftError,
    UserError,
)
from stagecraft.interrupts import Interrupts
from stagecraft.key_reasons import reason_lines
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
from stagecraft.providers.registry import (
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidProviderError,
    Origin,
    Registry,
    UnknownProviderError,
    provider_id,
)
from stagecraft.redact import Redactor
from stagecraft.text_enum import TextEnum

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
            lines += reason_lines(self.failed, "    ")
        if self.unknown:
            lines.append(f"  unknown, may or may not have been written ({len(self.unknown)}):")
            lines += reason_lines(self.unknown, "    ")
        super().__init__("\n".join(lines))


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
    def conflicts(self) -> tuple[str, ...]:
        return self.keys_with(Action.CONFLICT)

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
    #: Read and update the record of what this machine last synced to each target
    #: (``--no-record`` turns it off); stores only.  See :mod:`stagecraft.record`.
    record: bool = True
    #: With ``prune``: go on when the source yields no selected key, so every
    #: selected target key is removed (``--allow-empty-source``); stores only.
    allow_empty_source: bool = False
    #: Overwrite keys changed in the target since the last sync (``--force``);
    #: without it such a key is a conflict and nothing is written.  Stores only.
    force: bool = False

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
        "deadline", "endpoints", "logger", "on_progress", "redactor", "registry",
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
        #: ``source`` and ``target`` of the sync being run, as its result names them, once
        #: the engine has resolved them: a failure's report names them too.
        self.endpoints: dict[str, str] = {}

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
        child.endpoints = self.endpoints
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
