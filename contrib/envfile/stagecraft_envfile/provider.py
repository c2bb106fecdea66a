"""The envfile provider: read a source env file, merge keys into a target one.

The target is edited through :mod:`stagecraft.dotenv`'s lossless document,
so comments, blank lines, order and untouched entries stay byte-identical;
the write goes through :func:`stagecraft.files.locked_update` (exclusive lock
for the whole read-modify-write, atomic replace, ``0600`` for new files, the
existing mode kept, symlinks followed, no write when nothing changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from stagecraft import dotenv
from stagecraft.errors import UserError
from stagecraft.files import locked_update, real_path
from stagecraft.providers.secrets import Action, Context, SyncOptions, SyncResult
from stagecraft_envfile.config import Config


class EnvfileProvider:
    """Env file to env file.  Stateless: one instance serves every sync."""

    id = "envfile"
    Config = Config

    def __repr__(self) -> str:
        return "<EnvfileProvider id='envfile'>"

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        config = _config_of(opts.config)
        source = _path(
            ctx, opts.source, config.source_file, what="source", flag="--from", key="source_file"
        )
        target = _path(
            ctx, opts.target, config.target_file, what="target", flag="--to", key="target_file"
        )
        if real_path(source) == real_path(target):
            raise UserError(f"{source}: source and target are the same file")

        values = dotenv.load(source, warn=ctx.logger.warning).values()
        ctx.add_secrets(values.values())
        keys = opts.select(values, source=str(source))
        readers = config.reader_set
        ctx.check()

        with locked_update(target, dry_run=opts.dry_run) as file:
            if file.original is None:
                if not config.create_target:
                    raise UserError(
                        f"{target}: target does not exist and create_target is false"
                    )
                document = dotenv.new_document(str(target))
            else:
                document = dotenv.parse(file.original, path=str(target), warn=ctx.logger.warning)
                # The source's values are registered already: only the target's
                # other values are new to the redactor.
                ctx.add_secrets(
                    value for key, value in document.items() if values.get(key) != value
                )
            # set() refuses a value no quoting suits before anything is written
            # (the write comes last).
            result = SyncResult.from_actions(_merge(document, keys, values, readers))
            del keys, values  # the source is merged: free it before rendering the target
            ctx.check()
            file.write(document.to_bytes())
        return result


def _merge(
    document: dotenv.Document,
    keys: Iterable[str],
    values: Mapping[str, str],
    readers: frozenset[dotenv.Reader],
) -> Iterator[tuple[str, Action]]:
    """Give each key its source value in ``document``, saying what that did to it."""
    for key in keys:
        before = document.get(key)
        if not document.set(key, values[key], readers=readers):
            yield key, Action.UNCHANGED
        elif before is None:
            yield key, Action.ADDED
        else:
            yield key, Action.UPDATED


def _config_of(raw: Any) -> Config:
    if raw is None:
        return Config()
    if isinstance(raw, Config):
        return raw
    if isinstance(raw, Mapping):
        return Config(**raw)
    raise UserError(f"envfile: config must be a mapping, not {type(raw).__name__}")


def _path(
    ctx: Context, given: str, configured: str | None, *, what: str, flag: str, key: str
) -> Path:
    if given:
        return ctx.resolve(given)
    if configured:
        return ctx.resolve(configured, from_config=True)
    raise UserError(
        f"envfile: no {what} file: pass {flag} or set secrets.providers.envfile.{key}"
    )
