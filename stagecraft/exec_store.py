"""Stores in any language: a helper program serves a store id over the exec protocol.

The helper is asked what it can do (``describe``) only when the store is
first used, so an installed helper costs nothing on commands that do not
use it, and a broken one breaks only the syncs that name it.  Which helpers
exist is :mod:`stagecraft.exec_command`'s business; how one call runs,
:mod:`stagecraft.exec_protocol`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from typing import Any

from stagecraft.errors import ProviderError
from stagecraft.exec_command import ExecCommand
from stagecraft.exec_protocol import Description, ExecHelper
from stagecraft.providers.secrets import Context
from stagecraft.redact import Structural
from stagecraft.store import KeysNotWrittenError, NoSuchLocationError, SecretStore

__all__ = ["ExecStore"]


class ExecStore(SecretStore):
    """A store whose reads and writes are calls of a helper program (docs/exec-protocol.md).

    Each read, write and delete is one helper process; the engine gives it
    the same plans, retries of what the helper marks transient, partial
    failures and masking as any store.
    """

    def __init__(self, command: ExecCommand) -> None:
        self.helper = ExecHelper(command)
        self._lock = threading.Lock()
        self._description: Description | None = None

    def __repr__(self) -> str:
        return f"<ExecStore id={self.helper.command.name!r}>"

    def __str__(self) -> str:
        return str(self.helper.command)

    # The store's id and capabilities belong to the helper, not to the class.
    @property
    def id(self) -> str:  # type: ignore[override]
        return self.helper.command.name

    @property
    def readable(self) -> bool:  # type: ignore[override]
        return self.description.readable

    @property
    def location_help(self) -> str:  # type: ignore[override]
        name = self.helper.command.name
        return self.description.location_help or f"a location the {name} helper understands"

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
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
            raise ProviderError(
                Structural(f"{self.helper}: cannot be read (describe says readable: false)")
            )
        values = self.helper.read(ctx, location, None if keys is None else list(keys),
                                  _plain(ctx.config))
        if values is None:
            raise NoSuchLocationError(self.id, location, "the helper answered exists: false")
        return values

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
