"""Stagecraft's ``vault`` store: HashiCorp Vault / OpenBao KV secrets.

The ``stagecraft-vault`` distribution: the hook builds its store; the
store's SDK (hvac) is imported only when a sync first needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_vault.store import VaultStore

__all__ = ["VaultStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> VaultStore:
    """Contribute the ``vault`` store."""
    return VaultStore()
