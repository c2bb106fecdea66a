"""jsonfile: sync the keys of an env file into a JSON object file.

An example in-house provider, small enough to read in one sitting and copy:
load it with ``stagecraft --plugins-dir plugins ...`` and run::

    stagecraft --plugins-dir plugins secrets sync --provider jsonfile --from .env --to out.json

The target is a JSON object of strings.  Keys already in it that the sync
does not touch are kept; the file is replaced atomically, and a new file is
created readable by its owner only (0600).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

import stagecraft
from stagecraft import dotenv
from stagecraft.files import locked_update
from stagecraft.providers.secrets import Action, Context, SyncOptions, SyncResult


class JsonFileError(stagecraft.UserError):
    """The target exists but is not a JSON object."""


@attrs.frozen
class Config:
    """The ``secrets.providers.jsonfile`` section of ``stagecraft.yml``."""

    source_file: str = ".env"
    target_file: str = "secrets.json"


class JsonFileProvider:
    """Copies env-file values into a JSON object, reporting each key's action."""

    id = "jsonfile"
    Config = Config

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        config = opts.config if opts.config is not None else Config()
        source = _path(ctx, opts.source, config.source_file)
        target = _path(ctx, opts.target, config.target_file)

        values = dotenv.load(source).values()
        ctx.add_secrets(values.values())
        keys = opts.select(values, source=str(source))  # fails before anything is written

        with locked_update(target, dry_run=opts.dry_run) as file:
            current = _parse(file.original, target)
            actions: list[tuple[str, Action]] = []
            for key in keys:
                if key not in current:
                    actions.append((key, Action.ADDED))
                elif current[key] != values[key]:
                    actions.append((key, Action.UPDATED))
                else:
                    actions.append((key, Action.UNCHANGED))
                current[key] = values[key]
            file.write(_render(current))  # no-op on a dry run or when nothing changed
        return SyncResult.from_actions(actions)


def _path(ctx: Context, given: str, configured: str) -> Path:
    """``--from``/``--to`` are relative to the working directory, config paths to the config."""
    if given:
        return ctx.resolve(given)
    return ctx.resolve(configured, from_config=True)


def _parse(content: bytes | None, target: Path) -> dict[str, Any]:
    if content is None or not content.strip():
        return {}
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise JsonFileError(f"{target}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        # The decoder's message names the position, never the text around it.
        raise JsonFileError(
            f"{target}:{exc.lineno}: not valid JSON (column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise JsonFileError(f"{target}: holds a JSON {type(data).__name__}, not an object")
    return data


def _render(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@stagecraft.hookimpl
def secrets_provider_register() -> JsonFileProvider:
    return JsonFileProvider()
