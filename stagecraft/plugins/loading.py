"""Finding and importing plugins, in the documented order (see :mod:`stagecraft.plugins`).

A plugin that fails to import is recorded as failed with a message that
names it, its distribution and how to disable it; one that imports is
registered whole or not at all by the manager.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import attrs

from stagecraft import discovery
from stagecraft.errors import did_you_mean
from stagecraft.exec_command import ExecCommand
from stagecraft.hookspecs import PROJECT_NAME
from stagecraft.plugins.exec_stores import EXEC_PLUGIN, ExecStoresPlugin
from stagecraft.plugins.failures import (
    describe_entry_point,
    describe_exception,
    not_from_working_directory,
)
from stagecraft.plugins.info import Kind, PluginInfo, Status
from stagecraft.plugins.manager import PluginManager
from stagecraft.plugins.settings import CORE_PLUGIN, ENV_ALLOW, PluginSettings
from stagecraft.providers.secrets import Registry
from stagecraft.release import VERSION

ENTRY_POINT_GROUP = PROJECT_NAME


class Loader:
    """Loads plugins into one manager, remembering every name a plugin could be blocked by."""

    def __init__(self, manager: PluginManager) -> None:
        self.manager = manager
        #: Every name a plugin could be blocked by, of every plugin seen (loaded or not).
        self._names_seen: set[str] = {CORE_PLUGIN}
        self._entry_point_names: list[str] = []
        self._local_files: set[Path] = set()

    def load(self, settings: PluginSettings) -> None:
        """Load everything ``settings`` asks for, in the documented order."""
        for name in settings.disable:
            self.manager.block(name)
        if settings.entry_points:
            self.load_entry_points(settings.allow)
        for module in settings.modules:
            self.load_module(module)
        for directory in settings.dirs:
            self.load_directory(directory)
        self.load_exec_stores(settings.exec_commands)
        self._warn_unknown_disabled(settings.disable)

    def _warn_unknown_disabled(self, disabled: Sequence[str]) -> None:
        """Warn about blocked names no plugin has: most likely a typo (``-p no:envfiel``).

        Only a warning: a plugin may be absent on purpose (a shared CI
        setting that disables a plugin some machines lack).
        """
        known = sorted(self._names_seen - {CORE_PLUGIN})
        for name in dict.fromkeys(disabled):
            if name not in self._names_seen:
                self.manager.warn(
                    f"plugin {name!r} is disabled, but no plugin has that name"
                    f"{did_you_mean(name, known)}; nothing was disabled for it "
                    f"(not an error: a plugin may be absent on purpose)"
                )

    def load_entry_points(self, allow: Sequence[str] | None = None) -> None:
        """Load the ``stagecraft`` entry points, sorted by name, once per distribution."""
        manager = self.manager
        allowed = None if allow is None else set(allow)
        seen: set[tuple[str, str]] = set()
        found: list[tuple[str, str, discovery.EntryPointRecord]] = []
        for ep in discovery.entry_points(ENTRY_POINT_GROUP):
            marker = (ep.name, _normalise(ep.dist_name or ep.value))
            if marker in seen:
                continue  # the same distribution visible twice on sys.path
            seen.add(marker)
            found.append((ep.name, ep.dist_name or "", ep))
        self._entry_point_names = sorted({name for name, _, _ in found})
        self._names_seen.update(self._entry_point_names)
        if allowed is not None:
            self._warn_unknown_allowed(allow or ())
        for name, _, ep in sorted(found, key=lambda item: item[:2]):
            base = PluginInfo(name, Kind.ENTRY_POINT, Status.DISABLED, ep.dist_name,
                              ep.dist_version, target=ep.value)
            if manager.is_blocked(name):
                manager.record(base, replace=False)
                continue
            if allowed is not None and name not in allowed:
                manager.record(attrs.evolve(base, error=f"not listed in {ENV_ALLOW}"),
                               replace=False)
                continue
            existing = manager.info(name)
            if existing is not None and existing.status is Status.ACTIVE:
                manager.fail(
                    base,
                    f"plugin name {name!r} is used by both {existing.origin} and "
                    f"{base.origin}; uninstall one of them"
                )
                continue
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any plugin failure is reported
                manager.fail(base, f"{describe_entry_point(ep)} "
                                   f"failed to import: {describe_exception(exc)}")
                continue
            manager.register_checked(plugin, base)

    def _warn_unknown_allowed(self, allow: Sequence[str]) -> None:
        """Name each entry in ``STAGECRAFT_LOAD_PLUGINS`` that no installed plugin has."""
        installed = self._entry_point_names
        listed = ", ".join(installed) or "none"
        for name in dict.fromkeys(allow):
            if name not in installed:
                self.manager.warn(
                    f"{ENV_ALLOW} lists {name!r}, but no installed plugin has that name"
                    f"{did_you_mean(name, installed)}; nothing is loaded for it "
                    f"(installed: {listed})"
                )

    def load_exec_stores(self, configured: Sequence[ExecCommand]) -> None:
        """The builtin ``exec`` plugin: helpers on ``PATH`` and in ``plugins.exec``."""
        self._names_seen.add(EXEC_PLUGIN)
        base = PluginInfo(EXEC_PLUGIN, Kind.BUILTIN, Status.DISABLED, "stagecraft",
                          VERSION, target=f"{ExecStoresPlugin.__module__}."
                          f"{ExecStoresPlugin.__qualname__}")
        if self.manager.is_blocked(EXEC_PLUGIN):
            self.manager.record(base, replace=False)
            return
        self.manager.register_checked(ExecStoresPlugin(configured), base)

    def load_module(self, module_name: str) -> None:
        """Load a plugin module by its import name (``-p MODULE``)."""
        manager = self.manager
        self._names_seen.add(module_name)
        base = PluginInfo(module_name, Kind.MODULE, Status.DISABLED, target=module_name)
        if manager.is_blocked(module_name):
            manager.record(base, replace=False)
            return
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any plugin failure is reported
            manager.fail(base, f"plugin module {module_name!r} failed to import: "
                               f"{describe_exception(exc)}"
                               f"{not_from_working_directory(module_name, exc)}")
            return
        if manager.is_registered(module):
            return  # already loaded, e.g. through its entry point
        dist_name, version = _dist_of_module(module_name)
        manager.register_checked(module, attrs.evolve(base, distribution=dist_name,
                                                      version=version))

    def load_directory(self, directory: Path | str) -> None:
        """Load every ``*.py`` file in ``directory`` as a local plugin, sorted by name."""
        path = Path(directory)
        if not path.is_dir():
            base = PluginInfo(f"local:{path}", Kind.LOCAL, Status.DISABLED, target=str(path))
            problem = "is not a directory" if path.exists() else "does not exist"
            self.manager.fail(base, f"plugin directory {path} {problem}")
            return
        for file in sorted(path.glob("*.py")):
            if file.is_file():
                self.load_file(file)

    def load_file(self, file: Path) -> None:
        """Load one local plugin file, without adding anything to ``sys.path``."""
        manager = self.manager
        name = f"local:{file}"
        base = PluginInfo(name, Kind.LOCAL, Status.DISABLED, target=str(file))
        resolved = file.resolve()
        self._names_seen.update((name, f"local:{resolved}", file.stem))
        if resolved in self._local_files:
            # The same directory given twice (say, relative in stagecraft.yml and
            # absolute on the command line): running the file again would make
            # new provider objects that then conflict with the first ones.
            return
        self._local_files.add(resolved)
        if any(manager.is_blocked(n) for n in (name, f"local:{resolved}", file.stem)):
            manager.record(base, replace=False)
            return
        digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
        module_name = f"stagecraft_local_{file.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, file)
        if spec is None or spec.loader is None:
            manager.fail(base, f"local plugin {file} cannot be imported")
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any plugin failure is reported
            sys.modules.pop(module_name, None)
            manager.fail(base, f"local plugin {file} failed to import: {describe_exception(exc)}")
            return
        manager.register_checked(module, base)


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _version_of(dist_name: str) -> str | None:
    """The installed version of a distribution (None when it is not installed)."""
    try:
        return metadata.version(dist_name)
    except metadata.PackageNotFoundError:
        return None


def _dist_of_module(module_name: str) -> tuple[str | None, str | None]:
    top = module_name.split(".", maxsplit=1)[0]
    for dist_name in metadata.packages_distributions().get(top, []):
        return dist_name, _version_of(dist_name)
    return None, None


def load_plugin_manager(
    settings: PluginSettings | None = None, *, strict: bool = True
) -> PluginManager:
    """A plugin manager with everything loaded per ``settings`` (default: the environment).

    With ``strict`` (the default), any plugin that failed raises one
    :class:`PluginLoadError`; without it, failures are only recorded, as
    ``stagecraft plugins`` needs.
    """
    manager = PluginManager()
    Loader(manager).load(settings if settings is not None else PluginSettings.from_env())
    if strict:
        manager.raise_for_failures()
    return manager


def build_default_registry() -> Registry:
    """The default registry: the installed plugins, as the environment selects them.

    ``stagecraft``'s pyproject offers this function to
    :func:`stagecraft.providers.secrets.default_registry` through an entry point.
    """
    return load_plugin_manager().build_registry()
