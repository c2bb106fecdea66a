"""One plugin as ``stagecraft plugins`` lists it: how it was found, its state, its hooks."""

from __future__ import annotations

import enum

import attrs

from stagecraft.providers.secrets import Origin


class Status(str, enum.Enum):
    """The state of one plugin in a listing."""

    ACTIVE = "active"
    DISABLED = "disabled"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


class Kind(str, enum.Enum):
    """How a plugin was found."""

    BUILTIN = "builtin"
    ENTRY_POINT = "entry point"
    MODULE = "module"
    LOCAL = "local"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class PluginInfo:
    """One plugin as ``stagecraft plugins`` shows it."""

    name: str
    kind: Kind
    status: Status
    distribution: str | None = None
    version: str | None = None
    hooks: tuple[str, ...] = ()
    error: str | None = None
    target: str | None = None  # module path or file the plugin comes from

    @property
    def origin(self) -> Origin:
        return Origin(self.name, self.distribution, self.version)
