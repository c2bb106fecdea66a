"""Stagecraft's ``age`` store: env files encrypted with age, read and edited in memory.

The ``stagecraft-age`` distribution: the hook builds its store; the store's
SDK (pyrage) is imported only when a sync first needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_age.store import AgeStore

__all__ = ["AgeStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> AgeStore:
    """Contribute the ``age`` store."""
    return AgeStore()
