"""Stagecraft's ``encore`` provider: sync an env file into Encore secrets.

Installed as the ``stagecraft-encore`` distribution, found through the
``stagecraft`` entry point ``encore``.  Importing this module stays cheap:
the provider object and its config class are loaded when the registry is
built, the modules that do a sync only when one runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.hookspecs import hookimpl

if TYPE_CHECKING:
    from stagecraft_encore.provider import EncoreStore

__all__ = ["secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> EncoreStore:
    """Contribute the ``encore`` provider."""
    from stagecraft_encore.provider import EncoreStore

    return EncoreStore()
