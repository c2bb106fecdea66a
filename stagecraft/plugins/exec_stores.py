"""The builtin ``exec`` plugin: helper programs as stores (docs/exec-protocol.md).

It contributes one :class:`~stagecraft.exec_store.ExecStore` for each
``stagecraft-store-NAME`` executable on ``PATH`` and each ``plugins.exec``
entry of stagecraft.yml (an entry wins over ``PATH``).  Its stores give way
to any other plugin's provider of the same id, with a warning, so installing
a Python plugin never breaks because a helper of that name lies around.
``-p no:exec`` turns it off.
"""

from __future__ import annotations

from collections.abc import Sequence

from stagecraft.exec_command import ExecCommand, commands_on_path
from stagecraft.exec_store import ExecStore
from stagecraft.hookspecs import hookimpl

#: The builtin plugin's name (``-p no:exec`` disables every exec store).
EXEC_PLUGIN = "exec"


class ExecStoresPlugin:
    """Contributes the exec-protocol stores found on ``PATH`` and in the config."""

    def __init__(self, configured: Sequence[ExecCommand], path: str | None = None) -> None:
        self.configured = tuple(configured)
        self.path = path

    def __repr__(self) -> str:
        return f"<ExecStoresPlugin configured={[c.name for c in self.configured]}>"

    @hookimpl
    def secrets_provider_register(self) -> list[ExecStore]:
        commands = commands_on_path(self.path)
        commands.update((command.name, command) for command in self.configured)
        return [ExecStore(command) for _, command in sorted(commands.items())]
