"""Retries of a store's calls: what the store calls transient is tried again, within the deadline.

The engine owns retries (a store only moves bytes): jittered exponential
backoff, no wait past the run's deadline, and none once it is cancelled.  A
deadline or a cancellation names what the call was for and its last failure,
and a write that may have landed on an earlier attempt ends unknown
(:mod:`stagecraft.outcomes`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

from stagecraft.context import Context
from stagecraft.errors import CancelledError, DeadlineError, OutcomeUnknownError
from stagecraft.outcomes import give_up, reason_of
from stagecraft.redact import Structural
from stagecraft.store_base import StoreBase

__all__ = ["BACKOFF", "MAX_BACKOFF", "retrying"]

T = TypeVar("T")

#: First retry delay in seconds; each later one doubles, with jitter.
BACKOFF = 0.2
#: No single wait is longer than this.
MAX_BACKOFF = 5.0


def retrying(
    ctx: Context, store: StoreBase[Any], call: Callable[[], T], *, doing: str = "calling the store"
) -> T:
    """``call()``, retried with jittered exponential backoff while the store calls it transient.

    ``doing`` says what the call is for (``reading the source vault:secret/app``):
    a deadline that stops the call or its retries names it, with the last
    failure.  When an attempt's outcome was unknown and no later one
    succeeded, the error is an :class:`OutcomeUnknownError`: that attempt
    may have landed.
    """
    attempt = 0
    maybe_landed = False
    while True:
        try:
            return call()
        except Exception as exc:
            maybe_landed = maybe_landed or store.outcome_unknown(exc)
            if isinstance(exc, DeadlineError):
                passed = Structural(f"{doing}: the deadline (--timeout) passed")
                give_up(DeadlineError(passed), maybe_landed)
            if attempt >= store.retries or not store.is_transient(exc):
                if maybe_landed and not store.outcome_unknown(exc):
                    raise OutcomeUnknownError(reason_of(ctx, exc)) from exc
                raise
            last = exc
        attempt += 1
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
        remaining = ctx.remaining()
        if remaining is not None and remaining <= delay:
            give_up(DeadlineError(Structural(
                f"{doing}: the deadline (--timeout) passed before another "
                f"try (the last failure: {reason_of(ctx, last)})"  # reason_of masks it
            )), maybe_landed)
        ctx.wait(delay)
        if ctx.cancelled:
            give_up(CancelledError(Structural(
                f"{doing}: interrupted before another try "
                f"(the last failure: {reason_of(ctx, last)})"
            )), maybe_landed)
        ctx.check()
