"""Reading a ``stagecraft.yml`` and checking the core's keys, before any plugin loads."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from stagecraft.config.converter import structure
from stagecraft.config.manifest_loading import build_manifest
from stagecraft.config.marks import NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.config.schema import Config, ConfigDocument
from stagecraft.config.yaml_loader import parse
from stagecraft.errors import ConfigError, ConfigFileError
from stagecraft.exec_command import exec_command
from stagecraft.files import os_failure
from stagecraft.redact import Structural


def _display_name(path: Path, cwd: Path | None) -> str:
    base = cwd if cwd is not None else Path.cwd()
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def load(path: str | Path, *, cwd: Path | None = None) -> Config:
    """Read, parse and validate the core keys of a config file (phase 1).

    Raises :class:`ConfigFileError` for anything wrong with the file, with its
    line and column.
    """
    file = Path(path)
    display = _display_name(file, cwd)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(Structural(f"{display}: not UTF-8 text ({exc.reason})")) from None
    except OSError as exc:
        raise os_failure(ConfigError, display, "read", exc) from None
    data, marks = parse(text, display)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} value"
        raise ConfigFileError(
            display, [Problem(marks.of_value(()), "", f"top level must be a mapping, not {kind}")]
        )
    document: ConfigDocument = structure(data, ConfigDocument, marks, display)
    absolute = file.absolute()
    config = Config(absolute, display, document.secrets, document.plugins, marks)
    _check_core(config)
    manifest = build_manifest(document.secrets, marks, display, absolute.parent)
    return attrs.evolve(config, manifest=manifest)


def _check_core(config: Config) -> None:
    problems = []
    for index, (entry, directory) in enumerate(
        zip(config.plugins.dirs, config.plugin_dirs, strict=True)
    ):
        if not directory.is_dir():
            path: NodePath = ("plugins", "dirs", index)
            problems.append(
                Problem(
                    config.marks.of_value(path),
                    format_path(path),
                    f"plugin directory {entry} does not exist (relative to {config.directory})",
                )
            )
    for section, names in (("disable", config.plugins.disable),
                           ("modules", config.plugins.modules)):
        for index, name in enumerate(names):
            path = ("plugins", section, index)
            if not name.strip():
                message = "must not be empty"
            elif section == "disable" and name.strip() == "core":
                message = "the builtin 'core' plugin cannot be disabled"
            else:
                continue
            problems.append(Problem(config.marks.of_value(path), format_path(path), message))
    for name, setting in config.plugins.exec.items():
        path = ("plugins", "exec", name)
        try:
            exec_command(name, setting)
        except ValueError as exc:
            problems.append(Problem(config.marks.of_value(path), format_path(path), str(exc)))
    if config.secrets.provider is not None and not config.secrets.provider.strip():
        path = ("secrets", "provider")
        problems.append(
            Problem(config.marks.of_value(path), format_path(path), "must not be empty")
        )
    if problems:
        raise ConfigFileError(config.display, problems)
