"""A standard output that cannot be written (``>/dev/full``) after the command did its work."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_helpers import STAGECRAFT, child_env

from stagecraft import dotenv
from stagecraft.testing import write_env_file

SOURCE = {"API_TOKEN": "full-canary-token-5e5e", "DB_URL": "postgres://u:p@db/x"}
SYNC = ("secrets", "sync", "--provider", "envfile", "--from", "source.env", "--to", "out.env")


def run_into_dev_full(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w", encoding="utf-8") as full:
        return subprocess.run([str(STAGECRAFT), *args], cwd=cwd, env=child_env(), stdout=full,
                              stderr=subprocess.PIPE, text=True, check=False, timeout=60)


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_a_sync_whose_output_is_lost_says_the_target_was_written(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    write_env_file(tmp_path / "source.env", SOURCE)
    done = run_into_dev_full(tmp_path, *SYNC, *extra)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "stagecraft: error: could not write the output to standard output (No space left on "
        "device); the sync completed: the target out.env was written"
    ]
    assert dotenv.load(tmp_path / "out.env").values() == SOURCE  # the work is done


def test_a_dry_run_whose_output_is_lost_says_nothing_was_written(tmp_path: Path) -> None:
    write_env_file(tmp_path / "source.env", SOURCE)
    done = run_into_dev_full(tmp_path, *SYNC, "--dry-run")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.rstrip("\n").endswith("the dry run completed and wrote nothing")
    assert not (tmp_path / "out.env").exists()


def test_another_command_whose_output_is_lost(tmp_path: Path) -> None:
    done = run_into_dev_full(tmp_path, "plugins")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1].endswith("; the command itself completed")
    assert "Exception ignored" not in done.stderr


@pytest.mark.parametrize("option", [("--version",), ("--help",), ("secrets", "sync", "--help")])
def test_version_or_help_whose_output_is_lost(tmp_path: Path, option: tuple[str, ...]) -> None:
    done = run_into_dev_full(tmp_path, *option)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "stagecraft: error: could not write the output to standard output (No space left on "
        "device); the command itself completed"
    ]


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_or_help_into_a_closed_pipe_is_quiet(tmp_path: Path, option: str) -> None:
    child = subprocess.Popen([str(STAGECRAFT), option], cwd=tmp_path, env=child_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    child.stdout.close()  # the reader stops before anything is read (`| head -0`)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert err == ""
