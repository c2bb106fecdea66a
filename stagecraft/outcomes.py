"""How the engine words what happened to a key it could not write, and when a sync may stop.

A write either landed, was refused (not written), or was sent and never
answered (a timeout, a dropped connection, a second Ctrl-C): its outcome is
*unknown*, reported as "may or may not have been written", never as not
written.  Before the first write nothing is in flight, so a Ctrl-C may stop
a sync at once (:class:`UntilWrites`).
"""

from __future__ import annotations

import contextlib
from typing import Any, NoReturn

from stagecraft.context import Context
from stagecraft.errors import CancelledError, OutcomeUnknownError
from stagecraft.store_base import StoreBase

__all__ = [
    "NOT_WRITTEN", "STOPPED_WAITING", "UNKNOWN", "UntilWrites", "give_up", "outcome",
    "reason_of",
]


#: How a key's outcome is classified (see :func:`outcome`).
UNKNOWN, NOT_WRITTEN = "unknown", "not written"
#: The reason of a key whose call was in flight at a second Ctrl-C.
STOPPED_WAITING = "may or may not have been written: stopped waiting (Ctrl-C twice)"


def outcome(
    ctx: Context, store: StoreBase[Any], exc: BaseException, *, prefix: bool = True
) -> tuple[str, str]:
    """Whether a failed write left its keys unknown or not written, and the reason to show.

    A store's own refusal of one key is shown as it is (``prefix=False``): it
    says why, and the key is listed among those not synced.
    """
    if store.outcome_unknown(exc):
        return UNKNOWN, f"may or may not have been written: {reason_of(ctx, exc)}"
    if isinstance(exc, CancelledError):
        why = "interrupted" if ctx.cancelled else reason_of(ctx, exc)
        return NOT_WRITTEN, f"not written: {why}"
    return NOT_WRITTEN, f"not written: {reason_of(ctx, exc)}" if prefix else reason_of(ctx, exc)


def reason_of(ctx: Context, exc: BaseException) -> str:
    """Why a key failed, masked: a store's message may quote what it was sent."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return ctx.redactor.redact(first)


def give_up(error: CancelledError, maybe_landed: bool) -> NoReturn:
    """Stop retrying with ``error``, or as unknown when an attempt may have landed."""
    if maybe_landed:
        raise OutcomeUnknownError(error.args[0] if error.composed else str(error))
    raise error


class UntilWrites:
    """The part of a sync before its first write, which a Ctrl-C may stop at once."""

    def __init__(self, ctx: Context) -> None:
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(ctx.interruptible())
        self.open = True

    def end(self) -> None:
        """The writes start: from here a Ctrl-C lets those in flight finish."""
        if self.open:
            self.open = False
            self._stack.close()
