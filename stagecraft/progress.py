"""One updating line on a terminal while a sync writes: ``encore: 23/60 keys written``.

Remote stores write key by key and can take a while; a person at a
terminal should see that the command is alive.  The line shows counts and
the store id, never a key or a value.  It appears only after
:data:`DELAY` seconds (a quick sync prints nothing extra), is redrawn in
place with a carriage return, and is erased when the sync ends or before
any other line is written to the same stream, so it never mixes with
diagnostics.  The command creates it only when stderr is a terminal and
``-q`` is not given: pipes and CI logs stay byte for byte as they were.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

__all__ = ["DELAY", "ProgressLine"]

#: Seconds a sync writes before the line appears.
DELAY = 1.0

_ERASE = "\r\x1b[K"


class ProgressLine:
    """The engine's ``ctx.on_progress`` for a terminal (thread-safe)."""

    def __init__(self, stream: TextIO, *, delay: float = DELAY) -> None:
        self._stream = stream
        self._delay = delay
        self._started = time.monotonic()
        # Re-entrant: the Ctrl-C handler may clear the line while its own thread draws it.
        self._lock = threading.RLock()
        self._shown = False
        self._last = ""

    def __call__(self, store_id: str, done: int, total: int) -> None:
        """A write finished: ``done`` of ``total`` keys written to ``store_id``."""
        if time.monotonic() - self._started < self._delay:
            return
        text = f"{store_id}: {done}/{total} keys written"
        with self._lock:
            if text == self._last and self._shown:
                return
            self._last = text
            self._write(f"\r{text}\x1b[K")
            self._shown = True

    def clear(self) -> None:
        """Erase the line, if shown (before another line is written, and at the end)."""
        with self._lock:
            if self._shown:
                self._write(_ERASE)
                self._shown = False

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed terminal must not fail the sync
            pass
