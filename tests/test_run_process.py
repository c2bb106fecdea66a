"""``stagecraft run``'s process side with real processes: environment, exit status, signals.

Each test starts the runner as a process of its own (``tests/run_helpers.py``)
with COMMAND a real child, both without ``--mask`` (Stagecraft becomes
COMMAND) and with it (COMMAND is a supervised child).
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.run_helpers import (
    SECRETS,
    base_env,
    python,
    run,
    runner_argv,
    stop_group,
    write_source,
)

MODES = [pytest.param(False, id="exec"), pytest.param(True, id="mask")]

DUMP_ENV = "import json, os, sys; open(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))"


@pytest.mark.parametrize("mask", MODES)
def test_the_child_sees_the_secrets_over_inherited_variables(tmp_path: Path, mask: bool) -> None:
    source = write_source(tmp_path)
    seen = tmp_path / "seen.json"
    env = base_env(SHARED="inherited-value", ONLY_INHERITED="kept")
    done = run(source, python(DUMP_ENV, str(seen)), mask=mask, env=env)
    assert done.returncode == 0, done.stderr
    environ = json.loads(seen.read_text())
    for key, value in SECRETS.items():
        assert environ[key] == value
    assert environ["ONLY_INHERITED"] == "kept"


@pytest.mark.parametrize("mask", MODES)
@pytest.mark.parametrize("status", [0, 1, 3, 130, 255])
def test_the_exit_status_is_the_commands(tmp_path: Path, mask: bool, status: int) -> None:
    done = run(write_source(tmp_path), ["sh", "-c", f"exit {status}"], mask=mask)
    assert done.returncode == status


@pytest.mark.parametrize("mask", MODES)
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV])
def test_a_death_by_signal_is_128_plus_n_to_the_shell(
    tmp_path: Path, mask: bool, signum: signal.Signals
) -> None:
    # Without --mask the process itself dies by the signal, with it the
    # runner exits 128+N: either way a shell reports 128+N.
    argv = runner_argv(write_source(tmp_path), ["sh", "-c", f"kill -{int(signum)} $$"], mask=mask)
    script = '"$@"; echo "status=$?"'
    done = subprocess.run(["sh", "-c", script, "sh", *argv], env=base_env(),
                          capture_output=True, timeout=120, check=False)
    assert done.stdout.decode().strip().endswith(f"status={128 + signum}")


@pytest.mark.parametrize("mask", MODES)
def test_a_command_not_found_exits_127_naming_it(tmp_path: Path, mask: bool) -> None:
    done = run(write_source(tmp_path), ["no-such-command-xyz"], mask=mask)
    assert done.returncode == 127
    assert b"no-such-command-xyz: command not found" in done.stderr


TRAP = r"""
import os, signal, sys
got = []
def count(signum, frame):
    got.append(signum)
    os.write(1, b"int\n")
def leave(signum, frame):
    name = signal.Signals(signum).name
    os.write(1, f"left {name} {got.count(signal.SIGINT)}\n".encode())
    os._exit(42)
signal.signal(signal.SIGINT, count)
for signum in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, leave)
os.write(1, b"ready\n")
while True:
    signal.pause()
"""


@contextlib.contextmanager
def trapping(source: Path, mask: bool) -> Iterator[subprocess.Popen[bytes]]:
    """``stagecraft run`` of TRAP, once the child says it is ready; in a session of its own,
    so that at the end its whole group (Stagecraft and the child) is killed by id."""
    proc = subprocess.Popen(runner_argv(source, python(TRAP), mask=mask), env=base_env(),
                            stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        yield proc
    finally:
        stop_group(proc)


@pytest.mark.parametrize("mask", MODES)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_sent_to_stagecraft_reaches_a_trapping_child(
    tmp_path: Path, mask: bool, signum: signal.Signals
) -> None:
    with trapping(write_source(tmp_path), mask) as proc:
        proc.send_signal(signum)  # to Stagecraft's process id only
        out, _ = proc.communicate(timeout=120)
    assert out == f"left {signum.name} 0\n".encode()
    assert proc.returncode == 42


def test_a_sigint_sent_to_stagecraft_is_forwarded_once(tmp_path: Path) -> None:
    with trapping(write_source(tmp_path), True) as proc:
        proc.send_signal(signal.SIGINT)
        assert proc.stdout is not None
        # Pending signals are not taken in the order they were sent: wait for the child
        # to have the SIGINT before the SIGTERM that makes it report its count.
        assert proc.stdout.readline() == b"int\n"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    assert out == b"left SIGTERM 1\n"
    assert proc.returncode == 42


def test_a_signal_to_the_whole_group_reaches_the_child_once(tmp_path: Path) -> None:
    # A process sending to the group (as `kill -INT -PGID` does) is no terminal:
    # the child gets the group's copy and the forwarded one.  The terminal's
    # own Ctrl-C is tested under a pty below.
    with trapping(write_source(tmp_path), True) as proc:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    assert out.startswith(b"left SIGTERM 0\n")
    assert proc.returncode == 42


def read_terminal(master: int, until: bytes) -> bytes:
    """What arrives on the pty's master side, up to ``until`` or the end."""
    seen = b""
    while until not in seen:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every holder of the terminal closed it
            break
        if not chunk:
            break
        seen += chunk
    return seen


ON_TERMINAL = (
    "import os, sys\n"
    "print('ttys', *(os.isatty(fd) for fd in (0, 1, 2)), file=sys.stderr, flush=True)\n"
)


@pytest.mark.parametrize(("mask", "expected"), [
    pytest.param(False, b"ttys True True True", id="exec"),
    pytest.param(True, b"ttys True False False", id="mask"),
])
def test_a_terminal_stays_a_terminal_unless_masked(
    tmp_path: Path, mask: bool, expected: bytes
) -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(runner_argv(write_source(tmp_path), python(ON_TERMINAL), mask=mask),
                                env=base_env(), stdin=slave, stdout=slave, stderr=slave,
                                start_new_session=True)
    finally:
        os.close(slave)
    try:
        seen = read_terminal(master, b"\n")
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(master)
        stop_group(proc)
    assert expected in seen


CTTY = """
import os, sys
os.setsid()
fd = os.open(sys.argv[1], os.O_RDWR)  # the session leader's first terminal: its controlling one
for target in (0, 1, 2):
    os.dup2(fd, target)
os.execv(sys.argv[2], sys.argv[2:])
"""


@pytest.mark.parametrize("mask", MODES)
def test_ctrl_c_on_the_terminal_reaches_the_child_once(tmp_path: Path, mask: bool) -> None:
    # The terminal sends SIGINT to the whole foreground group, the child
    # included; with --mask the runner must not forward its own copy as well
    # (without, COMMAND is the process the terminal signals).
    master, slave = pty.openpty()
    argv = runner_argv(write_source(tmp_path), python(TRAP), mask=mask)
    proc = subprocess.Popen(python(CTTY, os.ttyname(slave), *argv), env=base_env())
    try:
        assert b"ready" in read_terminal(master, b"ready")
        os.close(slave)  # only now: the child holds the terminal, or reads would see EIO
        os.write(master, b"\x03")  # Ctrl-C
        assert b"^C" in read_terminal(master, b"^C")
        proc.send_signal(signal.SIGTERM)  # forwarded after the SIGINT was dealt with
        seen = read_terminal(master, b"left")
        seen += read_terminal(master, b"\n")
        assert proc.wait(timeout=120) == 42
    finally:
        os.close(master)
        _close_quietly(slave)
        stop_group(proc)  # CTTY made it a session leader: its group is Stagecraft and COMMAND
    assert b"left SIGTERM 1" in seen


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
