"""Entry points of the ``stagecraft`` group, as :mod:`importlib.metadata` reports them.

One function, so the plugin manager and ``--version`` read installed plugins
the same way: each entry point with the distribution that declares it.
:mod:`importlib.metadata` is asked every time and nothing is remembered between
runs, so a plugin installed, upgraded or removed is seen by the next command.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any, NamedTuple


class EntryPointRecord(NamedTuple):
    """One entry point with its distribution's name and version."""

    name: str
    value: str
    dist_name: str | None
    dist_version: str | None
    entry_point: Any

    def load(self) -> Any:
        """Import the object the entry point names."""
        return self.entry_point.load()


def entry_points(group: str) -> tuple[EntryPointRecord, ...]:
    """The entry points of ``group``, in :mod:`importlib.metadata`'s order."""
    found = []
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        # One parse of the distribution's METADATA for both fields (``dist.name`` and
        # ``dist.version`` would each parse it again).
        about = None if dist is None else dist.metadata
        name, version = (None, None) if about is None else (about["Name"], about["Version"])
        found.append(EntryPointRecord(ep.name, ep.value, name, version, ep))
    return tuple(found)
