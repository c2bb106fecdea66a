"""Fixtures for the encore provider's tests.

``fake_encore`` puts an executable ``encore`` (``fake_encore.py``, installed
with this interpreter on its ``#!`` line) first on PATH and gives access to
what it recorded.
"""

from __future__ import annotations

import logging
import marshal
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import fake_encore as fake  # contrib/encore/tests is on pytest's pythonpath
import pytest

from stagecraft.providers.secrets import Context
from stagecraft.testing import write_env_file

#: Values of every shape the provider must carry byte-exact (none ends in a newline).
AWKWARD_VALUES: dict[str, str] = {
    "PLAIN": "sk-live-123",
    "QUOTES": "say \"hi\" and 'bye'",
    "BACKSLASH": "C:\\Users\\me\\",
    "INTERP": "literal \\(x) and \\n not a newline",
    "UNICODE": "h\u00e9llo \u2603 \U0001f600 \u65e5\u672c",
    "DOLLAR": "pa$$word $HOME",
    "HASH": "a#b # c",
    "MULTILINE": "-----BEGIN KEY-----\nMIIB\r\nline3\n-----END KEY-----",
    "SPACES": "  padded  ",
    "TAB": "a\tb",
    "EMPTY": "",
    "CANARY": "canary-7f3a9c-do-not-leak",
}


class FakeEncore:
    """Handle on the fake CLI: its environment knobs and its records."""

    def __init__(self, bin_dir: Path, log: Path, state: Path, mp: pytest.MonkeyPatch) -> None:
        self.bin_dir = bin_dir
        self.log = log
        self.state_file = state
        self.started_file = log.with_name("encore-started.txt")
        self._mp = mp
        mp.setenv("FAKE_ENCORE_STARTED", str(self.started_file))

    @staticmethod
    def ended(pid: int) -> bool:
        """Whether the call with process id ``pid`` has ended (gone, or a zombie not reaped)."""
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            return True

    def started(self) -> list[tuple[int, str]]:
        """``(pid, key)`` of every ``set`` that began its round trip, in order."""
        try:
            lines = self.started_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [(int(pid), key) for pid, key in (line.split(" ", 1) for line in lines)]

    def calls(self) -> list[dict[str, Any]]:
        return fake.read_log(str(self.log))

    def state(self) -> dict[str, Any]:
        return fake.read_state(str(self.state_file))

    def stored(self) -> dict[str, str]:
        """Key to value of every secret group (one group per key expected)."""
        result: dict[str, str] = {}
        for key, groups in self.state()["secrets"].items():
            for group in groups:
                result[key] = group["value"]
        return result

    def latency(self, seconds: float) -> None:
        self._mp.setenv("FAKE_ENCORE_LATENCY", str(seconds))

    def fail_keys(self, *keys: str) -> None:
        self._mp.setenv("FAKE_ENCORE_FAIL_KEYS", ",".join(keys))

    def echo_values(self) -> None:
        self._mp.setenv("FAKE_ENCORE_ECHO_VALUE", "1")

    def envs(self, *names: str) -> None:
        self._mp.setenv("FAKE_ENCORE_ENVS", ",".join(names))

    def no_list(self) -> None:
        """Behave as an older CLI without ``secret list``."""
        self._mp.setenv("FAKE_ENCORE_NO_LIST", "1")

    def list_error(self, message: str) -> None:
        self._mp.setenv("FAKE_ENCORE_LIST_ERROR", message)

    def list_output(self, text: str) -> None:
        self._mp.setenv("FAKE_ENCORE_LIST_OUTPUT", text)

    def calls_of(self, command: str) -> list[dict[str, Any]]:
        """The recorded calls of ``secret <command>``."""
        return [c for c in self.calls() if c["argv"][:2] == ["secret", command]]

    def edit_state(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the stored groups as someone else (the dashboard, a colleague) would."""
        state = self.state()
        change(state)
        with open(self.state_file, "wb") as handle:
            marshal.dump(state, handle)

    def add_group(
        self, key: str, selectors: list[str], *, value: str = "x", archived: bool = False,
        group_id: str | None = None,
    ) -> str:
        """Add a secret group of ``key`` (selectors as ``type:T`` / ``env:E``); its id."""
        made: list[str] = []

        def add(state: dict[str, Any]) -> None:
            number = state.get("next_id", 1)
            state["next_id"] = number + 1
            ident = group_id or f"secgrp_{number:012d}"
            made.append(ident)
            state["secrets"].setdefault(key, []).append(
                {"id": ident, "selection": sorted(selectors), "value": value,
                 "archived": archived}
            )

        self.edit_state(add)
        return made[0]


@pytest.fixture
def fake_encore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEncore:
    bin_dir = tmp_path / "bin"
    fake.install(str(bin_dir))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    log = tmp_path / "encore-calls.marshal"
    state = tmp_path / "encore-state.marshal"
    monkeypatch.setenv("FAKE_ENCORE_LOG", str(log))
    monkeypatch.setenv("FAKE_ENCORE_STATE", str(state))
    for name in (
        "FAKE_ENCORE_LATENCY",
        "FAKE_ENCORE_FAIL_KEYS",
        "FAKE_ENCORE_ECHO_VALUE",
        "FAKE_ENCORE_ENVS",
        "FAKE_ENCORE_UNLINKED",
        "FAKE_ENCORE_NO_LIST",
        "FAKE_ENCORE_LIST_ERROR",
        "FAKE_ENCORE_LIST_OUTPUT",
        "FAKE_ENCORE_VERSION",
        "FAKE_ENCORE_OFFLINE",
        "FAKE_ENCORE_META_SECRETS",
        "FAKE_ENCORE_META_ERROR",
    ):
        monkeypatch.delenv(name, raising=False)
    return FakeEncore(bin_dir, log, state, monkeypatch)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's HOME and XDG directories are its own: the write record never reaches ~."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    return home


@pytest.fixture
def awkward_values() -> dict[str, str]:
    """Values of every shape, one of them the canary ``canary-7f3a9c-do-not-leak``."""
    return dict(AWKWARD_VALUES)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An Encore app root: a directory holding ``encore.app``."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")
    return root


@pytest.fixture
def ctx(app: Path) -> Context:
    """A context whose cwd and config directory are the app root."""
    return Context(cwd=app, config_dir=app, logger=logging.getLogger("stagecraft.test.encore"))


@pytest.fixture
def write_env() -> Callable[[Path, Mapping[str, str]], Path]:
    """Write an env file with one ``KEY="escaped value"`` line per entry."""
    return write_env_file
