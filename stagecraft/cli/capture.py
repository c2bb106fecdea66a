"""What surrounds a running sync on the command line: Ctrl-C, a progress line, and
providers' prints kept off stdout.

On a terminal (and without ``-q``) long remote writes show a progress line on
stderr (:mod:`stagecraft.progress`); anywhere else (pipes, files, CI logs)
nothing but plain lines is written.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from stagecraft.cli.session import PROG, Session
from stagecraft.progress import ProgressLine
from stagecraft.providers.secrets import Context
from stagecraft.redact import Structural

__all__ = ["interrupts_cancel", "is_terminal", "progress_line", "provider_output"]


@contextlib.contextmanager
def interrupts_cancel(
    session: Session, ctx: Context, *, stop_at_once: bool = True
) -> Iterator[None]:
    """While a sync runs, the first Ctrl-C cancels it: no new write starts, those in
    flight finish, and the sync reports what was written (exit 130).  A second one
    stops waiting (KeyboardInterrupt: the engine reports the calls in flight as
    unknown and stops them).  Child processes of stores run in sessions of their
    own, so a terminal's Ctrl-C reaches stagecraft alone.

    With ``stop_at_once`` (one sync, run in this thread), a first Ctrl-C while
    nothing is in flight stops at once; named syncs run in threads of their
    own and see the cancellation instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def cancel(signum: int, frame: object) -> None:
        if ctx.cancelled:
            raise KeyboardInterrupt
        ctx.cancel()
        if stop_at_once and ctx.stops_at_once:  # reading or planning: nothing in flight
            raise KeyboardInterrupt
        session.note("interrupted: no new write starts, the writes in flight finish "
                     "(Ctrl-C again to stop waiting)")

    before = signal.signal(signal.SIGINT, cancel)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for a closed or odd stream)."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextlib.contextmanager
def progress_line(session: Session, ctx: Context) -> Iterator[None]:
    """On a terminal (and without ``-q``), a progress line on stderr while the sync writes."""
    if (session.verbosity < 0 or not is_terminal(session.stderr)
            or os.environ.get("TERM") == "dumb"):
        yield
        return
    line = ProgressLine(session.stderr)
    session.progress = line  # the run's on_progress (Session.show_progress) draws on it

    class ClearFirst(logging.Filter):
        """A log record (a warning mid-sync) starts on a clean line, not after the counts."""

        def filter(self, record: logging.LogRecord) -> bool:
            line.clear()
            return True

    clear_first = ClearFirst()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(clear_first)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(clear_first)
        line.clear()
        session.progress = None


@contextlib.contextmanager
def provider_output(session: Session) -> Iterator[None]:
    """What providers print goes to stderr, masked, marked as theirs: stdout holds results
    only (``--json`` stays parseable), and a value printed by mistake is masked."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = _MaskedStream(session)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = out, err


class _MaskedStream(io.TextIOBase):
    """A text stream that masks each line and writes it to the session's stderr."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            prefix = Structural(f"{PROG}: provider output: ")
            self._session.err(self._session.redactor.render(prefix, line))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.write(pending + "\n")
