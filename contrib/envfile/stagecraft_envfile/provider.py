"""The envfile store: secrets in a ``.env`` file.

The file is edited through :mod:`stagecraft.dotenv`'s lossless document, so
comments, blank lines, order and untouched entries stay byte-identical;
everything else (the lock, the atomic replace, ``0600``, planning, dry runs)
is :class:`stagecraft.FileStore` and the core's engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from stagecraft import dotenv
from stagecraft.errors import UserError
from stagecraft.filestore import FileStore
from stagecraft.providers.secrets import Context
from stagecraft_envfile.config import Config as EnvfileConfig


class EnvfileStore(FileStore[dotenv.Document]):
    """Env file to env file.  Stateless: one instance serves every sync."""

    id = "envfile"
    Config = EnvfileConfig
    location_help = "PATH of an env file (relative to the working directory)"

    def default_location(self, ctx: Context, role: str) -> str | None:
        key, flag = ("source_file", "--from") if role == "source" else ("target_file", "--to")
        configured = getattr(ctx.config, key)
        if not configured:
            raise UserError(
                f"{self.id}: no {role} file: pass {flag} or set secrets.providers.{self.id}.{key}"
            )
        return str(ctx.resolve(configured, from_config=True))

    def may_create(self, ctx: Context, path: Path) -> bool:
        if not self.config_of(ctx).create_target:
            raise UserError(f"{path}: target does not exist and create_target is false")
        return True

    def parse(self, ctx: Context, path: Path, data: bytes | None) -> dotenv.Document:
        if data is None:
            return dotenv.new_document(str(path))
        return dotenv.parse(
            data, path=str(path), warn=ctx.logger.warning, readers=self.config_of(ctx).reader_set
        )

    def values(self, document: dotenv.Document) -> Mapping[str, str]:
        return document.view()

    def check_values(
        self, ctx: Context, location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        refused = {}
        for key, value in values.items():
            if not dotenv.is_valid_key(key):
                refused[key] = "not a valid env file key (letters, digits, '_', '.', '-')"
                continue
            try:
                dotenv.format_value(key, value, self.config_of(ctx).reader_set)
            except dotenv.UnwritableValueError as exc:
                refused[key] = exc.reason
        return refused

    def set(self, ctx: Context, document: dotenv.Document, key: str, value: str) -> None:
        document.set(key, value, readers=self.config_of(ctx).reader_set)

    def share(self, document: dotenv.Document, key: str, value: str) -> None:
        document.set(key, value)  # an equal value: the document keeps this string, no edit

    def remove(self, document: dotenv.Document, key: str) -> None:
        document.remove(key)

    def render(self, document: dotenv.Document) -> bytes:
        return document.to_bytes()


#: The v1 name, kept for code that imported it.
EnvfileProvider = EnvfileStore
