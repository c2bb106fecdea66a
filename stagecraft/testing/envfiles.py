"""Seeding env files in tests: the usual source of a secrets provider.

A contract subclass whose provider reads an env file seeds it with
:func:`write_env_file`::

    def seed_source(self, tmp_path, values):
        return str(write_env_file(tmp_path / "source.env", values))

Every value is written double-quoted with ``\\\\``, ``\\"``, ``\\n`` and ``\\r``
escaped, which Stagecraft's env reader (and python-dotenv) decode back to the
exact value; this is deliberately not Stagecraft's own writer, so a test of
a provider does not depend on the writer being right.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def env_line(key: str, value: str) -> str:
    """``KEY="value"`` and a newline, with the value escaped as described above."""
    return f'{key}="{value.translate(_ESCAPES)}"\n'


def write_env_file(path: Path, values: Mapping[str, str]) -> Path:
    """Replace ``path`` with one :func:`env_line` per entry, in order; return ``path``."""
    path.write_text("".join(env_line(key, value) for key, value in values.items()), "utf-8")
    return path
