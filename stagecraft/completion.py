"""Shell completion: ``stagecraft completion {bash,zsh,fish}`` and the answers behind it.

Built on argcomplete, the library made for completing argparse commands:
the script it prints asks ``stagecraft`` itself for the candidates (with
``_ARGCOMPLETE`` set in the environment), so completion always matches the
installed plugins and the project's ``stagecraft.yml``: provider ids for
``--provider`` and ``secrets providers ID``; environment names of
``secrets.environments``, store prefixes (``encore:``, ``envfile:``) and
files for ``--from``, ``--to`` and ``secrets list`` / ``secrets check``;
environment names for ``--env``; sync names of ``secrets.syncs`` for
``--only``; files after a file store's prefix; every command and option.

argcomplete is imported only when a shell asks for candidates (``_ARGCOMPLETE``
is set) or for the script: other commands never use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stagecraft.filestore import FileStore
from stagecraft.project import load_config, load_plugins
from stagecraft.providers.secrets import Registry
from stagecraft.store import SecretStore

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["KINDS", "answer", "complete", "script"]

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


#: What :func:`complete` completes: the kinds of value an option or argument takes.
KINDS = ("provider", "source", "target", "environment", "sync")


def complete(kind: str, *, prefix: str = "", parsed_args: Any = None, **_: Any) -> list[str]:
    """Candidates for one value of ``kind`` (one of :data:`KINDS`): ``provider`` ids, a
    ``source`` / ``target`` (an environment, a store prefix or a file), an ``environment``
    name, or a ``sync`` name."""
    try:
        config, registry = _project(parsed_args)
    except Exception:  # noqa: BLE001 - a broken plugin or config must not break the shell
        return []
    if kind == "provider":
        return list(registry.ids())
    manifest = config.manifest if config is not None else None
    if kind == "sync":
        return _starting(prefix, [sync.name for sync in manifest.syncs] if manifest else [])
    environments = _starting(prefix, list(manifest.environments) if manifest else [])
    if kind == "environment":
        return environments
    word, colon, rest = prefix.partition(":")
    if colon and registry.has(word):
        return [f"{word}:{path}" for path in _files(rest)] if _is_file_store(
            registry.get(word)) else []
    stores = [f"{store_id}:" for store_id in registry.ids() if _is_store(registry.get(store_id))]
    if kind == "source":
        stores.append("-")
    return environments + stores + list(_files(prefix))


def _starting(prefix: str, names: list[str]) -> list[str]:
    return [name for name in names if name.startswith(prefix)]


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


def _project(parsed_args: Any) -> tuple[Config | None, Registry]:
    """The config and the registry as the command would build them, from the options typed
    so far."""
    cwd = Path.cwd()
    config = load_config(cwd, getattr(parsed_args, "config", None))
    return config, load_plugins(
        config, cwd,
        options=getattr(parsed_args, "plugin_args", None) or (),
        dirs=getattr(parsed_args, "plugins_dirs", None) or (),
        strict=False,
    ).build_registry()
