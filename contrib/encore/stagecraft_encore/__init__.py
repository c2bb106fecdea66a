"""Stagecraft's ``encore`` store: sync secrets into Encore's secret store.

Installed as the ``stagecraft-encore`` distribution, found through its ``stagecraft``
entry point.  Like every Stagecraft distribution, it registers by building
its store in the hook.  The ``encore`` CLI runs only when a sync needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_encore.provider import EncoreStore

__version__ = "0.1.0"

__all__ = ["EncoreStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> EncoreStore:
    """Contribute the ``encore`` store."""
    return EncoreStore()
