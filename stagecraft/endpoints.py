"""Which provider a sync runs and where it reads and writes, from what the user gave.

One place for the rules of ``--from``, ``--to``, ``--provider``,
``secrets.from``, ``secrets.to`` and ``secrets.provider``, used alike by the
command and by the Python API (:mod:`stagecraft.api`):

* ``--to ID:LOC`` (or ``secrets.to``) names the writing store itself;
  otherwise ``--provider`` or ``secrets.provider`` chooses it and the target
  is a location inside it, as in v1.
* A value from stagecraft.yml that is a file path is relative to the file's
  directory, as every path in stagecraft.yml is; one given on the command
  line (or to the API) is relative to the working directory.
* ``-`` (standard input) can be a source, never a target.

What a location means inside a store (its default, routing, whether it can
be read) is the engine's (:mod:`stagecraft.engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from stagecraft.errors import UserError
from stagecraft.filestore import FileStore
from stagecraft.locations import STDIN, split
from stagecraft.providers.secrets import Registry, SecretsProvider
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["Endpoints", "config_location", "refuse_stdout_target", "reserved_words", "resolve"]


class Endpoints(NamedTuple):
    """The provider that writes, and the source and target texts it is given."""

    provider: SecretsProvider
    source: str
    target: str


def resolve(
    config: Config | None,
    registry: Registry,
    *,
    cwd: Path,
    provider_id: str | None = None,
    source: str = "",
    target: str = "",
) -> Endpoints:
    """The :class:`Endpoints` of a sync; empty texts fall back to stagecraft.yml."""
    if target == STDIN:
        refuse_stdout_target()
    provider, location = _target_provider(
        config, registry, cwd, provider_id, target or _configured(config, registry, "target")
    )
    return Endpoints(provider, source or _configured(config, registry, "source"), location)


def refuse_stdout_target() -> None:
    """``--to -``: secret values are never printed, so standard output is no target."""
    raise UserError(
        Structural("--to -: standard output cannot be a target (secret values are never printed); "
        "for a file named '-', write --to ./-")
    )


def _target_provider(
    config: Config | None, registry: Registry, cwd: Path, provider_id: str | None, text: str
) -> tuple[SecretsProvider, str]:
    store_id, location = split(text, registry, cwd=cwd, reserved=reserved_words(registry))
    if store_id is not None:
        if provider_id and provider_id != store_id:
            raise UserError(Structural(
                f"--provider {provider_id} and --to {store_id}:... name different providers; "
                "drop one of them"
            ))
        return registry.get(store_id), location
    if provider_id:  # --provider wins over secrets.provider
        return registry.get(provider_id), location
    # Only now is the config model needed (see stagecraft.project.load_config).
    from stagecraft.config.provider_choice import choose_provider

    return choose_provider(config, registry), location


def _configured(config: Config | None, registry: Registry, role: str) -> str:
    """``secrets.from`` / ``secrets.to``, a file path made relative to the config's directory.

    A location is a path when it goes to a file store, or is an unprefixed
    source (an env file); other stores' locations are names and stay as written.
    """
    text: str | None = getattr(config.secrets, role) if config is not None else None
    if not text or config is None:
        return ""
    return config_location(config, registry, text, role)


def config_location(config: Config, registry: Registry, text: str, role: str) -> str:
    """A location written in stagecraft.yml (``secrets.from``, an environment), as the
    command line would write it: a file path made relative to the config's directory."""
    store_id, location = split(
        text, registry, cwd=config.directory, reserved=reserved_words(registry)
    )
    owner = store_id if store_id is not None else config.secrets.provider
    if store_id is None and role == "source":
        is_path = True  # an env file
    else:
        is_path = owner is not None and registry.has(owner) and isinstance(
            registry.get(owner), FileStore
        )
    if not is_path or Path(location).expanduser().is_absolute():
        return text
    resolved = str(config.directory / Path(location).expanduser())
    return f"{store_id}:{resolved}" if store_id is not None else resolved


def reserved_words(registry: Registry) -> set[str]:
    """Words that stores use in their own location grammar (``env:`` of Encore)."""
    words: set[str] = set()
    for provider in registry.list():
        words.update(getattr(provider, "reserved_prefixes", ()))
    return words
