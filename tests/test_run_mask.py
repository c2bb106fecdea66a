"""``run --mask``: COMMAND's output masked as Stagecraft masks its own, streamed, split-proof.

The unit tests feed :class:`StreamMasker` every way a value can be cut
between reads; the process tests run a real COMMAND that writes values in
pieces, and look for them in Stagecraft's output, argv, environment and files.
"""

from __future__ import annotations

import io
import signal
import subprocess
from pathlib import Path

import pytest

from stagecraft.redact import MASK, Redactor
from stagecraft.run import mask_stream
from stagecraft.run.mask_stream import StreamMasker
from tests.run_helpers import (
    SECRETS,
    base_env,
    python,
    run,
    runner_argv,
    stop_group,
    write_source,
)

VALUE = "canary-s3cret-value-0123456789"


def masker(sink: io.BytesIO, *values: str) -> StreamMasker:
    redactor = Redactor()
    redactor.update(values)
    return StreamMasker(redactor, values, sink)


def test_a_value_cut_between_any_two_reads_is_masked() -> None:
    data = f"before {VALUE} middle {VALUE}\nafter {VALUE}".encode()
    for cut in range(1, len(data)):
        for second in (cut, min(cut + 5, len(data))):
            sink = io.BytesIO()
            stream = masker(sink, VALUE)
            for piece in (data[:cut], data[cut:second], data[second:]):
                stream.feed(piece)
            stream.close()
            assert sink.getvalue() == f"before {MASK} middle {MASK}\nafter {MASK}".encode()


def test_complete_lines_are_written_at_once_and_the_partial_one_at_close() -> None:
    sink = io.BytesIO()
    stream = masker(sink, VALUE)
    stream.feed(f"one {VALUE}\ntwo {VALUE[:10]}".encode())
    assert sink.getvalue() == f"one {MASK}\n".encode()  # the rest may still grow into a value
    stream.feed(b"\rthree")  # a carriage return ends a line too (progress bars)
    assert sink.getvalue() == f"one {MASK}\ntwo {MASK}\r".encode()  # a prefix is masked too
    stream.close()
    assert sink.getvalue().endswith(b"\rthree")


def test_a_multibyte_character_cut_between_reads_is_kept_and_masked() -> None:
    value = "canary-héllo-wörld-€-secret"
    data = f"x {value} y é".encode()
    for cut in range(1, len(data)):
        sink = io.BytesIO()
        stream = masker(sink, value)
        stream.feed(data[:cut])
        stream.feed(data[cut:])
        stream.close()
        assert sink.getvalue() == f"x {MASK} y é".encode()


def test_bytes_that_are_not_utf8_pass_unchanged() -> None:
    sink = io.BytesIO()
    stream = masker(sink, VALUE)
    stream.feed(b"\xff\xfe raw " + VALUE.encode() + b" \x80\n")
    stream.close()
    assert sink.getvalue() == b"\xff\xfe raw " + MASK.encode() + b" \x80\n"


def test_a_line_without_end_is_streamed_in_pieces_that_never_cut_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mask_stream, "LONG_LINE", 64)
    sink = io.BytesIO()
    stream = masker(sink, VALUE)
    line = "".join(f"{index:04d}{VALUE}" for index in range(200))
    data = line.encode()
    expected = "".join(f"{index:04d}{MASK}" for index in range(200))
    for start in range(0, len(data), 7):
        stream.feed(data[start:start + 7])
        assert expected.startswith(sink.getvalue().decode())  # every cut fell between values
    # Streamed before the line ended, holding back at most the line limit
    # (4x the longest masked form a 30-character value can take: 4 x 302 bytes).
    assert sink.getvalue().count(MASK.encode()) >= 200 - 4 * 302 // len(f"0000{VALUE}") - 1
    stream.close()
    assert sink.getvalue().decode() == expected


WRITE_IN_PIECES = r"""
import os, sys, time
value = os.environ["DATABASE_URL"]
for fd in (1, 2):
    os.write(fd, b"start " + value[:9].encode())
    time.sleep(0.05)  # lets the reader take the first piece alone (the result holds either way)
    os.write(fd, value[9:].encode() + b" end\n")
    os.write(fd, b"multi: " + os.environ["MULTI"].encode() + b"\n")
os.write(1, b"last line " + value.encode())  # no newline at the end
"""


def test_mask_hides_values_split_across_writes_in_stdout_and_stderr(tmp_path: Path) -> None:
    done = run(write_source(tmp_path), python(WRITE_IN_PIECES), mask=True)
    assert done.returncode == 0, done.stderr
    # The two-line value is masked whole, or line by line if a read ended between its lines.
    assert done.stdout.replace(b"***\n***", b"***") == b"start *** end\nmulti: ***\nlast line ***"
    assert done.stderr.replace(b"***\n***", b"***") == b"start *** end\nmulti: ***\n"


def test_without_mask_the_output_is_the_commands_own(tmp_path: Path) -> None:
    done = run(write_source(tmp_path), python(WRITE_IN_PIECES))
    assert done.stdout.endswith(b"last line " + SECRETS["DATABASE_URL"].encode())


INSPECT_STAGECRAFT = r"""
import os, sys
# With --mask Stagecraft is COMMAND's parent; without, COMMAND *is* the
# Stagecraft process (its environment then holds the secrets by design).
stagecraft = os.getppid() if sys.argv[1] == "parent" else os.getpid()
names = ("cmdline", "environ") if stagecraft != os.getpid() else ("cmdline",)
values = [os.environ[key].encode() for key in ("DATABASE_URL", "SHARED", "MULTI")]
for name in names:
    with open(f"/proc/{stagecraft}/{name}", "rb") as file:
        data = file.read()
    print(name, "leaks" if any(value in data for value in values) else "clean")
"""


@pytest.mark.parametrize("mask", [False, True])
def test_values_never_in_stagecrafts_argv_environment_output_or_files(
    tmp_path: Path, mask: bool
) -> None:
    source = write_source(tmp_path)
    command = python(INSPECT_STAGECRAFT, "parent" if mask else "self")
    done = run(source, command, mask=mask, env=base_env(HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"cmdline clean\n" + (b"environ clean\n" if mask else b"")
    for value in SECRETS.values():
        assert value.encode() not in done.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != source:
            data = path.read_bytes()
            assert not any(value.encode() in data for value in SECRETS.values()), path


def test_a_closed_output_pipe_reaches_the_command_as_it_would_without_stagecraft(
    tmp_path: Path,
) -> None:
    # `stagecraft run --mask -- yes | head -1`: yes dies of SIGPIPE (141), quietly.
    argv = runner_argv(write_source(tmp_path), ["yes", "canary-s3cret"], mask=True)
    proc = subprocess.Popen(argv, env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read()
        proc.stderr.close()
        status = proc.wait(timeout=120)
    finally:
        stop_group(proc)  # Stagecraft and `yes`, by the group's id, whatever happened
    assert status == 128 + signal.SIGPIPE
    assert first == b"canary-s3cret\n"  # not a selected value: shown as is
    assert stderr == b""


def test_a_command_started_with_sigchld_ignored_is_still_waited_for(tmp_path: Path) -> None:
    # An "ignore" inherited on SIGCHLD would make the kernel reap the child first.
    argv = runner_argv(write_source(tmp_path), ["sh", "-c", "exit 7"], mask=True)
    done = subprocess.run(argv, env=base_env(), capture_output=True, timeout=120, check=False,
                          preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
    assert done.returncode == 7, done.stderr
