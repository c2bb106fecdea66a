"""Shared helpers of the reliability suites (subprocess runs, env files, leak scans).

``conftest.py`` loads this file by path as ``reliability_helpers`` (``tests``
is not a package and pytest runs with ``--import-mode=importlib``), so test
modules can ``import reliability_helpers as h``.

``STAGECRAFT_HEAVY=1`` makes every suite run longer variants (more kills,
more sync rounds, more property examples); the default sizes keep all the
reliability suites together well under two minutes on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import fake_encore  # contrib/encore/tests is on pytest's pythonpath
from cli_helpers import child_env

from stagecraft import dotenv

REPO = Path(__file__).resolve().parents[2]
STAGECRAFT = Path(sys.executable).with_name("stagecraft")
CORPUS = Path(__file__).resolve().with_name("corpus")
EXAMPLE_PLUGINS = REPO / "plugins"

#: Longer variants of every suite (see the module docstring).
HEAVY = os.environ.get("STAGECRAFT_HEAVY", "") not in ("", "0")

#: Only the two contrib providers: an unrelated installed plugin must not matter.
LOAD_PLUGINS = "envfile,encore"

#: Suffix of the temporary files stagecraft.files writes before renaming.
TEMP_SUFFIX = ".stagecraft-tmp"


def scaled(normal: int, heavy: int) -> int:
    """``heavy`` under STAGECRAFT_HEAVY=1, else ``normal``."""
    return heavy if HEAVY else normal


@attrs.frozen
class Run:
    """One finished ``stagecraft`` process."""

    code: int
    out: str
    err: str

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a subprocess: no inherited STAGECRAFT_/FAKE_ENCORE_ settings."""
    env = {key: value for key, value in child_env().items() if not key.startswith("FAKE_ENCORE_")}
    env["STAGECRAFT_LOAD_PLUGINS"] = LOAD_PLUGINS
    env.update(extra or {})
    return env


def command(*args: str) -> list[str]:
    return [str(STAGECRAFT), *args]


def run(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Run:
    """Run the real console script and wait for it."""
    proc = subprocess.run(
        command(*args),
        cwd=cwd,
        env=base_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def env_bytes(values: Mapping[str, str]) -> bytes:
    """An env file holding ``values``, written by Stagecraft's own writer."""
    document = dotenv.new_document()
    for key, value in values.items():
        document.set(key, value)
    return document.to_bytes()


def write_env(path: Path, values: Mapping[str, str]) -> Path:
    path.write_bytes(env_bytes(values))
    return path


def read_env(path: Path) -> dict[str, str]:
    return dotenv.parse(path.read_bytes(), path=str(path)).values()


def temporaries(directory: Path) -> list[Path]:
    """Temporary files an interrupted write left in ``directory``."""
    return sorted(p for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX))


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file under ``directory`` (relative path to bytes; None for a directory)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(directory.rglob("*")):
        rel = str(path.relative_to(directory))
        if "__pycache__" in path.parts:
            continue
        found[rel] = None if path.is_dir() or not path.is_file() else path.read_bytes()
    return found


def install_fake_encore(bin_dir: Path, records: Path) -> dict[str, str]:
    """Put an executable ``encore`` (the contrib tests' fake CLI) in ``bin_dir``.

    Returns the environment variables a subprocess needs to find and use it.
    """
    fake_encore.install(str(bin_dir))
    records.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_ENCORE_STATE": str(records / "state.marshal"),
        "FAKE_ENCORE_LOG": str(records / "calls.marshal"),
    }


# ------------------------------------------------------------------ leak scanning


def leak_forms(value: str) -> set[str]:
    """The ways a value could show up in text: as is, line by line, escaped.

    repr/ascii (a Python message or traceback) and JSON (``--json``, the
    audit log), with and without ASCII escaping.  Short lines are left out:
    they could match by chance.
    """
    forms = {value, repr(value)[1:-1], ascii(value)[1:-1]}
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    forms.update(line.strip() for line in value.splitlines())
    return {form for form in forms if len(form) >= 6}


def find_leaks(text: str, canaries: Mapping[str, str]) -> list[str]:
    """Names of the canaries some form of which occurs in ``text``."""
    return [name for name, value in canaries.items() if any(f in text for f in leak_forms(value))]


def scan_files(paths: Iterable[Path], canaries: Mapping[str, str]) -> dict[str, list[str]]:
    """Leaks per file (files read as UTF-8 with replacement)."""
    leaks: dict[str, list[str]] = {}
    for path in paths:
        if path.is_file():
            found = find_leaks(path.read_bytes().decode("utf-8", "replace"), canaries)
            if found:
                leaks[str(path)] = found
    return leaks


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("stagecraft: error:")]


#: A local plugin module that simulates a full disk: every ``os.write`` to a
#: file (not stdout or stderr) fails with ENOSPC.
DISK_FULL_PLUGIN = '''
"""Every os.write to a file (not stdout/stderr) fails with ENOSPC: a full disk."""
import errno
import os

_write = os.write


def _full(fd, data):
    if fd > 2:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return _write(fd, data)


os.write = _full
'''
