"""Stagecraft's ``envfile`` store: secrets in env files, read and written losslessly.

Installed as the ``stagecraft-envfile`` distribution, found through its ``stagecraft``
entry point.  Like every Stagecraft distribution, it registers by building
its store in the hook.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_envfile.provider import EnvfileProvider, EnvfileStore

__version__ = "0.1.0"

__all__ = ["EnvfileProvider", "EnvfileStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> EnvfileStore:
    """Contribute the ``envfile`` store."""
    return EnvfileStore()
