"""Run COMMAND with secrets in its environment: replace Stagecraft with it, or supervise it.

Without ``--mask`` Stagecraft *becomes* COMMAND (``execve``): the same
process id, so every signal (from a terminal, ``kill``, a supervisor, job
control's Ctrl-Z) reaches COMMAND exactly as sent, with nothing to forward
and nothing delivered twice; its stdin, stdout and stderr are Stagecraft's
own descriptors, a terminal stays a terminal; the parent sees COMMAND's
exit status itself, a signal death included; and no Python process stays
around, which is also the fastest way to start it.  Nothing runs after
COMMAND, and ``run`` has nothing to do then.

With ``--mask`` COMMAND's output must pass through Stagecraft, so COMMAND is
a child (:mod:`~stagecraft.run.supervise`) whose stdout and stderr are pipes
read by :mod:`~stagecraft.run.mask_stream`; its stdin is still Stagecraft's.

Values travel only in COMMAND's environment: never in an argv, a message
or a file.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import BinaryIO, NoReturn

from stagecraft.errors import (
    EXIT_NOT_EXECUTABLE,
    EXIT_NOT_FOUND,
    CommandNotStartedError,
    UserError,
)
from stagecraft.redact import Redactor, Structural
from stagecraft.run.environment import child_environment
from stagecraft.run.mask_stream import StreamMasker
from stagecraft.run.supervise import RESET_TO_DEFAULT, supervise

_READ_SIZE = 64 * 1024


def run_command(
    argv: Sequence[str],
    secrets: Mapping[str, str],
    *,
    inherited: Mapping[str, str] | None = None,
    mask: bool = False,
    redactor: Redactor | None = None,
    stdout: BinaryIO | None = None,
    stderr: BinaryIO | None = None,
) -> int:
    """Run ``argv`` with ``secrets`` added to ``inherited`` (default ``os.environ``).

    Without ``mask`` this does not return: the process becomes COMMAND.  With
    ``mask`` it returns COMMAND's exit status (128+N for a death by signal
    N) after writing its stdout and stderr, masked with ``redactor`` (a new
    one when None; every secret is registered either way), to ``stdout`` and
    ``stderr`` (default: Stagecraft's own, ``sys.stdout.buffer`` and
    ``sys.stderr.buffer``).

    Raises :class:`CommandNotStartedError` (127 or 126) when COMMAND is not
    found on the ``PATH`` it will run with, or cannot be executed.
    """
    if not argv:
        raise UserError(Structural("no command to run (give it after --)"))
    environment = child_environment(secrets, os.environ if inherited is None else inherited)
    path = _resolve(argv[0], environment)
    if not mask:
        _replace_process(path, argv, environment)
    if redactor is None:
        redactor = Redactor()
    redactor.update(secrets.values())
    sinks = (stdout or sys.stdout.buffer, stderr or sys.stderr.buffer)
    read_ends, write_ends = zip(*(os.pipe() for _ in sinks), strict=True)
    maskers = [StreamMasker(redactor, secrets.values(), sink) for sink in sinks]

    pumping: list[bool] = []

    def pump() -> list[threading.Thread]:
        pumping.append(True)  # the threads own the read ends from here on
        threads = [
            threading.Thread(target=_copy, args=(fd, masker), daemon=True)
            for fd, masker in zip(read_ends, maskers, strict=True)
        ]
        for thread in threads:
            thread.start()
        return threads

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        return supervise(path, argv, environment, stdout_fd=write_ends[0],
                         stderr_fd=write_ends[1], pump=pump)
    except OSError as exc:
        if pumping:
            raise
        for fd in read_ends:
            os.close(fd)
        raise _not_started(argv[0], exc) from None


def _resolve(command: str, environment: Mapping[str, str]) -> str:
    """COMMAND's path, searched on the ``PATH`` COMMAND will see (as ``env`` does)."""
    found = shutil.which(command, path=environment.get("PATH", os.defpath))
    if found is None:
        if os.sep in command and os.path.exists(command):
            raise CommandNotStartedError(command, "permission denied", EXIT_NOT_EXECUTABLE)
        raise CommandNotStartedError(command, "command not found", EXIT_NOT_FOUND)
    return found


def _replace_process(path: str, argv: Sequence[str], environment: Mapping[str, str]) -> NoReturn:
    """``execve`` COMMAND in place of Stagecraft; raises only when that fails."""
    sys.stdout.flush()
    sys.stderr.flush()
    previous = {signum: signal.signal(signum, signal.SIG_DFL) for signum in RESET_TO_DEFAULT}
    try:
        # The user's own argv, run without a shell: nothing is interpreted.
        os.execve(path, list(argv), dict(environment))  # noqa: S606
    except OSError as exc:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        raise _not_started(argv[0], exc) from None


def _not_started(command: str, exc: OSError) -> CommandNotStartedError:
    """127 when something COMMAND needs is missing (a script's interpreter), else 126."""
    reason = (exc.strerror or type(exc).__name__).lower()
    status = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE
    return CommandNotStartedError(command, reason, status)


def _copy(fd: int, masker: StreamMasker) -> None:
    """Feed everything readable from ``fd`` to ``masker`` until end of file.

    When Stagecraft's own output is gone (a closed pipe, as in ``| head``),
    copying stops and the pipe is closed, so COMMAND meets the closed pipe
    on its next write, as it would have without Stagecraft in between.
    """
    try:
        while chunk := os.read(fd, _READ_SIZE):
            masker.feed(chunk)
        masker.close()
    except BrokenPipeError:
        pass
    finally:
        os.close(fd)

