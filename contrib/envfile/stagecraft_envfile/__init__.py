"""Stagecraft's ``envfile`` provider: sync keys from one env file into another.

Installed as the ``stagecraft-envfile`` distribution and found through its
``stagecraft`` entry point; this module only registers the provider, so
loading the plugin costs next to nothing until a sync runs.
"""

from __future__ import annotations

import stagecraft
from stagecraft_envfile.provider import EnvfileProvider

__version__ = "0.1.0"

#: The one provider object this plugin contributes (one object, so a plugin
#: seen through two paths still counts once in the registry).
PROVIDER = EnvfileProvider()


@stagecraft.hookimpl
def secrets_provider_register() -> EnvfileProvider:
    return PROVIDER


__all__ = ["PROVIDER", "EnvfileProvider", "secrets_provider_register"]
