"""``stagecraft --version``: the core's version and each installed plugin distribution."""

from __future__ import annotations

import sys

from stagecraft.discovery import entry_points
from stagecraft.release import VERSION

__all__ = ["version_text"]

#: The entry-point group of plugins (the project name).
_GROUP = "stagecraft"


def version_text() -> str:
    """Read from distribution metadata only, so a broken plugin cannot break ``--version``."""
    found: dict[str, str] = {}
    for ep in entry_points(_GROUP):
        if ep.dist_name is not None:
            found.setdefault(ep.dist_name, ep.dist_version or "?")
    lines = [f"stagecraft {VERSION} (Python {sys.version.split()[0]})"]
    if found:
        lines.append("plugin distributions:")
        lines += [f"  {name} {found[name]}" for name in sorted(found, key=str.lower)]
    else:
        lines.append("plugin distributions: none")
    return "\n".join(lines)
