"""The store contract's check of the files and directories a store creates.

A store that keeps secrets on this machine (a file per key, a database
file) creates files only its owner may read (``0600``) and directories only
its owner may enter (``0700``), parents included, whatever the umask: the
sync runs with the common ``022``, under which a plain ``open`` or ``mkdir``
gives ``0644`` and ``0755``.  Existing files keep their mode (the command
warns about one others may read); stores with nothing on disk pass at once.
PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stagecraft.testing.provider_checks import CANARY_VALUES

__all__ = ["CONTRACT_SOURCE", "CreatedFileModes", "created_paths"]

#: The env file the store checks sync from, in the test's directory.
CONTRACT_SOURCE = "contract-source.env"
#: Mode bits a created file or directory must not have: any access but the owner's.
_OTHERS = 0o077
#: What the contract itself puts in the test's directory (the source, the core's state).
_NOT_THE_STORES = (CONTRACT_SOURCE, "xdg-state", "xdg-config", "contract-plugins")


def created_paths(root: Path, before: set[Path]) -> list[Path]:
    """Files and directories under ``root`` that are not in ``before``, the contract's left out."""
    found: list[Path] = []
    for directory, names, files in os.walk(root):
        here = Path(directory)
        names[:] = [name for name in names if name not in _NOT_THE_STORES or here != root]
        found += [here / name for name in [*names, *files]
                  if (here / name) not in before and not (here == root and name in _NOT_THE_STORES)]
    return found


class CreatedFileModes:
    """Mixed into :class:`~stagecraft.testing.StoreContract`."""

    def sync(self, tmp_path: Path, store: Any, location: str, values: Mapping[str, str],
             ctx: Any = None, **options: Any) -> Any:
        raise NotImplementedError  # StoreContract.sync

    def test_files_and_directories_the_store_creates_are_private(
        self, store: Any, location: str, tmp_path: Path
    ) -> None:
        before = set(created_paths(tmp_path, set()))
        umask = os.umask(0o022)
        try:
            self.sync(tmp_path, store, location, CANARY_VALUES)
        finally:
            os.umask(umask)
        exposed = []
        for path in created_paths(tmp_path, before):
            status = path.lstat()
            if stat.S_ISLNK(status.st_mode):
                continue
            mode = stat.S_IMODE(status.st_mode)
            kind = "directory" if stat.S_ISDIR(status.st_mode) else "file"
            if mode & _OTHERS:
                exposed.append(f"{path.relative_to(tmp_path)} ({kind}, mode {mode:04o})")
        assert not exposed, (
            "the store created files or directories others may use (want 0600 files, "
            f"0700 directories): {', '.join(exposed)}"
        )
