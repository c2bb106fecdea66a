"""The age store: an env file encrypted with age, edited like a plain one.

Once decrypted, the file is an env file, so everything about its text --
comments and order kept, how each value is written for the ``readers`` --
is the envfile store's (:class:`~stagecraft_envfile.provider.EnvfileStore`),
and the lock, the atomic replace and the file's mode and owner are the
core's :class:`~stagecraft.filestore.FileStore`.  This class adds only the
two steps in between: decrypt after reading, encrypt before writing, both
in memory, so the plaintext never reaches the disk.

Building the registry imports this module and the config only; pyrage
comes with the first file decrypted or encrypted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from stagecraft.providers.secrets import Context
from stagecraft.store import StoreSession
from stagecraft_age.config import Config as AgeConfig
from stagecraft_envfile.provider import EnvfileStore


class AgeStore(EnvfileStore):
    """``age:PATH``: an age-encrypted env file.  Stateless: one instance serves every sync."""

    id = "age"
    Config = AgeConfig
    location_help = "PATH of an age-encrypted env file (relative to the working directory)"

    def decode(self, ctx: Context, path: Path, data: bytes) -> bytes:
        from stagecraft_age import crypto, keys

        identities, origin = keys.identities(ctx, self.config_of(ctx))
        return crypto.decrypt(path, data, identities, origin)

    def encode(self, ctx: Context, path: Path, data: bytes) -> bytes:
        from stagecraft_age import crypto, keys

        config = self.config_of(ctx)
        return crypto.encrypt(path, data, keys.recipients(ctx, config, path), armor=config.armor)

    @contextlib.contextmanager
    def session(self, ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
        """A write's session; the recipients are checked first, so a dry run finds a bad one."""
        from stagecraft_age import keys

        keys.recipients(ctx, self.config_of(ctx), self.path(ctx, location))
        with super().session(ctx, location, dry_run=dry_run) as session:
            yield session
