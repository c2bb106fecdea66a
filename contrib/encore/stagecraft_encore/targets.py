"""Parsing ``--to`` for the encore provider.

A target is either Encore's secret store, reached through the ``encore``
CLI, or a local override file.  The forms accepted are:

* ``dev,local``: environment types, with Encore's aliases (``dev``,
  ``prod``, ``pr``, ``ephemeral``); names are case-sensitive, as in Encore;
* ``env:staging`` or ``env:staging,qa``: specific environments by slug;
  every name after ``env:`` is an environment, so ``dev,env:staging`` mixes
  both (types first);
* ``.secrets.local.cue`` (any path ending in ``.cue``, in any case): the
  local override file, relative to the app root.  Encore reads exactly
  ``.secrets.local.cue`` (it opens that name; on Linux file names are
  case-sensitive), so that name spelled in another case
  (``.secrets.local.CUE``) is refused rather than written where Encore
  never looks.

Parsing happens before any call to ``encore``, so a typo fails without
touching anything.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from stagecraft_encore.errors import TargetError

#: Encore's environment types, in the order the CLI documents them.
TYPES: tuple[str, ...] = ("development", "production", "preview", "local")

#: Aliases the CLI accepts for those types.
ALIASES: dict[str, str] = {
    "dev": "development",
    "prod": "production",
    "pr": "preview",
    "ephemeral": "preview",
}

ENV_PREFIX = "env:"
CUE_SUFFIX = ".cue"
#: The only override file Encore reads, next to ``encore.app``.
LOCAL_OVERRIDE_FILE = ".secrets.local.cue"


@attrs.frozen
class CliTarget:
    """Secrets set through ``encore secret set``: canonical types and environment slugs."""

    types: tuple[str, ...] = ()
    envs: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = list(self.types)
        if self.envs:
            parts.append(ENV_PREFIX + ",".join(self.envs))
        return ",".join(parts)


@attrs.frozen
class CueTarget:
    """The local override file; ``path`` is as written (resolved later against the app root)."""

    path: str


Target = CliTarget | CueTarget


def canonical_type(name: str) -> str:
    """The canonical name of an environment type, or :class:`TargetError`."""
    if name in TYPES:
        return name
    if name in ALIASES:
        return ALIASES[name]
    known = ", ".join([*TYPES, *ALIASES])
    raise TargetError(f"encore: unknown environment type {name!r} (known: {known})")


def canonical_types(names: Iterable[str]) -> tuple[str, ...]:
    """Canonical types for ``names``, duplicates dropped, first occurrence kept."""
    result: list[str] = []
    for name in names:
        canonical = canonical_type(name)
        if canonical not in result:
            result.append(canonical)
    return tuple(result)


def check_env_name(name: str) -> str:
    """An environment slug as given, refusing what cannot be passed to ``--env``."""
    if not name or name != name.strip() or "," in name or name.startswith("-"):
        raise TargetError(f"encore: invalid environment name {name!r}")
    return name


def env_names(names: Iterable[str]) -> tuple[str, ...]:
    """Checked environment slugs, duplicates dropped."""
    result: list[str] = []
    for name in names:
        if check_env_name(name) not in result:
            result.append(name)
    return tuple(result)


def parse_target(text: str) -> Target:
    """Parse a ``--to`` value (see the module docstring for the forms)."""
    if text.lower().endswith(CUE_SUFFIX):
        name = text.replace("\\", "/").rsplit("/", 1)[-1]
        if name != LOCAL_OVERRIDE_FILE and name.lower() == LOCAL_OVERRIDE_FILE:
            raise TargetError(
                f"encore: {text!r}: Encore reads only {LOCAL_OVERRIDE_FILE!r}, and the name is "
                f"case-sensitive; write --to {text[: -len(name)] + LOCAL_OVERRIDE_FILE}"
            )
        return CueTarget(text)
    types: list[str] = []
    envs: list[str] = []
    in_envs = False
    for raw in text.split(","):
        token = raw
        if raw.startswith(ENV_PREFIX):
            in_envs = True
            token = raw[len(ENV_PREFIX) :]
        if in_envs:
            if not token:
                raise TargetError(f"encore: empty environment name in target {text!r}")
            envs.append(token)
        elif not token:
            raise TargetError(f"encore: empty environment type in target {text!r}")
        else:
            types.append(token)
    return CliTarget(canonical_types(types), env_names(envs))


def default_target(types: Iterable[str], envs: Iterable[str]) -> CliTarget:
    """The target used when ``--to`` is absent: the configured types and environments."""
    target = CliTarget(canonical_types(types), env_names(envs))
    if not target.types and not target.envs:
        raise TargetError(
            "encore: no target: pass --to (e.g. `--to dev,local`, `--to env:staging` or "
            "`--to .secrets.local.cue`) or set `types` or `envs` under "
            "secrets.providers.encore in stagecraft.yml"
        )
    return target
