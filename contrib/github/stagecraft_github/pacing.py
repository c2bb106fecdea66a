"""When GitHub says to wait, and how far apart mutating requests go.

GitHub's guidance for its REST API: make requests one at a time; leave at
least a second between POST, PATCH, PUT and DELETE requests when there are
many; on a rate-limit answer (403 or 429), wait ``retry-after`` seconds if
the answer has it, else until ``x-ratelimit-reset`` when
``x-ratelimit-remaining`` is 0, else at least a minute, and longer if it
happens again.  :func:`rate_limit_wait` reads an answer that way and
:class:`Pacer` spaces the mutating requests: ``min_interval`` from the
start, at least one second once a secondary limit was hit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import attrs

from stagecraft.providers.secrets import Context

__all__ = ["SECONDARY_INTERVAL", "Pacer", "RateLimit", "rate_limit_wait"]

#: Seconds between mutating requests once GitHub answered with a secondary limit.
SECONDARY_INTERVAL = 1.0
#: The wait when a rate-limit answer says nothing of how long (GitHub: at least a minute).
UNSPECIFIED_WAIT = 60.0


@attrs.frozen
class RateLimit:
    """A rate-limit answer: how long to wait, and whether it was a secondary limit."""

    seconds: float
    secondary: bool


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, repeat: int, now: float
) -> RateLimit | None:
    """The wait a 403/429 answer asks for (None: not a rate limit); ``repeat`` counts earlier ones.

    ``headers`` are lower-cased; ``now`` is the Unix time (``x-ratelimit-reset``
    is one).  Waits without an explicit time double with each repeat.
    """
    if status not in (403, 429):
        return None
    retry_after = _number(headers, "retry-after")
    if retry_after is not None:
        return RateLimit(max(0.0, retry_after) * 2 ** repeat if repeat else max(0.0, retry_after),
                         True)
    reset = _number(headers, "x-ratelimit-reset")
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return RateLimit(max(0.0, reset - now) + 1.0, False)
    if "rate limit" in message.lower() or status == 429:
        return RateLimit(UNSPECIFIED_WAIT * 2 ** repeat, "secondary" in message.lower())
    return None


class Pacer:
    """Spaces mutating requests ``interval`` seconds apart, across the sync's worker threads."""

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.secondary = False
        self._lock = threading.Lock()
        self._next = 0.0

    @property
    def interval(self) -> float:
        return max(self.min_interval, SECONDARY_INTERVAL if self.secondary else 0.0)

    def slow_down(self) -> None:
        """A secondary limit was hit: at least a second apart from now on."""
        with self._lock:
            self.secondary = True
            self._next = max(self._next, time.monotonic() + SECONDARY_INTERVAL)

    def before_send(self, ctx: Context) -> None:
        """Wait for this request's turn; raises when cancelled or past the deadline."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            ctx.wait(start - now)
        ctx.check()
