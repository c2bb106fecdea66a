"""Shell completion: ``stagecraft completion {bash,zsh,fish}`` and the answers behind it.

Built on argcomplete, the library made for completing argparse commands:
the script it prints asks ``stagecraft`` itself for the candidates (with
``_ARGCOMPLETE`` set in the environment), so completion always matches the
installed plugins: provider ids for ``--provider`` and ``secrets providers
ID``, store prefixes (``encore:``, ``envfile:``) for ``--from`` and ``--to``,
files after a file store's prefix, and every command and option.

argcomplete is imported only when a shell asks for candidates (``_ARGCOMPLETE``
is set) or for the script: other commands never use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stagecraft.filestore import FileStore
from stagecraft.project import load_config, load_plugins
from stagecraft.providers.secrets import Registry
from stagecraft.store import SecretStore

__all__ = ["answer", "complete", "script"]

PROG = "stagecraft"


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    from argcomplete.shell_integration import shellcode

    return shellcode([PROG], shell=shell).rstrip("\n")


def answer(parser: Any) -> None:
    """Print the completions the shell asked for, and exit (argcomplete's protocol)."""
    from argcomplete.finders import CompletionFinder

    class Finder(CompletionFinder):
        """argcomplete's, offering nothing after the ``--`` of a command that runs
        another (``stagecraft run ... -- COMMAND``): that is COMMAND's line, not ours."""

        def collect_completions(
            self, active_parsers: list[Any], parsed_args: Any, cword_prefix: str
        ) -> list[str]:
            passthrough = getattr(active_parsers[-1], "passthrough", None)
            if passthrough is not None and getattr(parsed_args, passthrough, None) is not None:
                return []
            completions: list[str] = super().collect_completions(
                active_parsers, parsed_args, cword_prefix)
            return completions

    # Plugins may log or warn while the registry is built: the shell must
    # see none of it, only the candidates argcomplete writes to its own fd.
    Finder()(parser, exclude=["-h", "--help"], always_complete_options=False)


def complete(kind: str, *, prefix: str = "", parsed_args: Any = None, **_: Any) -> list[str]:
    """Candidates for one option value: ``provider`` ids, a ``source`` / ``target``, or an
    ``environment`` name of ``secrets.environments``."""
    if kind == "environment":
        return _environments(parsed_args)
    try:
        registry = _registry(parsed_args)
    except Exception:  # noqa: BLE001 - a broken plugin must not break the shell
        return []
    if kind == "provider":
        return list(registry.ids())
    word, colon, rest = prefix.partition(":")
    if colon and registry.has(word):
        return [f"{word}:{path}" for path in _files(rest)] if _is_file_store(
            registry.get(word)) else []
    stores = [f"{store_id}:" for store_id in registry.ids() if _is_store(registry.get(store_id))]
    if kind == "source":
        stores.append("-")
    return stores + list(_files(prefix))


def _is_store(provider: object) -> bool:
    """Whether ``provider`` can be named in ``ID:LOCATION`` (a store, not a raw provider)."""
    return isinstance(provider, SecretStore)


def _is_file_store(provider: object) -> bool:
    return isinstance(provider, FileStore)


def _files(prefix: str) -> Iterable[str]:
    """Paths starting with ``prefix``: directories with a ``/``, then files."""
    directory, _, start = prefix.rpartition("/")
    base = directory + "/" if directory else ""
    try:
        entries = sorted(os.scandir(directory or "."), key=lambda e: e.name)
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(start):
            continue
        hidden = entry.name.startswith(".") and not start.startswith(".")
        if hidden and not entry.name.startswith(".env"):  # env files are what --from reads
            continue
        found.append(base + entry.name + ("/" if entry.is_dir() else ""))
    return found


def _environments(parsed_args: Any) -> list[str]:
    """The environment names of the config the command would read (none without one)."""
    try:
        config = load_config(Path.cwd(), getattr(parsed_args, "config", None))
    except Exception:  # noqa: BLE001 - a broken config must not break the shell
        return []
    return list(config.manifest.environments) if config is not None else []


def _registry(parsed_args: Any) -> Registry:
    """The registry as the command would build it, from the options typed so far."""
    cwd = Path.cwd()
    config = load_config(cwd, getattr(parsed_args, "config", None))
    return load_plugins(
        config, cwd,
        options=getattr(parsed_args, "plugin_args", None) or (),
        dirs=getattr(parsed_args, "plugins_dirs", None) or (),
        strict=False,
    ).build_registry()
