"""Running ``stagecraft`` in process for a test, in a project cut off from the user's settings.

Shared by the tests of the project's manifest (declared keys, named syncs,
``secrets list``/``check``): each keeps its own project files and secret,
and these keep the setup and the leak check the same everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stagecraft.cli import main


def isolate(monkeypatch: pytest.MonkeyPatch, state: Path,
            prefixes: tuple[str, ...] = ("STAGECRAFT_",)) -> None:
    """Drop the user's variables starting with ``prefixes``, and keep the write record in
    ``state`` (so no test sees another's, nor the user's)."""
    for name in list(os.environ):
        if name.startswith(prefixes):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_STATE_HOME", str(state))


def run_command(
    capsys: pytest.CaptureFixture[str], *argv: str, never_shown: str
) -> tuple[int, str, str]:
    """``stagecraft ARGV`` (colour off): its exit status, stdout and stderr, after checking
    that ``never_shown`` (the test's secret) is in neither."""
    code = main(["--color", "never", *argv])
    out, err = capsys.readouterr()
    assert never_shown not in out + err
    return code, out, err
