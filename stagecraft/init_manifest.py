"""What ``stagecraft init`` writes of the project's manifest: ``secrets.environments`` from
the env files it finds, and ``secrets.keys`` from an example env file.

The naming rule (documented in docs/commands.md): ``.env.NAME`` is the
environment ``NAME`` (``.env.local`` is ``local``, ``.env.staging`` is
``staging``, ``.env.development.local`` is ``development.local``), and
``.env`` itself is ``default``, the file tools read when no environment is
named.  A ``NAME`` that is no valid environment name, or that is a store id
(``.env.vault`` with the vault store installed), is left out with a note:
the file ``init`` writes must load, and either would be a config error.
Example files (``.env.example``, ``.sample``, ...) are never environments
(:func:`stagecraft.init_command.env_files` leaves them out); ``.env.example``
becomes ``keys: .env.example`` when it reads as an env file, else a note
names its line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import attrs

from stagecraft.config.example_file import read_example
from stagecraft.config.manifest import is_valid_name
from stagecraft.errors import UserError, printable

__all__ = ["DEFAULT_ENVIRONMENT", "EXAMPLE_FILE", "ManifestSection", "manifest_section"]

#: The environment ``.env`` itself becomes.
DEFAULT_ENVIRONMENT = "default"
#: The example env file that declares the project's keys.
EXAMPLE_FILE = ".env.example"
#: The store environments of env files live in.
_ENV_FILE_STORE = "envfile"


@attrs.frozen
class ManifestSection:
    """The environments and keys ``init`` writes, and what it left out and why."""

    #: Environment name -> env file name (in the project directory), in file-name order.
    environments: dict[str, str]
    keys_file: str | None
    notes: tuple[str, ...] = ()

    def lines(self, written: Callable[[str], str]) -> list[str]:
        """The YAML lines under ``secrets:``; ``written`` makes a file name relative to the
        config's directory."""
        lines: list[str] = []
        if self.environments:
            lines.append("  environments:")
            lines += [f"    {name}: {json.dumps(f'{_ENV_FILE_STORE}:{written(file)}')}"
                      for name, file in self.environments.items()]
        if self.keys_file is not None:
            lines.append(f"  keys: {json.dumps(written(self.keys_file))}")
        return lines

    def summary(self) -> list[str]:
        """Lines for the user: what was written, then the notes."""
        lines = []
        if self.environments:
            lines.append("environments: " + ", ".join(
                f"{name} ({printable(file)})" for name, file in self.environments.items()))
        if self.keys_file is not None:
            lines.append(f"keys: the keys of {self.keys_file}")
        return lines + list(self.notes)


def manifest_section(
    directory: Path, env_files: Sequence[str], store_ids: Collection[str]
) -> ManifestSection:
    """The section for a project in ``directory`` whose env files are ``env_files``."""
    environments: dict[str, str] = {}
    notes: list[str] = []
    if _ENV_FILE_STORE in store_ids:
        for file in env_files:
            name = environment_name(file)
            if not is_valid_name(name) or name in store_ids:
                why = "is a store id" if name in store_ids else "is not a valid environment name"
                notes.append(f"left {printable(file)} out of secrets.environments: "
                             f"{printable(name)!r} {why}")
                continue
            environments[name] = file
    keys_file = None
    if (directory / EXAMPLE_FILE).is_file():
        try:
            read_example(directory / EXAMPLE_FILE, EXAMPLE_FILE)
        except UserError as exc:  # names the file and line, never a value
            notes.append(f"no secrets.keys: {exc}")
        else:
            keys_file = EXAMPLE_FILE
    return ManifestSection(environments, keys_file, tuple(notes))


def environment_name(file: str) -> str:
    """The environment an env file named ``file`` becomes (the module docstring's rule)."""
    return DEFAULT_ENVIRONMENT if file == ".env" else file.removeprefix(".env.")
