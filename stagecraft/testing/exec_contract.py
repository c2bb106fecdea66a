"""The store contract suite for a helper in any language (the exec protocol).

Subclass :class:`ExecStoreContract` and give the command that starts the
helper; every check of :class:`~stagecraft.testing.StoreContract` then runs
against it through the real engine::

    from stagecraft.testing import ExecStoreContract

    class TestMyHelper(ExecStoreContract):
        command = ["/path/to/stagecraft-store-mine"]

The helper runs in the test's temporary directory, so give its path as an
absolute one.  Each test gets ``tmp_path / "store.json"`` as a fresh
location; override :meth:`make_location` when the helper's locations look
different.  PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from stagecraft.exec_command import exec_command
from stagecraft.exec_store import ExecStore
from stagecraft.store import SecretStore
from stagecraft.testing.store_contract import StoreContract

__all__ = ["ExecStoreContract"]


class ExecStoreContract(StoreContract):
    """:class:`StoreContract` for an exec-protocol helper given by its command."""

    #: The words that start the helper (a list, as ``plugins.exec`` takes it).
    command: ClassVar[Sequence[str]] = ()
    #: The store id the helper serves in the tests.
    name: ClassVar[str] = "exec-contract"
    #: Seconds one helper call may take.
    timeout: ClassVar[float] = 30.0

    def make_store(self) -> SecretStore:
        if not self.command:
            raise NotImplementedError("ExecStoreContract subclasses set command = [...]")
        return ExecStore(exec_command(self.name, {"command": list(self.command),
                                                  "timeout": self.timeout}))

    def make_location(self, tmp_path: Path) -> str:
        return str(tmp_path / "store.json")
