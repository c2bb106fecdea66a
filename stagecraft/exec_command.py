"""How to start an exec-protocol helper: from ``plugins.exec`` or from ``PATH``.

Kept apart from running one (:mod:`stagecraft.exec_protocol`) so that the
config file can be checked, at its lines, without the store machinery.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

__all__ = ["DEFAULT_TIMEOUT", "HELPER_PREFIX", "ExecCommand", "commands_on_path", "exec_command"]

#: An executable named ``stagecraft-store-NAME`` on ``PATH`` serves the store ``NAME``.
HELPER_PREFIX = "stagecraft-store-"
#: Seconds one helper call may take unless its settings say otherwise.
DEFAULT_TIMEOUT = 30.0
_STORE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


@attrs.frozen
class ExecCommand:
    """The store name a helper serves, the words that start it, and its per-call timeout."""

    name: str
    argv: tuple[str, ...]
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:
        return f"exec store {self.name!r} ({' '.join(self.argv)})"


def exec_command(name: str, setting: Any) -> ExecCommand:
    """``plugins.exec.NAME`` read: a list of words, a string split as a shell splits
    words (no shell runs it), or ``{command: ..., timeout: SECONDS}``.

    Raises :class:`ValueError` with a message fit for a config error.
    """
    if not isinstance(name, str) or not _STORE_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a store name (letters, digits, '-', '_' and '.', "
            "starting with a letter or digit)"
        )
    timeout: Any = DEFAULT_TIMEOUT
    if isinstance(setting, Mapping):
        unknown = sorted(str(key) for key in setting if key not in ("command", "timeout"))
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)} (command, timeout)")
        timeout = setting.get("timeout", DEFAULT_TIMEOUT)
        setting = setting.get("command")
    words = shlex.split(setting) if isinstance(setting, str) else setting
    if not isinstance(words, (list, tuple)) or not words or not all(
        isinstance(word, str) and word for word in words
    ):
        raise ValueError("the command must be a non-empty list of words, or a string")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError("timeout must be a positive number of seconds")
    return ExecCommand(name, tuple(words), float(timeout))


def commands_on_path(path: str | None = None) -> dict[str, ExecCommand]:
    """Every ``stagecraft-store-NAME`` executable on ``path`` (default ``$PATH``).

    As a shell finds commands, the first directory holding a name wins.
    """
    found: dict[str, ExecCommand] = {}
    search = os.environ.get("PATH", "") if path is None else path
    for directory in search.split(os.pathsep):
        try:
            entries = [e for e in os.scandir(directory or ".") if e.name.startswith(HELPER_PREFIX)]
        except OSError:
            continue
        for entry in sorted(entries, key=lambda entry: entry.name):
            name = entry.name[len(HELPER_PREFIX):]
            if (
                name not in found and _STORE_NAME.match(name) and entry.is_file()
                and os.access(entry.path, os.X_OK)
            ):
                found[name] = ExecCommand(name, (str(Path(entry.path).absolute()),))
    return found
