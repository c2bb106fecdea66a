"""Retries of a store's calls: what the store calls transient is tried again, within the deadline.

The engine owns retries (a store only moves bytes): jittered exponential
backoff, no wait past the run's deadline, and none once it is cancelled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

from stagecraft.context import Context
from stagecraft.errors import CancelledError
from stagecraft.store_base import StoreBase

__all__ = ["BACKOFF", "MAX_BACKOFF", "retrying"]

T = TypeVar("T")

#: First retry delay in seconds; each later one doubles, with jitter.
BACKOFF = 0.2
#: No single wait is longer than this.
MAX_BACKOFF = 5.0


def retrying(ctx: Context, store: StoreBase[Any], call: Callable[[], T]) -> T:
    """``call()``, retried with jittered exponential backoff while the store calls it transient."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if attempt >= store.retries or not store.is_transient(exc):
                raise
        attempt += 1
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
        remaining = ctx.remaining()
        if remaining is not None and remaining <= delay:
            raise CancelledError("ran past its deadline while retrying")
        ctx.wait(delay)
        ctx.check()
