"""What a run's interruption reaches: the calls in flight it stops, and whether it may stop at once.

The command's first Ctrl-C cancels a sync (no new write starts) or, while
nothing is in flight, stops it at once; a second one abandons the calls in
flight, and each store that registered how to stop its own (a child
process) is told to.  :class:`~stagecraft.Context` holds one
:class:`Interrupts`, shared with the contexts it makes for each store.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence

__all__ = ["Interrupts", "run_in_threads"]


def run_in_threads(
    jobs: Sequence[tuple[str, Callable[[], None]]], *, stop_waiting: Callable[[], None]
) -> None:
    """Run each ``(name, job)`` on a thread of its own and wait for them all.

    A Ctrl-C while waiting (the run's second: the first only cancels, which
    the jobs see through their context) calls ``stop_waiting`` and returns
    without them: their threads are daemons, so a call that never answers
    cannot keep the process alive, and ``stop_waiting`` records what they
    were doing as unknown.
    """
    threads = [threading.Thread(target=job, name=name, daemon=True) for name, job in jobs]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        stop_waiting()


class Interrupts:
    """How one run may be interrupted (shared by its contexts): what
    :meth:`~stagecraft.Context.abandon` stops (callbacks registered while calls
    are in flight), and whether a Ctrl-C may stop it at once."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.interruptible = 0
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next = 0

    @contextlib.contextmanager
    def registered(self, stop: Callable[[], None]) -> Iterator[None]:
        with self.lock:
            number = self._next
            self._next += 1
            self._callbacks[number] = stop
            already = self.stopped.is_set()
        try:
            if already:
                stop()
            yield
        finally:
            with self.lock:
                self._callbacks.pop(number, None)

    def stop_all(self) -> None:
        with self.lock:
            self.stopped.set()
            callbacks = list(self._callbacks.values())
        for stop in callbacks:
            with contextlib.suppress(Exception):  # one that fails leaves the others to run
                stop()
