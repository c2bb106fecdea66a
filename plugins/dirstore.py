"""dirstore: an in-house store keeping one file per key in a directory.

The whole of a remote-style store: read, write one key, delete (and refuse
keys that are not file names, before anything is written).  The
engine gives it dry runs, ``--check``, JSON, globs, ``--exclude``,
``--prune``, bounded concurrency, per-key failures, masking and Ctrl-C::

    stagecraft --plugins-dir plugins secrets sync --from .env --to dirstore:secrets.d
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import stagecraft
from stagecraft.files import atomic_write, make_private_dirs


class DirStore(stagecraft.SecretStore):
    id = "dirstore"
    concurrency = 4  # write_one calls in flight at once

    def read(
        self, ctx: stagecraft.Context, location: str, keys: Collection[str] | None
    ) -> dict[str, str]:
        folder = ctx.resolve(location)
        if not folder.is_dir():
            raise stagecraft.NoSuchLocationError(self.id, location, f"no directory {folder}")
        files = sorted(folder.iterdir())
        return {f.name: f.read_bytes().decode() for f in files if keys is None or f.name in keys}

    def check_values(
        self, ctx: stagecraft.Context, location: str, values: Mapping[str, str]
    ) -> dict[str, str]:  # a key is a file name: refuse one that names another place
        return {k: "not a file name" for k in values if k in ("", ".", "..") or "/" in k}

    def write_one(self, ctx: stagecraft.Context, location: str, key: str, value: str) -> None:
        make_private_dirs(ctx.resolve(location))  # 0700, parents too
        atomic_write(ctx.resolve(location) / key, value.encode("utf-8"))

    def delete(self, ctx: stagecraft.Context, location: str, keys: Collection[str]) -> None:
        for key in keys:
            (ctx.resolve(location) / key).unlink(missing_ok=True)


@stagecraft.hookimpl
def secrets_provider_register() -> DirStore:
    return DirStore()
