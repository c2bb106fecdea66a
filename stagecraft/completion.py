"""Shell completion: ``stagecraft completion {bash,zsh,fish}`` and the answers behind it.

Built on argcomplete, the library made for completing argparse commands:
the script it prints asks ``stagecraft`` itself for the candidates (with
``_ARGCOMPLETE`` set in the environment), so completion always matches the
installed plugins: provider ids for ``--provider`` and ``secrets providers
ID``, store prefixes (``encore:``, ``envfile:``) for ``--from`` and ``--to``,
files after a file store's prefix, and every command and option.

Plain commands never import this module or argcomplete: :func:`answer` is
called only when ``_ARGCOMPLETE`` is set, so start-up time does not change.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

__all__ = ["answer", "complete", "script"]

PROG = "stagecraft"


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    from argcomplete.shell_integration import shellcode

    return shellcode([PROG], shell=shell).rstrip("\n")


def answer(parser: Any) -> None:
    """Print the completions the shell asked for, and exit (argcomplete's protocol)."""
    import argcomplete

    _populate_all(parser)
    # Plugins may log or warn while the registry is built: the shell must
    # see none of it, only the candidates argcomplete writes to its own fd.
    argcomplete.autocomplete(parser, exclude=["-h", "--help"], always_complete_options=False)


def _populate_all(parser: Any) -> None:
    """Build every command's options now (the command builds them lazily, when used)."""
    import argparse

    populate = getattr(parser, "_populated", None)
    if populate is not None:
        populate()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                _populate_all(sub)


def complete(kind: str, *, prefix: str = "", parsed_args: Any = None, **_: Any) -> list[str]:
    """Candidates for one option value: ``provider`` ids, or a ``source`` / ``target``."""
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
    from stagecraft.store import SecretStore

    return isinstance(provider, SecretStore)


def _is_file_store(provider: object) -> bool:
    from stagecraft.filestore import FileStore

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


def _registry(parsed_args: Any) -> Any:
    """The registry as the command would build it, from the options typed so far."""
    from pathlib import Path

    from stagecraft.config_location import find_config
    from stagecraft.plugins import load_plugin_manager, plugin_settings

    cwd = Path.cwd()
    path = find_config(cwd, getattr(parsed_args, "config", None))
    config = None
    if path is not None:
        from stagecraft.config import load

        config = load(path, cwd=cwd)
    settings = plugin_settings(
        config,
        options=getattr(parsed_args, "plugin_args", None) or (),
        dirs=getattr(parsed_args, "plugins_dirs", None) or (),
        cwd=cwd,
    )
    return load_plugin_manager(settings, strict=False).build_registry()
