"""Stagecraft's ``envfile`` store: secrets in env files, read and written losslessly.

The ``stagecraft-envfile`` distribution: the hook builds its store.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_envfile.provider import EnvfileProvider, EnvfileStore

__all__ = ["EnvfileProvider", "EnvfileStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> EnvfileStore:
    """Contribute the ``envfile`` store."""
    return EnvfileStore()
