"""jsonfile: secrets in a JSON object file, the tutorial's store (``--plugins-dir plugins``).

Only the format is here: the lock, the atomic ``0600`` write, plans, dry
runs, masking and ``--prune`` come from :class:`stagecraft.FileStore`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

import stagecraft


@attrs.frozen
class Config:
    """``secrets.providers.jsonfile`` in stagecraft.yml (paths relative to that file)."""

    source_file: str = ".env"
    target_file: str = "secrets.json"


class JsonFileStore(stagecraft.FileStore[dict[str, Any]]):
    id = "jsonfile"
    Config = Config

    def default_location(self, ctx: stagecraft.Context, role: str) -> str:
        name = ctx.config.source_file if role == "source" else ctx.config.target_file
        return str(ctx.resolve(name, from_config=True))

    def parse(self, ctx: stagecraft.Context, path: Path, data: bytes | None) -> dict[str, Any]:
        try:
            document = json.loads(data or b"{}")
        except ValueError as exc:  # says where, never the text there
            where = f"{exc.lineno}: not valid JSON" if hasattr(exc, "lineno") else " not UTF-8"
            raise stagecraft.UserError(f"{path}:{where}") from None
        if not isinstance(document, dict):
            raise stagecraft.UserError(f"{path}: holds a JSON {type(document).__name__}")
        others = [key for key, value in document.items() if not isinstance(value, str)]
        if others:  # names the keys, never the values
            raise stagecraft.UserError(
                f"{path}: not a JSON string, as every value here must be: "
                + ", ".join(map(repr, others))
            )
        return document

    def values(self, document: dict[str, Any]) -> dict[str, str]:
        return dict(document)

    def set(self, ctx: stagecraft.Context, document: dict[str, Any], key: str, value: str) -> None:
        document[key] = value

    def remove(self, document: dict[str, Any], key: str) -> None:
        document.pop(key, None)

    def render(self, document: dict[str, Any]) -> bytes:
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


@stagecraft.hookimpl
def secrets_provider_register() -> JsonFileStore:
    return JsonFileStore()
