"""When the results cannot be written to standard output (a full disk, ``>/dev/full``).

The command does its work first and prints its results after: by the
time standard output fails, a sync has written its target.  So the
failure is told in one line on stderr that says both -- the output was
lost, and what the command did -- instead of a raw ``OSError`` that reads
as if the sync had failed.  The exit code is 2, an external failure (the
output device), so a script that reads the output does not take an empty
one for success; ``docs/commands.md`` documents it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, TextIO

from stagecraft.errors import OutputLostError, StagecraftError

__all__ = ["OutputLostError", "discard_unwritten", "lost_output_text", "writing_output"]


@contextlib.contextmanager
def writing_output() -> Iterator[None]:
    """Turn a failed write or flush of standard output into :class:`OutputLostError`.

    A closed pipe (``| head``) stays a :class:`BrokenPipeError`: the reader
    chose to stop, which is not a failure.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputLostError(exc.strerror or type(exc).__name__) from None


def lost_output_text(error: OutputLostError, sync_options: Any) -> str:
    """The one line that says the output was lost and what the command did."""
    if sync_options is None:
        return f"{error}; the command itself completed"
    if isinstance(error.__context__, StagecraftError):
        return f"{error}; the sync had failed (see above)"
    if sync_options.dry_run:
        return f"{error}; the dry run completed and wrote nothing"
    target = f" {sync_options.target}" if sync_options.target else ""
    return f"{error}; the sync completed: the target{target} was written"


def discard_unwritten(stream: TextIO) -> None:
    """Point ``stream``'s descriptor at ``/dev/null``, so the buffered rest goes nowhere.

    Otherwise the interpreter's own flush at exit fails again, prints
    ``Exception ignored ... OSError`` and changes the exit status.
    """
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)
