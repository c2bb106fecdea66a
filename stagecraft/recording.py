"""The write record of one write-only target during one sync (see :mod:`stagecraft.record`).

Before the plan: which selected keys hold the value this machine last wrote
there.  After the writes: the fingerprints of what was written, and the
keys whose outcome is unknown forgotten.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from stagecraft.context import Context
from stagecraft.plan import Plan
from stagecraft.providers.secrets import SyncResult
from stagecraft.record import WriteRecord
from stagecraft.store_base import StoreBase

__all__ = ["Recording"]

log = logging.getLogger("stagecraft.engine")


class Recording:
    """The write record for one write-only target of one sync."""

    def __init__(self, ctx: Context, store: StoreBase[Any], location: str) -> None:
        self.record = WriteRecord(log)
        self.store = store.id
        self.location = store.record_location(ctx, location)

    def matching(self, values: Mapping[str, str]) -> set[str]:
        return self.record.matching(self.store, self.location, values)

    def written(self, the_plan: Plan, result: SyncResult) -> None:
        """Record the keys ``result`` says were written; forget the others that were tried.

        A write that failed (or timed out) may or may not have changed the
        value, so its old fingerprint is no longer evidence of anything.
        """
        done = {change.key for change in result.changes}
        written = {k: v for k, v in the_plan.writes.items() if k in done}
        forget = [k for k in the_plan.writes if k not in done] + list(the_plan.deletes)
        self.record.update(self.store, self.location, written, forget)
