"""A store's session: one location during one sync, and the state that sync holds.

The engine opens one per target per sync (:meth:`StoreBase.session
<stagecraft.store_base.StoreBase.session>`) and calls only it on the target:
reads, the plan's questions, writes, deletes.  The default session calls the
store's own methods, so a simple store writes just those; a store with
per-sync state (a connection, a lock, the version read) subclasses it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Generic

from stagecraft.context import ConfigT, Context

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Action
    from stagecraft.store_base import StoreBase

__all__ = ["StoreSession"]


class StoreSession(Generic[ConfigT]):
    """One sync's reads and writes of one location (see ``StoreBase.session``).

    The engine talks to a target only through its session.  This default
    one calls the store's methods; a store with per-sync state subclasses
    it and keeps that state here, never on the store object, which the
    registry shares between threads.  ``config`` is the store's typed config.
    """

    def __init__(self, store: StoreBase[ConfigT], ctx: Context[ConfigT], location: str) -> None:
        self.store = store
        self.config: ConfigT = store.config_of(ctx)
        self.ctx: Context[ConfigT] = ctx if ctx.config is self.config else ctx.for_store(
            self.config)
        self.location = location

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.id}:{self.location}>"

    def close(self) -> None:
        """End what the session holds (a connection); called once the sync is done."""

    def read(self, keys: Collection[str] | None) -> Mapping[str, str]:
        return self.store.read(self.ctx, self.location, keys)

    def write(self, values: Mapping[str, str]) -> None:
        self.store.write(self.ctx, self.location, values)

    def write_one(self, key: str, value: str) -> Action | None:
        return self.store.write_one(self.ctx, self.location, key, value)

    def delete(self, keys: Collection[str]) -> None:
        self.store.delete(self.ctx, self.location, keys)

    def existing_keys(self, keys: Collection[str]) -> Collection[str] | None:
        """See :meth:`StoreBase.existing_keys`."""
        return self.store.existing_keys(self.ctx, self.location, keys)

    def prunable_keys(self, keys: Collection[str]) -> Collection[str]:
        """See :meth:`StoreBase.prunable_keys`."""
        return self.store.prunable_keys(self.ctx, self.location, keys)

    def record_location(self) -> str:
        """See ``StoreBase.record_location``; a session may answer from what it holds (the
        AWS stores: the endpoint their client reaches)."""
        return self.store.record_location(self.ctx, self.location)

    def check_values(self, values: Mapping[str, str]) -> Mapping[str, str]:
        """See :meth:`StoreBase.check_values`."""
        return self.store.check_values(self.ctx, self.location, values)

    def refusal(self, writes: Mapping[str, str], deletes: Collection[str]) -> str | None:
        """Why the location cannot take these writes and deletes as a whole, or None.

        Asked once, after the plan and before anything is written (in a dry
        run too), when there is something to write or delete.  A limit on the
        whole (how many fields one secret may hold, how large one JSON object
        may be) is refused here, so the engine says so in one message, exits 1
        and sends nothing; limits on single values belong in
        :meth:`StoreBase.check_values`.  The session has read the location
        by now (when the store is readable) and can compute the result exactly.
        """
        return None

    def unchanged(self, values: Mapping[str, str]) -> None:
        """These keys already hold these (equal) values: nothing to write.

        A session holding its own copies may keep the caller's strings
        instead, so a large sync holds each unchanged value once (see
        :class:`~stagecraft.filestore.FileStore`); by default nothing happens.
        """
