"""Ctrl-C at a real terminal while ``encore secret set`` calls are in flight.

A terminal sends SIGINT to its whole foreground process group.  Stagecraft
runs here as the session leader of a pseudo-terminal (its controlling
terminal), and the test types Ctrl-C (``\\x03``) into it, so the kernel's
line discipline signals the process group exactly as a person's keypress
would.  The ``encore`` children run in sessions of their own, so only
stagecraft gets it: the calls in flight finish and their keys are reported
as they really ended.  A second Ctrl-C stops waiting: the children are
killed by their process group id and their keys reported unknown.
"""

from __future__ import annotations

import itertools
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import FakeEncore

STAGECRAFT = Path(sys.executable).with_name("stagecraft")
VALUES = {f"K{i}": f"tty-canary-{i}-Yh4" for i in range(6)}
CTRL_C = b"\x03"
FIRST_NOTE = "Ctrl-C again to stop waiting"


#: Run in the child's new session: take the pty on stdin as the controlling terminal,
#: then become stagecraft (so its process group is the terminal's foreground one).
_ON_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class Terminal:
    """``stagecraft`` running on a pty it controls; everything it writes is collected."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        master, slave = pty.openpty()
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("STAGECRAFT_")}
        env["TERM"] = "dumb"  # no progress line: the output is only lines
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ON_TERMINAL, str(STAGECRAFT), *args], cwd=cwd, env=env,
                stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            )
        finally:
            os.close(slave)
        self.master = master
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the child closed its end
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    @property
    def text(self) -> str:
        return b"".join(self._chunks).decode(errors="replace").replace("\r\n", "\n")

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self) -> int:
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return code

    def close(self) -> None:
        if self.process.poll() is None:  # stopped by its process id, whatever happened
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def wait_for(condition: Callable[[], bool], what: str, detail: Callable[[], str]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: {detail()}")
        time.sleep(0.02)


@pytest.fixture
def project(app: Path, fake_encore: FakeEncore) -> Path:
    lines = "".join(f"{key}={value}\n" for key, value in VALUES.items())
    (app / ".env").write_text(lines, encoding="utf-8")
    (app / "stagecraft.yml").write_text(
        "secrets:\n  provider: encore\n  providers:\n    encore:\n"
        "      types: [dev]\n      concurrency: 2\n", encoding="utf-8")
    fake_encore.no_list()  # no plan call: only the `set` calls take time
    return app


@pytest.fixture
def terminal(project: Path) -> Iterator[Callable[[], Terminal]]:
    started: list[Terminal] = []

    def start() -> Terminal:
        started.append(Terminal(["secrets", "sync", "--from", ".env"], project))
        return started[-1]

    yield start
    for each in started:
        each.close()


def listed(text: str, key: str, reason: str) -> bool:
    """Whether the report lists ``key`` with ``reason``: on its own line, or under the
    reason it shares with other keys (each distinct reason is printed once)."""
    if f"    {key}: {reason}\n" in text:
        return True
    _, found, rest = text.partition(f"    {reason}:\n")
    group = itertools.takewhile(lambda line: line.startswith("      "), rest.splitlines())
    return bool(found) and f"      {key}" in group


def test_ctrl_c_lets_the_calls_in_flight_finish(
    fake_encore: FakeEncore, terminal: Callable[[], Terminal]
) -> None:
    fake_encore.latency(2)
    term = terminal()
    wait_for(lambda: len(fake_encore.started()) == 2, "two `set` calls in flight",
             lambda: term.text)
    term.type(CTRL_C)
    code = term.finish()
    text = term.text
    in_flight = sorted(key for _pid, key in fake_encore.started())
    assert code == 130, text
    assert FIRST_NOTE in text
    assert f"synced (2): {', '.join(in_flight)}" in text, text
    for key in set(VALUES) - set(in_flight):
        assert listed(text, key, "not written: interrupted"), text
    assert "Traceback" not in text
    assert "status -" not in text, "a child was killed by the terminal's Ctrl-C"
    assert fake_encore.stored() == {key: VALUES[key] for key in in_flight}
    for value in VALUES.values():
        assert value not in text


def test_a_second_ctrl_c_stops_waiting_and_names_the_unknown_keys(
    fake_encore: FakeEncore, terminal: Callable[[], Terminal]
) -> None:
    fake_encore.latency(300)
    term = terminal()
    wait_for(lambda: len(fake_encore.started()) == 2, "two `set` calls in flight",
             lambda: term.text)
    term.type(CTRL_C)
    wait_for(lambda: FIRST_NOTE in term.text, "the first Ctrl-C note", lambda: term.text)
    term.type(CTRL_C)
    code = term.finish()
    text = term.text
    started = fake_encore.started()
    assert code == 130, text
    assert "unknown, may or may not have been written (2):" in text, text
    stopped = "may or may not have been written: stopped waiting (Ctrl-C twice)"
    for _pid, key in started:
        assert listed(text, key, stopped), text
    for key in set(VALUES) - {key for _pid, key in started}:
        assert listed(text, key, "not written: interrupted"), text
    for pid, _key in started:
        assert fake_encore.ended(pid), "an `encore secret set` in flight was left running"
    assert fake_encore.stored() == {}
