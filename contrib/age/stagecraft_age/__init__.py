"""Stagecraft's ``age`` store: env files encrypted with age, read and edited in memory.

Installed as the ``stagecraft-age`` distribution and found through its
``stagecraft`` entry point; this module only registers the store, so
loading the plugin imports neither pyrage nor the key handling until a
sync reads or writes an age file.
"""

from __future__ import annotations

import stagecraft
from stagecraft_age.store import AgeStore

__version__ = "0.1.0"

#: The one store object this plugin contributes.
PROVIDER = AgeStore()


@stagecraft.hookimpl
def secrets_provider_register() -> AgeStore:
    return PROVIDER


__all__ = ["PROVIDER", "AgeStore", "secrets_provider_register"]
