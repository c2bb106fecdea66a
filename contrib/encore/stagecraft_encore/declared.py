"""The secrets an Encore app declares, from ``encore debug meta --format=json``.

Encore parses the app and knows every ``secrets`` struct it uses.  The
command prints the parsed metadata as JSON (protobuf field names, every
field present, indented): a ``pkgs`` list whose entries hold the names in
``secrets``.  With ``require_declared: true`` the encore store checks,
before any ``set``, that each declared secret is either in this sync or
already set in Encore for the selection, so a deploy never starts with a
secret missing.  Anything not shaped like that is refused, not guessed at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stagecraft.errors import ProviderError
from stagecraft.providers.secrets import Context

__all__ = ["DeclaredSecretsError", "declared_secrets", "parse_meta"]


class DeclaredSecretsError(ProviderError):
    """``encore debug meta`` failed, or printed something this module cannot read."""


def parse_meta(text: str) -> list[str]:
    """Every secret name the metadata declares, first occurrence first."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise DeclaredSecretsError(
            "`encore debug meta --format=json` did not print JSON"
        ) from None
    packages = data.get("pkgs") if isinstance(data, dict) else None
    if not isinstance(packages, list):
        raise DeclaredSecretsError("`encore debug meta` printed no `pkgs` list")
    names: dict[str, None] = {}
    for number, package in enumerate(packages):
        if not isinstance(package, dict):
            raise DeclaredSecretsError(f"`encore debug meta`: pkgs[{number}] is not an object")
        secrets = package.get("secrets")
        if secrets is None:  # absent or null: none declared
            continue
        if not isinstance(secrets, list) or not all(isinstance(s, str) for s in secrets):
            raise DeclaredSecretsError(
                f"`encore debug meta`: pkgs[{number}].secrets is not a list of names"
            )
        names.update(dict.fromkeys(secrets))
    return list(names)


def declared_secrets(ctx: Context, binary: str, app_root: Path) -> list[str]:
    """Run ``encore debug meta --format=json`` in the app root; the secrets it declares."""
    from stagecraft_encore.cli_runner import failure_reason, run

    completed = run(
        ctx, [binary, "debug", "meta", "--format=json"], app_root, b"", DeclaredSecretsError)
    if completed.returncode != 0:
        reason = failure_reason(ctx, completed.returncode, completed.stderr)
        raise DeclaredSecretsError(f"`encore debug meta` failed, nothing was set: {reason}")
    return parse_meta(completed.stdout.decode("utf-8", errors="replace"))
