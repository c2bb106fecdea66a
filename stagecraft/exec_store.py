"""Stores in any language: a helper program serves a store id over the exec protocol.

An executable ``stagecraft-store-NAME`` on ``PATH`` is the store ``NAME``;
``plugins.exec: {NAME: COMMAND}`` in stagecraft.yml names one explicitly
(and wins over ``PATH``).  Entry-point plugins win a clash of ids: the
helper is then left out, with a warning.  The helper is asked what it can
do (``describe``) only when the store is first used, so an installed helper
costs nothing on commands that do not use it, and a broken one breaks only
the syncs that name it.
"""

from __future__ import annotations

import os
import re
import shlex
import threading
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from stagecraft.errors import ProviderError
from stagecraft.exec_protocol import DEFAULT_TIMEOUT, Description, ExecHelper
from stagecraft.providers.secrets import Context
from stagecraft.store import KeysNotWrittenError, SecretStore

__all__ = [
    "HELPER_PREFIX",
    "ExecStore",
    "exec_helper",
    "helpers_on_path",
]

#: An executable named ``stagecraft-store-NAME`` on ``PATH`` serves the store ``NAME``.
HELPER_PREFIX = "stagecraft-store-"
_STORE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


class ExecStore(SecretStore):
    """A store whose reads and writes are calls of a helper program (docs/exec-protocol.md).

    Each read, write and delete is one helper process; the engine gives it
    the same plans, retries of what the helper marks transient, partial
    failures and masking as any store.
    """

    def __init__(self, helper: ExecHelper) -> None:
        self.helper = helper
        self._lock = threading.Lock()
        self._description: Description | None = None

    def __repr__(self) -> str:
        return f"<ExecStore id={self.helper.name!r}>"

    # The store's id and capabilities belong to the helper, not to the class.
    @property
    def id(self) -> str:  # type: ignore[override]
        return self.helper.name

    @property
    def readable(self) -> bool:  # type: ignore[override]
        return self.description.readable

    @property
    def location_help(self) -> str:  # type: ignore[override]
        return self.description.location_help or f"a location {self.helper.name} understands"

    @property
    def can_delete(self) -> bool:
        return self.description.delete

    @property
    def description(self) -> Description:
        """The helper's ``describe`` answer, asked once, on first use."""
        with self._lock:
            if self._description is None:
                self._description = self.helper.describe(Context())
            return self._description

    # -- the store --------------------------------------------------------------

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        if not self.readable:
            raise ProviderError(f"{self.helper}: cannot be read (describe says readable: false)")
        values = self.helper.read(ctx, location, None if keys is None else list(keys),
                                  _plain(ctx.config))
        return {} if values is None else values

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        failed = self.helper.write(ctx, location, values, _plain(ctx.config))
        if failed:
            raise KeysNotWrittenError(failed)

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        failed = self.helper.delete(ctx, location, list(keys), _plain(ctx.config))
        if failed:
            raise KeysNotWrittenError(failed)


def _plain(config: Any) -> Any:
    """The store's section as the helper gets it: a JSON object (``{}`` when absent)."""
    return {} if config is None else config


def exec_helper(
    name: str, command: str | Iterable[str], timeout: float | None = None
) -> ExecHelper:
    """The helper for ``plugins.exec.NAME``: ``command`` is a list of words, or a string
    split as a shell splits words (without running a shell).

    Raises :class:`ValueError` with a message fit for a config error.
    """
    if not _STORE_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a store name (letters, digits, '-', '_' and '.'; "
            "starting with a letter or digit)"
        )
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if not words or not all(isinstance(word, str) and word for word in words):
        raise ValueError("the command must be a non-empty list of words, or a string")
    if timeout is not None and not timeout > 0:
        raise ValueError("timeout must be a positive number of seconds")
    return ExecHelper(name, tuple(words), DEFAULT_TIMEOUT if timeout is None else timeout)


def helpers_on_path(path: str | None = None) -> dict[str, ExecHelper]:
    """Every ``stagecraft-store-NAME`` executable on ``path`` (default ``$PATH``).

    As a shell finds commands, the first directory holding a name wins.
    """
    found: dict[str, ExecHelper] = {}
    search = os.environ.get("PATH", "") if path is None else path
    for directory in search.split(os.pathsep):
        try:
            entries = sorted(os.scandir(directory or "."), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            name = entry.name[len(HELPER_PREFIX):]
            if (
                entry.name.startswith(HELPER_PREFIX) and name not in found
                and _STORE_NAME.match(name) and entry.is_file()
                and os.access(entry.path, os.X_OK)
            ):
                found[name] = ExecHelper(name, (str(Path(entry.path).absolute()),))
    return found
