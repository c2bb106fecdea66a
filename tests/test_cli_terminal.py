"""What a person at a terminal sees: colour and the progress line, under a real pseudo-terminal.

Each test runs the installed console script with its output on a pty from
the standard library's :mod:`pty` (so ``isatty()`` is true, as in a
terminal), or on pipes (as in CI), and checks the bytes that arrive.  The
rule under test: colour and progress on terminals only, never in pipes,
files or ``--json``, and never a value.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from stagecraft import colour, progress

ESC = "\x1b["
GREEN, YELLOW, RED, DIM, RESET = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[2m", "\x1b[0m"

SLOW_STORE = '''
"""A store whose writes take 0.3 s each: long enough for the progress line."""
import json
import os
import time

import stagecraft


class SlowStore(stagecraft.SecretStore):
    id = "slow"
    writes_one_by_one = True
    location_help = "PATH of a JSON file"

    def read(self, ctx, location, keys):
        path = ctx.resolve(location)
        data = json.loads(path.read_text()) if path.exists() else {}
        return data if keys is None else {k: data[k] for k in keys if k in data}

    def write_one(self, ctx, location, key, value):
        time.sleep(0.3)
        path = ctx.resolve(location)
        data = json.loads(path.read_text()) if path.exists() else {}
        data[key] = value
        path.write_text(json.dumps(data))
        if key == "KEY_4" and os.environ.get("SLOW_WARN"):
            ctx.logger.warning("halfway there")


@stagecraft.hookimpl
def secrets_provider_register():
    return SlowStore()
'''

SLOW_VALUES = {f"KEY_{i}": f"slow-canary-value-{i}" for i in range(6)}


@attrs.frozen
class TerminalRun:
    code: int
    terminal: str  # everything written to the pty (stdout and/or stderr)
    stdout: str  # stdout when it was a pipe


def run_on_terminal(
    cli_helpers: ModuleType,
    args: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    stdout_on_terminal: bool = True,
    typed: bytes | None = None,
) -> TerminalRun:
    """Run ``stagecraft ARGS`` with stderr (and stdout, unless told otherwise) on a pty."""
    environ = cli_helpers.child_env()
    for name in ("NO_COLOR", "FORCE_COLOR"):
        environ.pop(name, None)
    environ.update({"STAGECRAFT_LOAD_PLUGINS": "", "TERM": "xterm-256color", **(env or {})})
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(cli_helpers.STAGECRAFT), *args],
            cwd=cwd, env=environ, stdin=slave if typed is not None else subprocess.DEVNULL,
            stdout=slave if stdout_on_terminal else subprocess.PIPE, stderr=slave,
        )
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    try:
        if typed is not None:
            os.write(master, typed)  # what a person types; Ctrl-D (\x04) ends the input
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break  # timed out: the child is stopped below and the test fails on its code
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout = proc.stdout.read().decode() if proc.stdout is not None else ""
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.poll() is None:  # stopped by its process id, whatever happened above
            proc.kill()
            proc.wait()
    # The terminal turns "\n" into "\r\n" (onlcr): undo it, keep lone "\r".
    terminal = b"".join(chunks).decode().replace("\r\n", "\n")
    return TerminalRun(code, terminal, stdout)


def assert_no_value(text: str, values: Any) -> None:
    for value in values:
        for piece in str(value).splitlines():
            assert piece not in text


# ------------------------------------------------------------------ colour


def test_plan_lines_are_coloured_like_a_diff_on_a_terminal(
    project: Any, cli_helpers: ModuleType
) -> None:
    project.config()
    project.write_json("target.json", {"API_TOKEN": "old", "DB_PASSWORD":
                                       cli_helpers.CANARIES["DB_PASSWORD"]})
    run = run_on_terminal(cli_helpers, ["secrets", "sync", "--dry-run"], project.root)
    assert run.code == 0
    assert f"{YELLOW}~ API_TOKEN{RESET}\n" in run.terminal
    assert f"{DIM}= DB_PASSWORD{RESET}\n" in run.terminal
    assert f"{GREEN}+ MULTI{RESET}\n" in run.terminal
    summary = [line for line in run.terminal.splitlines() if "1 added" in line]
    assert summary == ["stagecraft: copyjson: 1 added, 1 updated, 1 unchanged, 0 removed "
                       "(dry run: nothing written)"]  # the summary is plain
    assert_no_value(run.terminal, cli_helpers.CANARIES.values())


def test_removed_keys_are_red(project: Any, cli_helpers: ModuleType) -> None:
    project.config("      prune: true\n")
    project.write_json("target.json", {"GONE": "x"})
    run = run_on_terminal(cli_helpers, ["secrets", "sync", "--dry-run"], project.root)
    assert f"{RED}- GONE{RESET}\n" in run.terminal


def test_errors_are_red_on_a_terminal(project: Any, cli_helpers: ModuleType) -> None:
    project.config()
    run = run_on_terminal(cli_helpers, ["secrets", "sync", "NOT_THERE"], project.root)
    assert run.code == 1
    line = next(line for line in run.terminal.splitlines() if "NOT_THERE" in line)
    assert line.startswith(f"{RED}stagecraft: error: ")
    assert line.endswith(RESET)


def test_usage_errors_are_red_on_a_terminal(project: Any, cli_helpers: ModuleType) -> None:
    run = run_on_terminal(cli_helpers, ["secrets", "sync", "--dry-run", "--check"], project.root)
    assert run.code == 1
    assert f"{RED}stagecraft: error: argument --check: not allowed with argument --dry-run" \
        in run.terminal
    plain = run_on_terminal(cli_helpers, ["--color=never", "secrets", "sync", "--dry-run",
                                          "--check"], project.root)
    assert "stagecraft: error: argument --check" in plain.terminal
    assert ESC not in plain.terminal


@pytest.mark.parametrize(
    ("options", "env"),
    [
        (["--color", "never"], {}),
        ([], {"NO_COLOR": "1"}),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}),  # NO_COLOR wins, as in CPython
        ([], {"TERM": "dumb"}),
    ],
)
def test_no_colour_on_a_terminal_when_asked(
    project: Any, cli_helpers: ModuleType, options: list[str], env: dict[str, str]
) -> None:
    project.config()
    run = run_on_terminal(cli_helpers, [*options, "secrets", "sync", "--dry-run", "NOT_THERE"],
                          project.root, env=env)
    assert run.code == 1
    assert "stagecraft: error:" in run.terminal
    assert ESC not in run.terminal


def test_empty_no_color_does_not_turn_colour_off(project: Any, cli_helpers: ModuleType) -> None:
    project.config()
    run = run_on_terminal(cli_helpers, ["secrets", "sync", "--dry-run"], project.root,
                          env={"NO_COLOR": ""})
    assert f"{GREEN}+ API_TOKEN{RESET}" in run.terminal


@pytest.mark.parametrize(
    ("options", "env", "coloured"),
    [
        ([], {}, False),  # pipes, as in CI: exactly the plain text of before
        (["--color", "always"], {}, True),
        ([], {"FORCE_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": ""}, False),
    ],
)
def test_colour_in_pipes_only_when_forced(
    project: Any, cli_helpers: ModuleType, options: list[str], env: dict[str, str],
    coloured: bool,
) -> None:
    project.config()
    run = project.run(*options, "secrets", "sync", "--dry-run", env=env)
    assert run.code == 0
    if coloured:
        assert run.out.splitlines()[0] == f"{GREEN}+ API_TOKEN{RESET}"
    else:
        assert run.out == "+ API_TOKEN\n+ DB_PASSWORD\n+ MULTI\n"
        assert ESC not in run.err


def test_global_color_option_after_the_command(project: Any) -> None:
    project.config()
    run = project.run("secrets", "sync", "--dry-run", "--color", "always")
    assert run.out.startswith(f"{GREEN}+ API_TOKEN{RESET}\n")


def test_json_is_never_coloured(project: Any, cli_helpers: ModuleType) -> None:
    project.config()
    run = run_on_terminal(cli_helpers, ["--color", "always", "secrets", "sync", "--dry-run",
                                        "--json"], project.root)
    assert run.code == 0
    body = run.terminal[run.terminal.index("{"): run.terminal.rindex("}") + 1]
    assert ESC not in body
    assert json.loads(body)["changes"][0] == {"key": "API_TOKEN", "action": "added"}


def test_wants_colour_decision_table() -> None:
    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    tty, pipe = Stream(True), Stream(False)
    assert colour.wants_colour("auto", tty, {})
    assert not colour.wants_colour("auto", pipe, {})
    assert not colour.wants_colour("auto", tty, {"NO_COLOR": "x"})
    assert colour.wants_colour("auto", pipe, {"FORCE_COLOR": "x"})
    assert not colour.wants_colour("auto", tty, {"TERM": "dumb"})
    assert colour.wants_colour("always", pipe, {"NO_COLOR": "1"})
    assert not colour.wants_colour("never", tty, {"FORCE_COLOR": "1"})
    closed = io.StringIO()
    closed.close()  # isatty() raises ValueError
    assert not colour.wants_colour("auto", closed, {})
    assert colour.Palette(False).paint("x", "red") == "x"
    assert colour.Palette(True).paint("x", "red") == f"{RED}x{RESET}"


def test_control_characters_from_a_provider_are_escaped_before_colouring(
    project: Any, cli_helpers: ModuleType
) -> None:
    """Only the command's own escape codes reach the terminal: a key name holding ESC is shown
    escaped, inside the colour."""
    project.config()
    project.write_json("source.json", {"EVIL\x1b[2J": "v"})
    run = run_on_terminal(cli_helpers, ["secrets", "sync", "--dry-run"], project.root)
    assert run.code == 0
    assert f"{GREEN}+ EVIL\\x1b[2J{RESET}" in run.terminal
    assert "\x1b[2J" not in run.terminal


# ------------------------------------------------------------------ stdin


def test_from_stdin_on_a_terminal_says_how_to_end_the_input(
    project: Any, cli_helpers: ModuleType
) -> None:
    run = run_on_terminal(
        cli_helpers, ["-p", "no:encore", "secrets", "sync", "--from", "-", "--to",
                      "envfile:typed.env"],
        project.root, env={"STAGECRAFT_LOAD_PLUGINS": "envfile"}, typed=b"TYPED=1\n\x04",
    )
    assert run.code == 0, run.terminal
    assert "stagecraft: reading the env file from standard input (end it with Ctrl-D)\n" \
        in run.terminal
    assert f"{GREEN}+ TYPED{RESET}" in run.terminal
    assert (project.root / "typed.env").read_text() == "TYPED=1\n"


# ------------------------------------------------------------------ progress


@pytest.fixture
def slow_project(project: Any) -> Any:
    (project.plugins / "slow.py").write_text(SLOW_STORE)
    project.write("src.env", "".join(f"{k}={v}\n" for k, v in SLOW_VALUES.items()))
    return project


SLOW_SYNC = ["--plugins-dir", "plugins", "secrets", "sync", "--from", "src.env",
             "--to", "slow:out.json"]


def test_progress_line_on_a_terminal_during_slow_writes(
    slow_project: Any, cli_helpers: ModuleType
) -> None:
    run = run_on_terminal(cli_helpers, SLOW_SYNC, slow_project.root, stdout_on_terminal=False)
    assert run.code == 0, run.terminal
    assert slow_project.read_json("out.json") == SLOW_VALUES
    # Six writes of 0.3 s each: from the fourth one on, more than a second has passed.
    assert "\rslow: 4/6 keys written\x1b[K" in run.terminal
    assert "\rslow: 6/6 keys written\x1b[K" in run.terminal
    assert "slow: 1/6" not in run.terminal  # not before the first second
    # Erased before the summary, which then starts on a clean line.
    last = run.terminal.rindex("keys written")
    assert run.terminal.index("\r\x1b[K", last) < run.terminal.index("stagecraft: slow: 6 added")
    assert run.stdout == "".join(f"+ {key}\n" for key in SLOW_VALUES)
    assert_no_value(run.terminal, SLOW_VALUES.values())


def test_a_warning_during_the_writes_starts_on_a_clean_line(
    slow_project: Any, cli_helpers: ModuleType
) -> None:
    run = run_on_terminal(cli_helpers, SLOW_SYNC, slow_project.root, stdout_on_terminal=False,
                          env={"SLOW_WARN": "1"})
    assert run.code == 0, run.terminal
    assert "\rslow: 4/6 keys written\x1b[K\r\x1b[Kstagecraft: warning: halfway there\n" \
        in run.terminal
    assert "\rslow: 6/6 keys written\x1b[K" in run.terminal  # drawn again afterwards


def test_no_progress_line_with_quiet(slow_project: Any, cli_helpers: ModuleType) -> None:
    run = run_on_terminal(cli_helpers, ["-q", *SLOW_SYNC], slow_project.root,
                          stdout_on_terminal=False)
    assert run.code == 0
    assert run.terminal == ""


def test_no_progress_line_when_stderr_is_not_a_terminal(slow_project: Any) -> None:
    run = slow_project.run(*SLOW_SYNC)
    assert run.code == 0
    assert run.err == "stagecraft: slow: 6 added, 0 updated, 0 unchanged, 0 removed\n"


def test_progress_line_is_thread_safe_and_erased() -> None:
    stream = io.StringIO()
    line = progress.ProgressLine(stream, delay=0)
    line.clear()
    assert stream.getvalue() == ""  # nothing shown, nothing to erase
    line("vault", 1, 3)
    line("vault", 1, 3)  # the same text is not drawn twice
    line("vault", 3, 3)
    line.clear()
    assert stream.getvalue() == ("\rvault: 1/3 keys written\x1b[K"
                                 "\rvault: 3/3 keys written\x1b[K\r\x1b[K")
    waiting = progress.ProgressLine(io.StringIO(), delay=3600)
    waiting("vault", 1, 3)
    waiting.clear()


def test_a_closed_terminal_does_not_fail_the_sync() -> None:
    stream = io.StringIO()
    line = progress.ProgressLine(stream, delay=0)
    stream.close()
    line("vault", 1, 3)  # no exception
    line.clear()
