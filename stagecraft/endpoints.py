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
* A word that is an environment name of ``secrets.environments`` means that
  environment's ``ID:LOCATION`` (a file path in it relative to the config's
  directory), before any file of that name; ``./dev`` or ``envfile:dev``
  is always the file.  A word spelled like a name that names no environment,
  no file and no store is refused with a did-you-mean, so that a typo is
  neither read as a missing file nor written as a new one (:func:`place`).

What a location means inside a store (its default, routing, whether it can
be read) is the engine's (:mod:`stagecraft.engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from stagecraft.errors import UserError, printable
from stagecraft.filestore import FileStore
from stagecraft.locations import STDIN, split
from stagecraft.providers.secrets import Registry, SecretsProvider
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = [
    "Endpoints", "Place", "config_location", "place", "refuse_naming_nothing",
    "refuse_stdout_target", "reserved_words", "resolve",
]


class Endpoints(NamedTuple):
    """The provider that writes, and the source and target texts it is given."""

    provider: SecretsProvider
    source: str
    target: str
    #: The environments of ``secrets.environments`` the source and target named, if any.
    source_environment: str | None = None
    target_environment: str | None = None


class Place(NamedTuple):
    """A ``LOCATION`` word (``--from``, ``--to``, ``secrets.from``, an API argument) resolved
    against the manifest: the text as the store prefix rules take it, and what it named."""

    #: ``ID:LOCATION`` or a path; a path from stagecraft.yml made relative to its directory.
    text: str
    #: The environment the word named; None when it named none.
    environment: str | None = None
    #: The word as written, for messages.
    word: str = ""
    #: `` (did you mean 'staging'?)`` for a word spelled like a name that names no environment.
    hint: str = ""


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
    to = place(config, registry, target, "target") if target else _configured(
        config, registry, "target")
    try:
        provider, location = _target_provider(config, registry, cwd, provider_id, to.text)
    except UserError:  # no provider for a word that is likely a mistyped environment
        refuse_naming_nothing(to, cwd)
        raise
    if isinstance(provider, FileStore):
        refuse_naming_nothing(to, cwd)  # a file target need not exist: a typo would create one
    fro = place(config, registry, source, "source") if source else _configured(
        config, registry, "source")
    refuse_naming_nothing(fro, cwd)  # an unprefixed source is an env file
    return Endpoints(provider, fro.text, location, fro.environment, to.environment)


def place(
    config: Config | None, registry: Registry, word: str, role: str, *, configured: bool = False
) -> Place:
    """What ``word`` means: an environment's location, or the word itself (see the module
    docstring).  ``configured``: the word was written in stagecraft.yml (``secrets.from``),
    so a file path in it is relative to the config's directory."""
    if config is None or not word:
        return Place(word, word=word)
    # Imported here: the config model is loaded only with a config file, and then it
    # already is (a run without one starts faster: tests/test_cli_process.py).
    from stagecraft.config.location_words import resolve_location

    resolved = resolve_location(word, config.manifest, registry.ids())
    if resolved.environment is not None:
        return Place(config_location(config, registry, resolved.location, role),
                     resolved.environment, word)
    text = config_location(config, registry, word, role) if configured else word
    return Place(text, None, word, resolved.hint)


def refuse_naming_nothing(where: Place, cwd: Path) -> None:
    """Refuse a word that looks like an environment name (:attr:`Place.hint`) and is no
    environment and no file either, with the did-you-mean over environments and stores."""
    if where.hint and not (cwd / where.text).expanduser().exists():
        raise UserError(Structural(
            f"{printable(where.word)}: no such environment or file{where.hint}; "
            f"for a file of that name, write ./{printable(where.word)}"
        ))


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


def _configured(config: Config | None, registry: Registry, role: str) -> Place:
    """``secrets.from`` / ``secrets.to``: an environment, or a location whose file path is
    made relative to the config's directory (:func:`config_location`)."""
    text: str | None = getattr(config.secrets, role) if config is not None else None
    if not text or config is None:
        return Place("")
    return place(config, registry, text, role, configured=True)


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
