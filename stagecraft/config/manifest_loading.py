"""Building the :class:`~stagecraft.config.manifest.Manifest` from ``stagecraft.yml``.

Everything that can be checked without the plugins is checked when the file
loads, and every problem is reported at once at its ``FILE:LINE:COL``.
Whether an environment's name clashes with an installed store, or its store
is installed at all, needs the registry: :func:`check_environments` and
:func:`environment_problems` take the store ids from the caller, since
loading the config never loads plugins.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from stagecraft.config.converter import kind_of, structure
from stagecraft.config.example_file import read_example
from stagecraft.config.manifest import (
    STORE_LOCATION,
    DeclaredKey,
    Environment,
    Manifest,
    NamedSync,
    Required,
    is_valid_name,
)
from stagecraft.config.marks import Marks, NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.config.schema import Config, KeySpec, SecretsConfig
from stagecraft.errors import ConfigFileError, UserError, did_you_mean

_NAME_RULE = "use letters, digits, '-', '_' and '.', starting with a letter or digit"


class _Problems:
    """The problems found so far, each at the mark of the node it is about."""

    def __init__(self, marks: Marks) -> None:
        self.marks = marks
        self.found: list[Problem] = []

    def add(self, path: NodePath, message: str, *, at_key: bool = False) -> None:
        mark = self.marks.of_key(path) if at_key else self.marks.of_value(path)
        self.found.append(Problem(mark, format_path(path), message))

    def line(self, path: NodePath) -> int:
        return self.marks.of_key(path).line


def build_manifest(
    secrets: SecretsConfig, marks: Marks, display: str, directory: Path
) -> Manifest:
    """The manifest ``secrets`` describes; relative paths resolve against ``directory``.

    Raises :class:`ConfigFileError` listing every problem, in file order.
    """
    problems = _Problems(marks)
    environments = _environments(secrets.environments, problems)
    keys = _keys(secrets.keys, environments, problems, display, directory)
    syncs = _syncs(secrets, environments, problems)
    if problems.found:
        found = sorted(problems.found, key=lambda p: (p.mark.line, p.mark.column))
        raise ConfigFileError(display, found)
    keys_file = secrets.keys if isinstance(secrets.keys, str) else None
    return Manifest(environments, keys, syncs, keys_file)


def _environments(written: Mapping[str, str], problems: _Problems) -> dict[str, Environment]:
    environments: dict[str, Environment] = {}
    for name, value in written.items():
        path: NodePath = ("secrets", "environments", name)
        if not is_valid_name(name):
            problems.add(path, f"not a valid environment name: {_NAME_RULE}", at_key=True)
            continue
        match = STORE_LOCATION.fullmatch(value)
        if match is None:
            problems.add(
                path,
                "expected ID:LOCATION of a store (envfile:.env.local, vault:secret/app)",
            )
            continue
        environments[name] = Environment(name, match.group(1), match.group(2))
    return environments


def _keys(
    written: Any,
    environments: Mapping[str, Environment],
    problems: _Problems,
    display: str,
    directory: Path,
) -> tuple[DeclaredKey, ...]:
    path: NodePath = ("secrets", "keys")
    if written is None:
        return ()
    if isinstance(written, str):
        if not written.strip():
            problems.add(path, "must not be empty")
            return ()
        try:
            return read_example(directory / Path(written).expanduser(), written)
        except UserError as exc:  # names the example file and line, never a value
            problems.add(path, str(exc))
            return ()
    if isinstance(written, list):
        _list_of_keys(written, problems)
        return ()
    if not isinstance(written, dict):
        problems.add(
            path, f"expected a path to an example env file or a mapping of keys, got "
            f"{kind_of(written)}"
        )
        return ()
    declared = []
    for name, spec in written.items():
        key_path = (*path, name)
        if not name.strip():
            problems.add(key_path, "a key name must not be empty", at_key=True)
            continue
        try:
            parsed: KeySpec = structure(
                {} if spec is None else spec, KeySpec, problems.marks, display, base=key_path
            )
        except ConfigFileError as exc:
            problems.found.extend(exc.problems)
            continue
        required = _required(parsed.required, (*key_path, "required"), environments, problems)
        declared.append(DeclaredKey(name, parsed.description, required))
    return tuple(declared)


def _list_of_keys(written: list[Any], problems: _Problems) -> None:
    """``keys`` as a list: the one way YAML can give keys both as a file and inline."""
    path: NodePath = ("secrets", "keys")
    files = [i for i, item in enumerate(written) if isinstance(item, str)]
    inline = [i for i, item in enumerate(written) if isinstance(item, dict)]
    if files and inline:
        file_line = problems.marks.of_value((*path, files[0])).line
        inline_line = problems.marks.of_value((*path, inline[0])).line
        problems.add(
            path,
            f"keys given both as a file (line {file_line}) and inline (line {inline_line}): "
            "write either `keys: FILE` or a mapping of keys, not both",
        )
    else:
        problems.add(path, "expected a path to an example env file or a mapping of keys, "
                           "got a list")


def _required(
    written: Any, path: NodePath, environments: Mapping[str, Environment], problems: _Problems
) -> Required:
    if isinstance(written, bool):
        return written
    if not isinstance(written, list):
        problems.add(path, f"expected true, false or a list of environment names, got "
                           f"{kind_of(written)}")
        return True
    names: set[str] = set()
    for index, name in enumerate(written):
        if not isinstance(name, str):
            problems.add((*path, index), f"expected an environment name, got {kind_of(name)}")
        elif name not in environments:
            problems.add((*path, index), _unknown_environment(name, environments))
        else:
            names.add(name)
    return frozenset(names)


def _syncs(
    secrets: SecretsConfig, environments: Mapping[str, Environment], problems: _Problems
) -> tuple[NamedSync, ...]:
    syncs = []
    for name, spec in secrets.syncs.items():
        path: NodePath = ("secrets", "syncs", name)
        if not is_valid_name(name):
            problems.add(path, f"not a valid sync name: {_NAME_RULE}", at_key=True)
        for role, value in (("from", spec.source), ("to", spec.target)):
            if not value.strip():
                problems.add((*path, role), "must not be empty")
            elif is_valid_name(value) and value not in environments:
                problems.add(
                    (*path, role),
                    _unknown_environment(value, environments)
                    + f"; for a file, write ./{value} or envfile:{value}",
                )
        if spec.source.strip() and spec.source == spec.target:
            problems.add((*path, "to"), "the same as from: a sync copies between two places")
        if spec.keys is not None and not spec.keys:
            # Read as "no keys of its own", it would copy every key: never what [] means.
            problems.add((*path, "keys"), "must name at least one key or pattern "
                         "(leave keys out for the declared keys, or write ['*'] for all)")
        for field, patterns in (("keys", spec.keys or ()), ("exclude", spec.exclude)):
            for index, pattern in enumerate(patterns):
                if not pattern.strip():
                    problems.add((*path, field, index), "must not be empty")
        syncs.append(
            NamedSync(name, spec.source, spec.target, spec.keys, spec.exclude, spec.prune)
        )
    if secrets.syncs:
        syncs_line = problems.line(("secrets", "syncs"))
        for default, given in (("from", secrets.source), ("to", secrets.target)):
            if given is not None:
                problems.add(
                    ("secrets", default),
                    f"cannot be used together with secrets.syncs (line {syncs_line}): "
                    "give each sync its own from and to",
                    at_key=True,
                )
    return tuple(syncs)


def _unknown_environment(name: str, environments: Collection[str]) -> str:
    known = ", ".join(environments) or "none declared in secrets.environments"
    return f"unknown environment {name!r}{did_you_mean(name, environments)} (environments: {known})"


def environment_problems(
    config: Config, store_ids: Collection[str], *, require_installed: bool = False
) -> list[Problem]:
    """What is wrong with the environments given the installed ``store_ids``.

    An environment named like a store would make ``--from NAME`` mean two
    things.  With ``require_installed`` (``config check``), an environment
    whose store is not installed is reported too; a command does not, so
    that a project works on a machine lacking the plugin of an environment
    it does not use.
    """
    problems = _Problems(config.marks)
    available = sorted(store_ids)
    for environment in config.manifest.environments.values():
        path: NodePath = ("secrets", "environments", environment.name)
        if environment.name in store_ids:
            problems.add(
                path, "an environment must not be named like a store id; rename it",
                at_key=True,
            )
        if require_installed and environment.store_id not in store_ids:
            problems.add(
                path,
                f"{environment.store_id!r} is not a store id"
                f"{did_you_mean(environment.store_id, available)} "
                f"(stores: {', '.join(available) or 'none loaded'})",
            )
    return problems.found


def check_environments(config: Config, store_ids: Collection[str]) -> None:
    """Raise :class:`ConfigFileError` when an environment is named like a store id."""
    problems = environment_problems(config, store_ids)
    if problems:
        raise ConfigFileError(config.display, problems)
