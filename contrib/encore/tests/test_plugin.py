"""The distribution plugs into Stagecraft through its entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import stagecraft_encore
from stagecraft.plugins import PluginSettings, load_plugin_manager
from stagecraft.providers.secrets import SecretsProvider
from stagecraft_encore.config import Config
from stagecraft_encore.provider import EncoreProvider


def test_entry_point_is_declared() -> None:
    points = [ep for ep in metadata.entry_points(group="stagecraft") if ep.name == "encore"]
    assert [ep.value for ep in points] == ["stagecraft_encore"]
    assert points[0].dist is not None
    assert points[0].dist.name == "stagecraft-encore"


def test_hook_returns_the_provider() -> None:
    provider = stagecraft_encore.secrets_provider_register()
    assert isinstance(provider, EncoreProvider)
    assert isinstance(provider, SecretsProvider)
    assert provider.id == "encore"
    assert provider.Config is Config
    assert EncoreProvider.Config is Config  # on the class too


def test_registry_lists_encore() -> None:
    manager = load_plugin_manager(PluginSettings.from_env({}), strict=False)
    registry = manager.build_registry()
    assert isinstance(registry.get("encore"), EncoreProvider)
    origin = registry.origin("encore")
    assert origin.distribution == "stagecraft-encore"


def test_import_stays_light() -> None:
    """Importing the plugin imports its store class and config class, not the modules a
    sync runs."""
    code = (
        "import sys, stagecraft_encore\n"
        "heavy = [m for m in sys.modules if m.startswith('stagecraft_encore.')]\n"
        "print(','.join(sorted(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().split(",") == [
        "stagecraft_encore.config", "stagecraft_encore.errors", "stagecraft_encore.provider",
    ]


def test_building_the_registry_imports_only_the_provider() -> None:
    """Every command builds the registry: the store and config classes come with the
    plugin's module, the sync's modules only when a sync runs."""
    code = (
        "import sys\n"
        "from stagecraft.plugins import PluginSettings, load_plugin_manager\n"
        "manager = load_plugin_manager(PluginSettings.from_env({}), strict=False)\n"
        "heavy = ('subprocess', 'concurrent.futures', 'stagecraft_encore.')\n"
        "def new(before):\n"
        "    return ','.join(sorted(m for m in set(sys.modules) - before if m.startswith(heavy)))\n"
        "before = set(sys.modules)\n"
        "provider = manager.build_registry().get('encore')\n"
        "assert provider.Config.__name__ == 'Config'\n"
        "print(new(before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [""]
