"""The plugin manager: pluggy's, with Stagecraft's records of every plugin seen.

Plugins are registered whole or not at all (:meth:`PluginManager.register_checked`),
validated by pluggy (at registration and by ``check_pending``), and called
through pluggy's hook calling, so wrappers and tracing apply to every call.
"""

from __future__ import annotations

import os

import attrs
import pluggy

from stagecraft import hookspecs
from stagecraft.errors import PluginError, PluginLoadError
from stagecraft.hookspecs import PROJECT_NAME
from stagecraft.plugins.contributions import Contribution, build_registry
from stagecraft.plugins.core import CorePlugin
from stagecraft.plugins.exec_stores import EXEC_PLUGIN
from stagecraft.plugins.failures import disable_hint, warn
from stagecraft.plugins.info import Kind, PluginInfo, Status
from stagecraft.plugins.settings import CORE_NOT_BLOCKABLE, CORE_PLUGIN
from stagecraft.plugins.tracing import ENV_TRACE, enable_safe_tracing
from stagecraft.plugins.validation import invalid_implementation, unknown_hooks
from stagecraft.providers.secrets import Origin, Registry
from stagecraft.release import VERSION


class PluginManager(pluggy.PluginManager):
    """pluggy's manager with Stagecraft's hooks, listing, failures and registry build."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        #: Hooks with a spec: the only names worth suggesting for a typo.
        self._specified = sorted(
            name for name in vars(hookspecs) if self.parse_hookspec_opts(hookspecs, name)
        )
        self._infos: dict[str, PluginInfo] = {}
        self._failures: list[PluginLoadError] = []
        self._warnings: list[str] = []
        self.register(CorePlugin(), name=CORE_PLUGIN)
        self._infos[CORE_PLUGIN] = PluginInfo(
            CORE_PLUGIN,
            Kind.BUILTIN,
            Status.ACTIVE,
            "stagecraft",
            VERSION,
            ("secrets_sync",),
            target="stagecraft.plugins.core.CorePlugin",
        )
        if os.environ.get(ENV_TRACE, "") not in ("", "0"):
            enable_safe_tracing(self)

    # -- blocking ----------------------------------------------------------------

    def block(self, name: str) -> None:
        """Never load (or unload) the plugin called ``name``."""
        if name == CORE_PLUGIN:
            raise PluginError(CORE_NOT_BLOCKABLE)
        self.set_blocked(name)
        info = self._infos.get(name)
        if info is not None and info.status is Status.ACTIVE:
            self._infos[name] = attrs.evolve(info, status=Status.DISABLED, hooks=())

    # -- registering ----------------------------------------------------------------

    def register_checked(self, plugin: object, info: PluginInfo) -> None:
        """Register ``plugin`` completely or not at all, and record how it went."""
        try:
            self.register(plugin, name=info.name)
        except pluggy.PluginValidationError as exc:
            problem = invalid_implementation(self, exc)
            self._unregister_partly_registered(plugin)
            self.fail(info, f"{info.origin} {problem}")
            return
        except ValueError as exc:  # pluggy's words for a name or object already registered
            self.fail(info, f"{info.origin} could not be registered: {exc}")
            return
        unknown = unknown_hooks(self, plugin, self._specified)
        if unknown:
            self.unregister(plugin)
            self.fail(info, f"{info.origin} implements unknown hook(s): {unknown}")
            return
        hooks = tuple(sorted(caller.name for caller in self.get_hookcallers(plugin) or ()))
        self.record(attrs.evolve(info, status=Status.ACTIVE, hooks=hooks))
        if not hooks and info.kind is Kind.MODULE:
            self.warn(
                f"plugin module {info.name!r} has no stagecraft hook implementations "
                "(functions marked @stagecraft.hookimpl); it was imported but adds nothing: "
                "is it the module you meant?"
            )

    def _unregister_partly_registered(self, plugin: object) -> None:
        # pluggy registers hook implementations one by one, so a validation
        # error leaves the ones before it behind: take them all out again.
        if self.is_registered(plugin):
            self.unregister(plugin)

    # -- records --------------------------------------------------------------------

    def record(self, info: PluginInfo, *, replace: bool = True) -> None:
        """Remember ``info`` for the listing (``replace=False``: only if not seen yet)."""
        if replace:
            self._infos[info.name] = info
        else:
            self._infos.setdefault(info.name, info)

    def fail(self, info: PluginInfo, message: str) -> None:
        """Record the plugin of ``info`` as failed because of ``message``."""
        full = f"{message}; {disable_hint(info.name)}"
        self._failures.append(PluginLoadError(full, plugin=info.name))
        self.record(attrs.evolve(info, status=Status.FAILED, hooks=(), error=full))

    def warn(self, message: str) -> None:
        """Record and log a warning about the plugins loaded."""
        self._warnings.append(message)
        warn(message)

    def _mark_failed(self, name: str, line: str) -> None:
        info = self._infos.get(name)
        if info is not None and info.status is Status.ACTIVE:
            self._infos[name] = attrs.evolve(info, status=Status.FAILED, error=line)

    @property
    def failures(self) -> tuple[PluginLoadError, ...]:
        return tuple(self._failures)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings so far (each also logged to ``stagecraft.plugins``)."""
        return tuple(self._warnings)

    def raise_for_failures(self) -> None:
        """Raise one :class:`PluginLoadError` describing every plugin that failed."""
        if not self._failures:
            return
        if len(self._failures) == 1:
            raise self._failures[0]
        lines = [f"{len(self._failures)} plugins failed to load:"]
        lines += [f"  {error}" for error in self._failures]
        raise PluginLoadError("\n".join(lines), plugin=self._failures[0].plugin)

    def list_plugins(self) -> list[PluginInfo]:
        """Every plugin seen: builtin first, then by kind and name."""
        order = {Kind.BUILTIN: 0, Kind.ENTRY_POINT: 1, Kind.MODULE: 2, Kind.LOCAL: 3}
        return sorted(self._infos.values(), key=lambda info: (order[info.kind], info.name))

    def info(self, name: str) -> PluginInfo | None:
        return self._infos.get(name)

    def origin_of(self, name: str) -> Origin:
        info = self._infos.get(name)
        return info.origin if info is not None else Origin(name)

    # -- registry -------------------------------------------------------------------

    def build_registry(self) -> Registry:
        """Every plugin's providers in a sorted, de-duplicated :class:`Registry`.

        Each plugin's ``secrets_provider_register`` is called on its own, so
        its providers (or its failure) are attributed to it and its
        distribution: through pluggy's hook calling, with only that plugin's
        implementation (and any wrappers of the hook) left in, so wrappers and
        tracing see every call.
        """
        hook = self.hook.secrets_provider_register
        contributors = [
            impl for impl in hook.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)
        ]
        contributions = [
            Contribution(
                self.origin_of(impl.plugin_name),
                self.subset_hook_caller(
                    hook.name, [other.plugin for other in contributors if other is not impl]
                ),
                yields=impl.plugin_name == EXEC_PLUGIN,
            )
            for impl in contributors
        ]
        return build_registry(contributions, self._mark_failed, self.warn)
