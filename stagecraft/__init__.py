"""Stagecraft: move secrets between places, safely, through plugins.

The public API most plugins need is re-exported here: the ``hookimpl``
marker, the provider interface (:class:`Context`, :class:`SyncOptions`,
:class:`SyncResult`, :class:`SecretsProvider`) and the error base class.
"""

from stagecraft.errors import (
    ConfigError,
    PluginError,
    PluginLoadError,
    ProviderError,
    StagecraftError,
    UserError,
)
from stagecraft.hookspecs import hookimpl, hookspec
from stagecraft.providers.secrets import (
    Action,
    Change,
    Context,
    MissingKeysError,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Change",
    "ConfigError",
    "Context",
    "MissingKeysError",
    "PluginError",
    "PluginLoadError",
    "ProviderError",
    "SecretsProvider",
    "StagecraftError",
    "SyncOptions",
    "SyncResult",
    "UserError",
    "__version__",
    "hookimpl",
    "hookspec",
]
