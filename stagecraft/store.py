"""A store as a provider: :class:`SecretStore` is a store whose ``sync`` is the engine.

What a store implements lives in :mod:`stagecraft.store_base` (the engine
uses only that); this module adds the pinned ``sync(ctx, opts)`` on top, so
a store registers through ``secrets_provider_register`` and sits in the
same registry as providers that implement ``sync`` themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft import engine
from stagecraft.context import ConfigT, Context
from stagecraft.errors import (
    KeysNotWrittenError,
    NoSuchLocationError,
    OutcomeUnknownError,
    TransientError,
)
from stagecraft.store_base import StoreBase
from stagecraft.store_session import StoreSession

if TYPE_CHECKING:
    from stagecraft.providers.secrets import SyncOptions, SyncResult

__all__ = [
    "KeysNotWrittenError", "NoSuchLocationError", "OutcomeUnknownError",
    "SecretStore", "StoreSession", "TransientError",
]


class SecretStore(StoreBase[ConfigT]):
    """Base class of stores (the pinned name): a :class:`StoreBase` that is also a provider."""

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        """Run the core's engine with this store as the target."""
        return engine.sync(ctx, self, opts)
