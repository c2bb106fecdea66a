"""Special files as targets: a device node or a FIFO is refused, never replaced or read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import reliability_helpers as h

ENVFILE = ("secrets", "sync", "--provider", "envfile", "--from", "source.env", "--to")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    h.write_env(tmp_path / "source.env", {"API_TOKEN": "special-canary-4242"})
    return tmp_path


def test_a_character_device_target_is_refused_not_replaced(project: Path) -> None:
    device = project / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null twin (root)
    result = h.run(*ENVFILE, "null", cwd=project)
    assert stat.S_ISCHR(device.lstat().st_mode), "the device node was replaced by a file"
    assert result.code == 2, result.describe()
    assert "not a regular file" in result.err


def test_a_fifo_target_is_refused_without_hanging(project: Path) -> None:
    os.mkfifo(project / "fifo")
    result = h.run(*ENVFILE, "fifo", cwd=project, timeout=20)
    assert result.code == 2, result.describe()
    assert stat.S_ISFIFO((project / "fifo").lstat().st_mode)


def test_a_link_to_dev_stdout_is_refused_as_not_a_regular_file(project: Path) -> None:
    """Through a pipe, /dev/stdout resolves to /proc/N/fd/pipe:[...], which is no file."""
    (project / "out.env").symlink_to("/dev/stdout")
    result = h.run(*ENVFILE, "out.env", cwd=project)
    assert result.code == 2, result.describe()
    assert "out.env: target is not a regular file" in result.err
    assert "/proc/" not in result.err
    assert "special-canary-4242" not in result.out + result.err
    assert (project / "out.env").is_symlink()
