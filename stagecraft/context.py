"""The run context: what a provider and a store know about the run, beyond the options.

A :class:`Context` is frozen: whoever runs a sync builds it once with
everything it holds, and what differs per store of a sync (the store's typed
config) is a new context made by :meth:`Context.for_store`, sharing the
run's cancellation, registry and callbacks.  It is generic in the config it
carries, so a store that declares ``Config`` and takes a
``Context[Config]`` has ``ctx.config`` typed as that class: ``mypy --strict``
reports a misspelled attribute.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic

import attrs

from stagecraft.errors import CancelledError, DeadlineError
from stagecraft.interrupts import Interrupts
from stagecraft.redact import Redactor, Structural

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from stagecraft.providers.registry import Registry

    #: The type of a store's config; a bare ``Context`` carries ``Any``.
    ConfigT = TypeVar("ConfigT", default=Any)
else:
    from typing import TypeVar

    ConfigT = TypeVar("ConfigT")

__all__ = ["ConfigT", "Context"]


def _absolute(path: str | Path) -> Path:
    # resolve() promises an absolute path, so the bases it joins onto must be.
    return Path(path).absolute()


def _default_logger() -> logging.Logger:
    return logging.getLogger("stagecraft")


@attrs.frozen(eq=False, repr=False)
class Context(Generic[ConfigT]):
    """The run: where, until when, how to log and mask, and (per store) the store's config.

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
    * ``registry``: where ``--from ID:LOCATION`` finds its store (None: only
      the target store and env files can be named).
    * ``configs``: structures a provider's ``stagecraft.yml`` section (given the provider).
    * ``on_progress``: told ``(store id, keys written, keys to write)`` as
      writes finish (a progress display); never a value; called from the
      engine's worker threads.
    * ``config``: the typed config of the store being called (see
      :meth:`for_store`).

    Compared by identity: it is a handle on the run, not a value.
    """

    cwd: Path = attrs.field(factory=Path.cwd, converter=_absolute)
    config_dir: Path = attrs.field(default=None)
    deadline: float | None = None
    logger: logging.Logger = attrs.field(factory=_default_logger)
    redactor: Redactor = attrs.field(factory=Redactor)
    registry: Registry | None = attrs.field(default=None, kw_only=True)
    configs: Callable[[Any], Any] | None = attrs.field(default=None, kw_only=True)
    on_progress: Callable[[str, int, int], None] | None = attrs.field(default=None, kw_only=True)
    config: ConfigT = attrs.field(default=None, kw_only=True)
    #: ``source`` and ``target`` of the sync being run, as its result names them, once
    #: the engine has resolved them: a failure's report names them too.
    endpoints: dict[str, str] = attrs.field(factory=dict, kw_only=True)
    _cancelled: threading.Event = attrs.field(
        factory=threading.Event, kw_only=True, alias="cancel_event"
    )
    #: What an interruption reaches (shared by every context of the run).
    _interrupts: Interrupts = attrs.field(factory=Interrupts, kw_only=True, alias="interrupts")

    def __attrs_post_init__(self) -> None:
        # None means ``cwd`` (no config file); given paths are made absolute.
        directory = self.cwd if self.config_dir is None else _absolute(self.config_dir)
        object.__setattr__(self, "config_dir", directory)

    def for_store(self, config: Any) -> Context[Any]:
        """A context for one store of a sync: its own ``config``, everything else shared.

        Cancelling either context cancels both: they share one event (and
        what an interruption reaches).
        """
        return attrs.evolve(self, config=config)

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
            raise CancelledError(Structural("sync cancelled"))
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise DeadlineError(Structural("sync ran past its deadline"))

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
