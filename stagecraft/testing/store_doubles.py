"""Stand-ins the store contract's checks put around or beside the store under test.

The engine writes only through the session a store opens per sync, so
wrapping that session reaches every store, whatever it does underneath;
a check that needs a second store (a target for the store as a source)
uses one in memory.  PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from stagecraft.providers.secrets import Action, Context
from stagecraft.store import SecretStore, StoreSession

__all__ = ["InterceptedSession", "MemoryStore"]


class InterceptedSession(StoreSession):
    """A session that calls a hook before passing each write on to the real one."""

    def __init__(
        self, inner: StoreSession, before_write: Callable[[list[str]], None],
        after_write: Callable[[list[str]], None] | None = None,
    ) -> None:
        super().__init__(inner.store, inner.ctx, inner.location)
        self.inner = inner
        self.before_write = before_write
        self.after_write = after_write or (lambda keys: None)

    def read(self, keys: Collection[str] | None) -> Mapping[str, str]:
        return self.inner.read(keys)

    def write(self, values: Mapping[str, str]) -> None:
        self.before_write(list(values))
        self.inner.write(values)
        self.after_write(list(values))

    def write_one(self, key: str, value: str) -> Action | None:
        self.before_write([key])
        action = self.inner.write_one(key, value)
        self.after_write([key])
        return action

    def delete(self, keys: Collection[str]) -> None:
        self.inner.delete(keys)


class MemoryStore(SecretStore):
    """A target in memory, for checks that need a second store."""

    id = "contract-memory"
    can_delete = True

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    def read(self, ctx: Context, location: str, keys: Collection[str] | None) -> dict[str, str]:
        return dict(self.values)

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        self.values.update(values)

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        for key in keys:
            self.values.pop(key, None)
