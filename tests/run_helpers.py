"""Starting the runner as a Stagecraft process of its own, for the tests of ``stagecraft.run``.

``benchmarks/run_entry.py`` stands in for ``stagecraft run --from ENVFILE``
until the command is wired; it takes the env file's path, never a value.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ENTRY = Path(__file__).resolve().parent.parent / "benchmarks" / "run_entry.py"

SECRETS = {
    "DATABASE_URL": "postgres://canary-user:canary-pass-5eCr3t@db/app",
    "SHARED": "canary-from-the-source",
    "MULTI": "canary-line-one\ncanary-line-two",
}


def write_source(root: Path, secrets: Mapping[str, str] = SECRETS) -> Path:
    """An env file holding ``secrets`` (double-quoted, ``\\n`` escaped)."""
    source = root / "source.env"
    lines = [f'{key}="{value}"'.replace("\n", "\\n") for key, value in secrets.items()]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return source


def runner_argv(source: Path, command: list[str], *, mask: bool = False) -> list[str]:
    return [sys.executable, str(ENTRY), str(source), *(["--mask"] if mask else []), "--", *command]


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
                          capture_output=True, timeout=120, check=False)
