"""Stagecraft's ``encore`` store: sync secrets into Encore's secret store.

The ``stagecraft-encore`` distribution: the hook builds its store.  The
``encore`` CLI runs only when a sync needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_encore.provider import EncoreStore

__all__ = ["EncoreStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> EncoreStore:
    """Contribute the ``encore`` store."""
    return EncoreStore()
