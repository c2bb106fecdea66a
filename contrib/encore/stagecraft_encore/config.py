"""The encore provider's section of ``stagecraft.yml``.

::

    secrets:
      providers:
        encore:
          source_file: .env.local     # default for --from
          app_root: .                 # holds encore.app; default: stagecraft.yml's directory
          types: [dev, local]         # default target when --to is absent
          envs: []                    # specific environments (slugs)
          encore_bin: encore
          concurrency: 8              # `encore secret set` calls in flight
          call_timeout: 60            # seconds one `encore` call may take (--timeout caps it)
          require_declared: false     # every secret the app declares must be set

The core structures that section into :class:`Config` with its strict
converter (defaults when the section is absent) and hands it to the store
as ``ctx.config``.  Values
are checked here, when the config is built, so a typo in ``types`` is
reported against the config file rather than in the middle of a sync.

This module is imported whenever the registry is built (the provider class
names :class:`Config`), so it imports nothing beyond what the core already
has loaded: the validators import :mod:`stagecraft_encore.targets` when
they run.
"""

from __future__ import annotations

from typing import Any

import attrs

from stagecraft.config_fields import concurrency, positive_seconds
from stagecraft.errors import InvalidConfigError
from stagecraft_encore.errors import TargetError


def _unprefixed(exc: Exception) -> str:
    """The message without ``encore: ``: the core already names the section."""
    return str(exc).removeprefix("encore: ")


def _check_types(_instance: object, _attribute: attrs.Attribute[Any], value: list[str]) -> None:
    from stagecraft_encore import targets

    try:
        targets.canonical_types(value)
    except TargetError as exc:
        raise InvalidConfigError(_unprefixed(exc)) from None


def _check_envs(_instance: object, _attribute: attrs.Attribute[Any], value: list[str]) -> None:
    from stagecraft_encore import targets

    try:
        targets.env_names(value)
    except TargetError as exc:
        raise InvalidConfigError(_unprefixed(exc)) from None


def _check_bin(_instance: object, _attribute: attrs.Attribute[Any], value: str) -> None:
    if not value:
        raise InvalidConfigError("encore_bin must not be empty")


@attrs.frozen
class Config:
    """Settings of the encore provider (all optional)."""

    source_file: str | None = None
    app_root: str | None = None
    types: list[str] = attrs.field(factory=list, validator=_check_types)
    envs: list[str] = attrs.field(factory=list, validator=_check_envs)
    encore_bin: str = attrs.field(default="encore", validator=_check_bin)
    concurrency: int = attrs.field(default=8, validator=concurrency)
    #: Seconds one ``encore`` call may take before it is stopped (a hung CLI
    #: never hangs the sync); the sync's ``--timeout`` cuts it further.
    call_timeout: float = attrs.field(default=60.0, validator=positive_seconds)
    #: Refuse a sync through the CLI when a secret the app declares is neither
    #: in the sync nor set in Encore for the selection (``encore debug meta``).
    require_declared: bool = False
