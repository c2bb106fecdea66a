"""Stagecraft's ``vault`` store: HashiCorp Vault / OpenBao KV secrets.

Installed as the ``stagecraft-vault`` distribution, found through its ``stagecraft``
entry point.  Like every Stagecraft distribution, it registers by building
its store in the hook; the store's SDK (hvac) is imported only when a
sync first needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_vault.store import VaultStore

__version__ = "0.1.0"

__all__ = ["VaultStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> VaultStore:
    """Contribute the ``vault`` store."""
    return VaultStore()
