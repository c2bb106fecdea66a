"""Ctrl-C during the sync of a large env file acts promptly and never leaves a half-written target.

A real ``stagecraft`` process syncs a generated 30 MB env file over an
existing target and gets a real SIGINT at each step its ``-v`` log names
(reading, selecting, planning), and once more after the plan, while it
checks, edits and writes.  Each time it exits 130, and the target is
either byte for byte what it was, or the complete new file.
How fast it acts is measured by ``benchmarks/interrupt.py``, not here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import child_env

from stagecraft import dotenv

STAGECRAFT = Path(sys.executable).with_name("stagecraft")
KEYS = 300_000
PADDING = "x" * 70


def env_text(prefix: str) -> bytes:
    """About 30 MB: 300,000 keys of about 100 bytes each."""
    return "".join(f'KEY_{i:06d}="{prefix}-{i:06d}-{PADDING}"\n' for i in range(KEYS)).encode()


@pytest.fixture(scope="module")
def large_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The source (new values), and the target's old content (the same keys, old values)."""
    path = tmp_path_factory.mktemp("large") / "big.env"
    path.write_bytes(env_text("value"))
    assert path.stat().st_size > 29_000_000
    return path, b"KEEP=me\n" + env_text("old")


@pytest.fixture
def project(tmp_path: Path, large_files: tuple[Path, bytes]) -> Path:
    (tmp_path / "big.env").symlink_to(large_files[0])
    (tmp_path / "out.env").write_bytes(large_files[1])
    return tmp_path


def interrupt_after(project: Path, marker: str) -> tuple[int, str]:
    """Run the sync, send SIGINT when ``marker`` appears in its log; exit status and stderr."""
    process = subprocess.Popen(
        [str(STAGECRAFT), "-v", "secrets", "sync", "--from", "big.env", "--to", "envfile:out.env"],
        cwd=project, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if marker in line:
                process.send_signal(signal.SIGINT)
                break
        lines += process.stderr.read()
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:  # stopped by its process id, whatever happened above
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    return code, "".join(lines)


# Files are named by absolute path in the log: "info: reading /tmp/.../big.env".
@pytest.mark.parametrize("marker", ["/big.env\n", "/out.env\n", "key(s) selected", "plan: "])
def test_sigint_leaves_the_target_as_it_was_or_complete(
    project: Path, marker: str, large_files: tuple[Path, bytes]
) -> None:
    code, err = interrupt_after(project, marker)
    assert code == 130, err[-2000:]
    if marker == "/out.env\n":
        # Stopped in the middle of reading the 30 MB target, not after the plan.
        assert "key(s) selected" not in err, "the sync went on reading and planning"
    data = (project / "out.env").read_bytes()
    if data == large_files[1]:
        assert "interrupted before anything was written" in err
        return
    # Not as it was: then complete, every key with its value, the old key kept.
    values = dotenv.parse(data, path="out.env").view()
    assert len(values) == KEYS + 1, "the target was half-written"
    assert values["KEEP"] == "me"
    assert all(values[f"KEY_{i:06d}"] == f"value-{i:06d}-{PADDING}" for i in range(KEYS))
    assert "interrupted after every change was written" in err
