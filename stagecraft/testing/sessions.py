"""One write or delete through a store's session, for tests that call a store directly.

The engine reaches a target only through the session it opens per sync
(:meth:`~stagecraft.store_base.StoreBase.session`); a test that wants one
write without a sync opens a session the same way, with these.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from stagecraft.context import Context
from stagecraft.providers.secrets import Action
from stagecraft.store_base import StoreBase

__all__ = ["delete", "write", "write_one"]


def write(store: StoreBase[Any], ctx: Context, location: str, values: Mapping[str, str]) -> None:
    """``values`` written at ``location`` in one session (a batch store's ``write``)."""
    with store.session(ctx, location, dry_run=False) as session:
        session.write(values)


def write_one(
    store: StoreBase[Any], ctx: Context, location: str, key: str, value: str
) -> Action | None:
    """One key written at ``location`` in a session of its own; the action the store reports."""
    with store.session(ctx, location, dry_run=False) as session:
        return session.write_one(key, value)


def delete(store: StoreBase[Any], ctx: Context, location: str, keys: Collection[str]) -> None:
    """``keys`` removed from ``location`` in one session."""
    with store.session(ctx, location, dry_run=False) as session:
        session.delete(keys)
