"""Where a value is in ``stagecraft.yml``: the marks every message points at."""

from __future__ import annotations

import attrs

#: A location inside the document: mapping keys and list indices.
NodePath = tuple[str | int, ...]


@attrs.frozen
class Mark:
    """A 1-based line and column."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@attrs.frozen
class Marks:
    """Where each value (and each mapping key) of the document starts."""

    values: dict[NodePath, Mark] = attrs.field(factory=dict)
    keys: dict[NodePath, Mark] = attrs.field(factory=dict)

    def of_value(self, path: NodePath) -> Mark:
        """The mark of the value at ``path``, or of its nearest ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Mark(1, 1))

    def of_key(self, path: NodePath) -> Mark:
        return self.keys.get(path) or self.of_value(path)


def format_path(path: NodePath) -> str:
    """``("plugins", "dirs", 1)`` -> ``plugins.dirs[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
