"""What a failed exchange with the server means, as one line a user can act on.

Every message names the server's address and the secret's path and says
what to do next; none holds a token or a value (the server's own error text
is quoted, and it never echoes either).  Failures worth trying again
(throttling, 5xx, a dropped connection, a timeout) are
:class:`~stagecraft.TransientError`, so the engine retries them with backoff;
the others are plain :class:`~stagecraft.ProviderError` (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from stagecraft.errors import OutcomeUnknownError, ProviderError, TransientError, UserError

__all__ = [
    "ConflictError", "InvalidLocationError", "LostAnswerError", "NoAnswerError", "ProviderError",
    "TooManyFieldsError", "TransientError", "UnansweredWriteError", "reason",
]

_COUNT_HEADER = re.compile(r"^\d+ errors? occurred:?$")


class InvalidLocationError(UserError):
    """A location that names no secret."""


class ConflictError(ProviderError):
    """The secret changed between the read that planned the sync and the write."""


class NoAnswerError(ProviderError):
    """The server did not answer within the timeout; not retried (the timeout bounds retries)."""


class UnansweredWriteError(NoAnswerError, OutcomeUnknownError):
    """A write was sent and not answered in time: it may or may not have been applied."""


class LostAnswerError(TransientError, OutcomeUnknownError):
    """The connection dropped after a write was sent.

    Retried (check-and-set tells a write that landed from one that did not),
    and reported unknown when no retry settles it.
    """


class TooManyFieldsError(UserError):
    """The secret would hold more fields than one request may carry (exit 1: nothing sent)."""


def reason(errors: Iterable[str], status: int) -> str:
    """The server's error text on one line (``1 error occurred: * x`` becomes ``x``)."""
    parts: list[str] = []
    for error in errors:
        for raw_line in str(error).splitlines():
            line = raw_line.strip().removeprefix("* ").strip()
            if line and not _COUNT_HEADER.match(line):
                parts.append(line)
    return "; ".join(parts) if parts else f"HTTP {status}"


def names(keys: Sequence[str]) -> str:
    """``A, B, C`` (sorted): how messages list keys."""
    return ", ".join(sorted(keys))
