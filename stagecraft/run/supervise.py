"""COMMAND as a child of Stagecraft: its exit status and the signals forwarded to it.

Only ``run --mask`` needs a child (its output goes through Stagecraft); the
plain ``run`` replaces Stagecraft with COMMAND (see :mod:`~stagecraft.run.launch`).

The child stays in Stagecraft's process group, so it stays in the
terminal's foreground group: it can read the terminal, and Ctrl-C, Ctrl-\\
and a hang-up reach it straight from the terminal.  SIGINT, SIGTERM and
SIGHUP sent to Stagecraft alone (``kill PID``, a supervisor stopping it)
are forwarded to the child.

Double delivery: a signal the terminal generates goes to the whole
foreground group, child included; forwarding it too would deliver it twice,
and many programs treat a second Ctrl-C as "stop cleaning up, die now".  So
the three signals are blocked and taken with ``sigtimedwait``, which says
who sent each one: a signal the kernel sent (``SI_KERNEL``, as the terminal
driver does for a whole group) is not forwarded, one a process sent is.
A signal that lands on another thread of Stagecraft before the block (a
thread started earlier and not blocking it) reaches a fallback handler that
forwards it, not knowing its sender.

Exit status: the child's; a child killed by signal N gives 128+N, as shells
report it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FrameType

#: The signals forwarded to COMMAND.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: ``si_code`` of a signal the kernel sent (Linux ``SI_KERNEL``): the terminal
#: driver's signals to the foreground group arrive so.
SI_KERNEL = 0x80

#: Signals Python sets to "ignore" at start-up that COMMAND must get at their default.
RESET_TO_DEFAULT = (signal.SIGPIPE, signal.SIGXFSZ)

#: How long to wait for a signal before letting Python run handlers (seconds).
#: Not a deadline: the loop only exits when the child has.
_WAKE_UP = 0.5


def exit_status(wait_status: int) -> int:
    """The shell's exit status for a ``waitpid`` status: the code, or 128+N for signal N."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


@contextmanager
def _signals_taken() -> Iterator[frozenset[int]]:
    """Block the forwarded signals and SIGCHLD here (and in threads started inside).

    Yields the mask before the block, which the child starts with.
    """
    taken = {*FORWARDED, signal.SIGCHLD}
    # An inherited "ignore" on SIGCHLD would reap the child before waitpid saw it.
    child_handler = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, taken)
    try:
        yield frozenset(previous)
    finally:
        # Anything still pending is about a child that is gone: drop it
        # rather than let a late SIGINT raise KeyboardInterrupt here.
        while signal.sigtimedwait(taken, 0) is not None:
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        signal.signal(signal.SIGCHLD, child_handler)


@contextmanager
def _fallback_forwarding(forward: Callable[[int], None]) -> Iterator[None]:
    """Forward the signals that reach Python handlers (delivered to an unblocked thread)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        forward(signum)

    previous = {}
    for signum in FORWARDED:
        if signal.getsignal(signum) != signal.SIG_IGN:  # ignored stays ignored, as for shells
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def supervise(
    path: str,
    argv: Sequence[str],
    environment: Mapping[str, str],
    *,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
    pump: Callable[[], list[threading.Thread]] | None = None,
) -> int:
    """Start ``path`` with ``argv`` and ``environment``, forward signals, return its exit status.

    ``stdout_fd``/``stderr_fd``, when given, become the child's 1 and 2
    (pipe write ends; closed here, whether the child started or not).  ``pump``
    starts the threads that read those pipes; it is called with the signals
    blocked so the threads never take them, and they are joined after the
    child exits (they end at end of file: when every process holding the
    pipes, COMMAND and anything it left running, has closed them).
    """
    actions = [
        (os.POSIX_SPAWN_DUP2, fd, target)
        for fd, target in ((stdout_fd, 1), (stderr_fd, 2))
        if fd is not None
    ]
    with _signals_taken() as child_mask:
        try:
            pid = os.posix_spawn(
                path, list(argv), dict(environment), file_actions=actions,
                setsigmask=child_mask, setsigdef=RESET_TO_DEFAULT,
            )
        finally:  # the child holds its own copies now (or never will)
            for fd in (stdout_fd, stderr_fd):
                if fd is not None:
                    os.close(fd)
        threads = pump() if pump is not None else []
        reaped = threading.Event()

        def forward(signum: int) -> None:
            if reaped.is_set():  # the process id may name another process by now
                return
            try:
                os.kill(pid, signum)
            except ProcessLookupError:  # exited, not yet reaped: its status says the rest
                pass

        with _fallback_forwarding(forward):
            status = _wait(pid, forward)
            reaped.set()
    # Joined with the signals unblocked: should a process COMMAND left behind
    # keep the pipes open, a Ctrl-C still interrupts Stagecraft (exit 130).
    for thread in threads:
        thread.join()
    return exit_status(status)


def _wait(pid: int, forward: Callable[[int], None]) -> int:
    """Take signals until the child exits; forward those a process sent.  Its wait status."""
    taken = {*FORWARDED, signal.SIGCHLD}
    while True:
        info = signal.sigtimedwait(taken, _WAKE_UP)
        if info is not None and info.si_signo != signal.SIGCHLD and info.si_code != SI_KERNEL:
            forward(info.si_signo)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return status
