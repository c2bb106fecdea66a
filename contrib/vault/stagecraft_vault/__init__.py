"""Stagecraft's ``vault`` store: HashiCorp Vault / OpenBao KV secrets.

Installed as the ``stagecraft-vault`` distribution, found through the
``stagecraft`` entry point ``vault``.  Importing this module is cheap: the
store class and its config come when the registry is built, hvac (and
requests) only when a vault sync sends its first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.hookspecs import hookimpl

if TYPE_CHECKING:
    from stagecraft_vault.store import VaultStore

__all__ = ["secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> VaultStore:
    """Contribute the ``vault`` store."""
    from stagecraft_vault.store import VaultStore

    return VaultStore()
