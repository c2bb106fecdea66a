"""Which exit status a command gives when it ran several syncs (the named syncs).

The command exits with the most severe status among them, in this order,
most severe first:

* 130 interrupted: the run did not finish as asked (the user stopped it);
* 3 internal error: a bug, whatever else happened;
* 2 provider or external failure: a store failed, and its target may hold
  part of a sync;
* 1 user or config error: refused before anything was written;
* 4 drift (``--check``): nothing failed, but a target is out of sync;
* 0 success.

A status outside this list (a plugin's own) ranks with 2.
"""

from __future__ import annotations

from collections.abc import Iterable

from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER_ERROR,
    EXIT_USER_ERROR,
)

__all__ = ["SEVERITY", "worst_exit"]

#: Exit statuses from the least to the most severe.
SEVERITY = (EXIT_OK, EXIT_DRIFT, EXIT_USER_ERROR, EXIT_PROVIDER_ERROR, EXIT_INTERNAL_ERROR,
            EXIT_INTERRUPTED)


def worst_exit(codes: Iterable[int]) -> int:
    """The most severe of ``codes`` (0 when there are none)."""
    def rank(code: int) -> int:
        return SEVERITY.index(code if code in SEVERITY else EXIT_PROVIDER_ERROR)

    return max(codes, key=rank, default=EXIT_OK)
