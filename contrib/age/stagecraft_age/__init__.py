"""Stagecraft's ``age`` store: env files encrypted with age, read and edited in memory.

Installed as the ``stagecraft-age`` distribution, found through its ``stagecraft``
entry point.  Like every Stagecraft distribution, it registers by building
its store in the hook; the store's SDK (pyrage) is imported only when a
sync first needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_age.store import AgeStore

__version__ = "0.1.0"

__all__ = ["AgeStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> AgeStore:
    """Contribute the ``age`` store."""
    return AgeStore()
