"""The plugin manager: what gets loaded, in which order, and what it provides.

Discovery order (``docs/composing-plugins.md`` documents the same list):

1. The builtin ``core`` plugin, which runs ``secrets_sync`` by calling the
   provider.  It cannot be disabled.
2. Blocked names (``STAGECRAFT_DISABLE_PLUGINS``, ``-p no:NAME``,
   ``plugins.disable``) are recorded before anything is imported; a blocked
   plugin is never imported.
3. Entry points of the ``stagecraft`` group, sorted by name.  When
   ``STAGECRAFT_LOAD_PLUGINS`` is set, only the names it lists are loaded
   (set but empty: none).
4. Explicit plugin modules (``-p MODULE``, ``plugins.modules``), in order.
5. Local plugin directories (``--plugins-dir``, ``plugins.dirs``): every
   ``*.py`` in each, sorted, imported from its file without touching
   ``sys.path`` and named ``local:<path>``.
6. The builtin ``exec`` plugin: exec-protocol helpers on ``PATH`` and in
   ``plugins.exec``, whose stores give way to any other provider's id.

A plugin that fails (import error, invalid hook implementation, unknown hook)
is never left half-registered: it is removed again and recorded as failed
with a :class:`~stagecraft.errors.PluginLoadError` that names it, its
distribution and how to disable it.
"""

from stagecraft.plugins.core import CorePlugin
from stagecraft.plugins.failures import LOGGER_NAME
from stagecraft.plugins.info import Kind, PluginInfo, Status
from stagecraft.plugins.loading import (
    ENTRY_POINT_GROUP,
    build_default_registry,
    load_plugin_manager,
)
from stagecraft.plugins.manager import PluginManager
from stagecraft.plugins.settings import (
    CORE_PLUGIN,
    ENV_ALLOW,
    ENV_DISABLE,
    PluginSettings,
    plugin_settings,
)
from stagecraft.plugins.tracing import ENV_TRACE, enable_safe_tracing

__all__ = [
    "CORE_PLUGIN",
    "ENTRY_POINT_GROUP",
    "ENV_ALLOW",
    "ENV_DISABLE",
    "ENV_TRACE",
    "LOGGER_NAME",
    "CorePlugin",
    "Kind",
    "PluginInfo",
    "PluginManager",
    "PluginSettings",
    "Status",
    "build_default_registry",
    "enable_safe_tracing",
    "load_plugin_manager",
    "plugin_settings",
]
