"""Stagecraft: move secrets between places, safely, through plugins.

The public API most plugins need is re-exported here: the ``hookimpl``
marker, the provider interface (:class:`Context`, :class:`SyncOptions`,
:class:`SyncResult`, :class:`SecretsProvider`) and the errors.

:func:`sync` and :func:`read` are the integrators' API (:mod:`stagecraft.api`).
The other re-exports are resolved on first access (PEP 562), so commands that do
not need pluggy or attrs (``stagecraft --version``) do not pay to import them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stagecraft.api import read, sync

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS = {
    "ConfigError": "stagecraft.errors",
    "PluginError": "stagecraft.errors",
    "PluginLoadError": "stagecraft.errors",
    "ProviderError": "stagecraft.errors",
    "StagecraftError": "stagecraft.errors",
    "UserError": "stagecraft.errors",
    "hookimpl": "stagecraft.hookspecs",
    "hookspec": "stagecraft.hookspecs",
    "Action": "stagecraft.providers.secrets",
    "Change": "stagecraft.providers.secrets",
    "Context": "stagecraft.providers.secrets",
    "MissingKeysError": "stagecraft.providers.secrets",
    "SecretsProvider": "stagecraft.providers.secrets",
    "SyncOptions": "stagecraft.providers.secrets",
    "SyncResult": "stagecraft.providers.secrets",
    "NoSuchLocationError": "stagecraft.store",
    "SecretStore": "stagecraft.store",
    "TransientError": "stagecraft.store",
    "OutcomeUnknownError": "stagecraft.store",
    "FileStore": "stagecraft.filestore",
    "PartialSyncError": "stagecraft.providers.secrets",
}


__all__ = [
    "Action",
    "Change",
    "ConfigError",
    "Context",
    "FileStore",
    "MissingKeysError",
    "NoSuchLocationError",
    "OutcomeUnknownError",
    "PartialSyncError",
    "PluginError",
    "PluginLoadError",
    "ProviderError",
    "SecretStore",
    "SecretsProvider",
    "StagecraftError",
    "SyncOptions",
    "SyncResult",
    "TransientError",
    "UserError",
    "__version__",
    "hookimpl",
    "hookspec",
    "read",
    "sync",
]

if TYPE_CHECKING:
    from stagecraft.errors import (
        ConfigError,
        PluginError,
        PluginLoadError,
        ProviderError,
        StagecraftError,
        UserError,
    )
    from stagecraft.filestore import FileStore
    from stagecraft.hookspecs import hookimpl, hookspec
    from stagecraft.providers.secrets import (
        Action,
        Change,
        Context,
        MissingKeysError,
        PartialSyncError,
        SecretsProvider,
        SyncOptions,
        SyncResult,
    )
    from stagecraft.store import (
        NoSuchLocationError,
        OutcomeUnknownError,
        SecretStore,
        TransientError,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stagecraft' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
