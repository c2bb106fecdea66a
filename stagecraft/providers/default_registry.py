"""The one default registry behind the seed's module-level ``get``/``register``/``has``/``ids``.

A thin facade, kept for the seed's ``secrets.get("envfile")``: code that
holds a registry passes it (``Context.registry``) instead.  The default is
built on first use, never by importing a module: by the factory a program
gives :func:`set_default_registry_factory`, else by the builder the
installed plugin layer declares as an entry point, so this module (part of
the interface) never imports the plugin layer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from stagecraft import discovery
from stagecraft.errors import PluginError
from stagecraft.providers.protocol import SecretsProvider
from stagecraft.providers.registry import Origin, Registry
from stagecraft.redact import Structural

#: The entry-point group in which the plugin layer offers the default registry's
#: builder (``stagecraft``'s own pyproject declares it): this module, the
#: interface, never imports the plugin layer, and nothing is wired on import.
DEFAULT_REGISTRY_GROUP = "stagecraft.default_registry"

# Re-entrant so that a plugin touching the default registry while it is being
# built (say, calling register() at import time) gets a clear error from the
# check below instead of deadlocking its own thread.
_default_lock = threading.RLock()
_default: Registry | None = None
_building = threading.local()
_factory: Callable[[], Registry] | None = None


def set_default_registry_factory(factory: Callable[[], Registry] | None) -> None:
    """Say how the default registry is built (None: the installed builder).

    For a program that embeds Stagecraft and composes its own registry; the
    next use of the default registry builds it with ``factory``.
    """
    global _factory
    with _default_lock:
        _factory = factory


def _installed_factory() -> Callable[[], Registry]:
    """The builder the installed plugin layer declares in :data:`DEFAULT_REGISTRY_GROUP`."""
    found = discovery.entry_points(DEFAULT_REGISTRY_GROUP)
    if len(found) != 1:
        listed = ", ".join(f"{ep.name} = {ep.value}" for ep in found) or "none"
        raise PluginError(
            Structural(
                f"expected one entry point in group {DEFAULT_REGISTRY_GROUP!r}, found {listed}: "
                "reinstall stagecraft (pip install --force-reinstall stagecraft)")
        )
    factory: Callable[[], Registry] = found[0].load()
    return factory


def default_registry() -> Registry:
    """The one default registry: the installed plugins as the environment selects them.

    Built on first use, by the factory given to :func:`set_default_registry_factory`,
    else by the installed plugin layer's builder.  It reads no ``stagecraft.yml``:
    code that has a registry of its own (the command, which reads the file)
    passes it in ``Context.registry`` instead of relying on this default.
    """
    global _default
    with _default_lock:
        if _default is None:
            if getattr(_building, "active", False):
                raise PluginError(
                    Structural(
                        "the default secrets provider registry was used while it is being built "
                        "(a plugin called stagecraft.providers.secrets functions at import time); "
                        "return providers from the secrets_provider_register hook instead")
                )
            _building.active = True
            try:
                _default = (_factory or _installed_factory())()
            finally:
                _building.active = False
        return _default


def reset_default_registry(registry: Registry | None = None) -> None:
    """Forget (or replace) the default registry; the next use rebuilds it."""
    global _default
    with _default_lock:
        _default = registry


def register(provider: SecretsProvider, origin: Origin | None = None) -> None:
    """Add a provider to the default registry."""
    default_registry().register(provider, origin)


def get(provider_id: str) -> SecretsProvider:
    """The provider with this id from the default registry."""
    return default_registry().get(provider_id)


def has(provider_id: str) -> bool:
    return default_registry().has(provider_id)


def ids() -> tuple[str, ...]:
    return default_registry().ids()


def list_providers() -> list[SecretsProvider]:
    return default_registry().list()
