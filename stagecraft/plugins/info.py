"""One plugin as ``stagecraft plugins`` lists it: how it was found, its state, its hooks."""

from __future__ import annotations

import attrs

from stagecraft.providers.secrets import Origin
from stagecraft.text_enum import TextEnum


class Status(TextEnum):
    """The state of one plugin in a listing."""

    ACTIVE = "active"
    DISABLED = "disabled"
    FAILED = "failed"


class Kind(TextEnum):
    """How a plugin was found."""

    BUILTIN = "builtin"
    ENTRY_POINT = "entry point"
    MODULE = "module"
    LOCAL = "local"


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
