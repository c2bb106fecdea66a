"""Stagecraft: move secrets between places, safely, through plugins.

The public API most plugins need is re-exported here: the ``hookimpl``
marker, the provider interface (:class:`Context`, :class:`SyncOptions`,
:class:`SyncResult`, :class:`SecretsProvider`), the store base classes and
the errors (every one of them is in :mod:`stagecraft.errors`).

:func:`sync`, :func:`read`, :func:`list_keys` and :func:`check` are the
integrators' API (:mod:`stagecraft.api`), with :func:`sync_all` running the
named syncs (:mod:`stagecraft.named_syncs`).
"""

from __future__ import annotations

from stagecraft.api import check, list_keys, read, sync
from stagecraft.errors import (
    ConfigError,
    InvalidConfigError,
    MissingKeysError,
    NoSuchLocationError,
    OutcomeUnknownError,
    PartialSyncError,
    PluginError,
    PluginLoadError,
    ProviderError,
    StagecraftError,
    TransientError,
    UserError,
)
from stagecraft.filestore import FileStore
from stagecraft.hookspecs import hookimpl, hookspec
from stagecraft.named_syncs import sync_all
from stagecraft.providers.secrets import (
    Action,
    Change,
    Context,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)
from stagecraft.release import VERSION
from stagecraft.store import SecretStore

__version__ = VERSION

__all__ = [
    "Action",
    "Change",
    "ConfigError",
    "Context",
    "FileStore",
    "InvalidConfigError",
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
    "check",
    "hookimpl",
    "hookspec",
    "list_keys",
    "read",
    "sync",
    "sync_all",
]

