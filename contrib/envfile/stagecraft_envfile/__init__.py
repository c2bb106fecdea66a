"""Stagecraft's ``envfile`` store: secrets in env files, read and written losslessly.

Installed as the ``stagecraft-envfile`` distribution and found through its
``stagecraft`` entry point; this module only registers the provider, so
loading the plugin costs next to nothing until a sync runs.
"""

from __future__ import annotations

import stagecraft
from stagecraft_envfile.provider import EnvfileProvider, EnvfileStore

__version__ = "0.1.0"

#: The one provider object this plugin contributes (one object, so a plugin
#: seen through two paths still counts once in the registry).
PROVIDER = EnvfileStore()


@stagecraft.hookimpl
def secrets_provider_register() -> EnvfileStore:
    return PROVIDER


__all__ = ["PROVIDER", "EnvfileProvider", "EnvfileStore", "secrets_provider_register"]
