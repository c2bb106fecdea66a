"""Starting ``stagecraft run`` as a process of its own, for the tests of the command.

The command is the installed console script, run as a user's shell runs
it: ``stagecraft run --from ENVFILE [--mask] -- COMMAND``.  It is given the
env file's path, never a value, so no value is ever in its argv.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

STAGECRAFT = Path(sys.executable).with_name("stagecraft")

SECRETS = {
    "DATABASE_URL": "postgres://canary-user:canary-pass-5eCr3t@db/app",
    "SHARED": "canary-from-the-source",
    "MULTI": "canary-line-one\ncanary-line-two",
}


def write_source(root: Path, secrets: Mapping[str, str] = SECRETS,
                 name: str = "source.env") -> Path:
    """An env file holding ``secrets`` (double-quoted, ``\\n`` escaped)."""
    source = root / name
    lines = [f'{key}="{value}"'.replace("\n", "\\n") for key, value in secrets.items()]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return source


def stagecraft_run(options: Sequence[str], command: Sequence[str]) -> list[str]:
    """``stagecraft run OPTIONS -- COMMAND``."""
    return [str(STAGECRAFT), "run", *options, "--", *command]


def runner_argv(source: Path, command: list[str], *, mask: bool = False) -> list[str]:
    """``stagecraft run --from SOURCE [--mask] -- COMMAND``."""
    return stagecraft_run(["--from", str(source), *(["--mask"] if mask else [])], command)


def python(code: str, *args: str) -> list[str]:
    """COMMAND: this interpreter running ``code`` (``-I``: nothing from the environment)."""
    return [sys.executable, "-I", "-c", code, *args]


def base_env(**extra: str) -> dict[str, str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("STAGECRAFT_")}
    environ.update(extra)
    return environ


def run(source: Path, command: list[str], *, mask: bool = False,
        env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(runner_argv(source, command, mask=mask), env=env or base_env(),
                          cwd=source.parent, capture_output=True, timeout=120, check=False)


def stop_group(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc``'s whole process group by its id (``proc`` was started in a session of
    its own, or made one): Stagecraft and the COMMAND it started, whatever the test did."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
