"""The command's own output as a new user meets it: structure never masked, no traceback,
one JSON object on failure, names escaped, ``-v`` narrating the sync."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import child_env

from stagecraft.testing import write_env_file

STAGECRAFT = Path(sys.executable).with_name("stagecraft")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STAGECRAFT), *args], cwd=cwd,
        env={**child_env(), "STAGECRAFT_LOAD_PLUGINS": "envfile"},
        capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.mark.parametrize("values", [
    {"A": "envfile", "B": "added"},
    {"A": "stagecraft", "B": "error"},
    {"A": "unchanged", "B": "target.env"},
])
def test_values_equal_to_structural_words_do_not_change_the_output(
    tmp_path: Path, values: dict[str, str]
) -> None:
    write_env_file(tmp_path / "source.env", values)
    result = run(tmp_path, "secrets", "sync", "--provider", "envfile", "--from", "source.env",
                 "--to", "target.env")
    assert result.returncode == 0
    assert result.stdout == "+ A\n+ B\n"
    assert result.stderr == "stagecraft: envfile: 2 added, 0 updated, 0 unchanged, 0 removed\n"


def test_a_removed_working_directory_is_one_clear_error(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = STAGECRAFT
    result = subprocess.run(
        ["bash", "-c", f"cd {gone} && rmdir {gone} && exec {script} secrets providers"],
        env=child_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "stagecraft: error: the working directory no longer exists (it was removed); "
        "cd to an existing one\n"
    )


def test_a_closed_stdout_is_no_internal_error(tmp_path: Path) -> None:
    write_env_file(tmp_path / "source.env", {"A": "value-a"})
    script = STAGECRAFT
    result = subprocess.run(
        ["bash", "-c", f"{script} secrets sync --provider envfile --from source.env "
                       "--to target.env --dry-run >&-"],
        cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


def test_key_names_with_control_characters_are_escaped(tmp_path: Path) -> None:
    write_env_file(tmp_path / "source.env", {"A": "value-a"})
    result = run(tmp_path, "secrets", "sync", "--provider", "envfile", "--from", "source.env",
                 "--to", "target.env", "API\nKEY", "\x1b[31mRED")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "API\\nKEY" in lines[0]
    assert "\\x1b[31mRED" in lines[0]
    assert "\x1b" not in result.stderr


def test_every_failure_with_json_prints_one_json_object(tmp_path: Path) -> None:
    write_env_file(tmp_path / "source.env", {"A": "value-a"})
    result = run(tmp_path, "secrets", "sync", "--provider", "envfile", "--from", "source.env",
                 "--to", "target.env", "--json", "MISSING")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["error"] == {
        "message": f"{tmp_path / 'source.env'}: requested key not found: MISSING",
        "exit_code": 1,
    }
    assert report["provider"] == "envfile"
    # the places the message names, resolved: not the "" of options left to defaults
    assert (report["source"], report["target"]) == (
        str(tmp_path / "source.env"), str(tmp_path / "target.env"))
    unknown = run(tmp_path, "secrets", "sync", "--provider", "nope", "--json")
    assert json.loads(unknown.stdout)["error"]["exit_code"] == 1


def test_json_names_the_resolved_source_and_target(tmp_path: Path) -> None:
    write_env_file(tmp_path / ".env.local", {"A": "value-a"})
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n  provider: envfile\n  providers:\n    envfile:\n"
        "      source_file: .env.local\n      target_file: .env.staging\n"
    )
    result = run(tmp_path, "secrets", "sync", "--json")
    report = json.loads(result.stdout)
    assert report["source"] == str(tmp_path / ".env.local")
    assert report["target"] == str(tmp_path / ".env.staging")
    # given on the command line, relative: shown by the same rule as the defaults
    given = run(tmp_path, "secrets", "sync", "--json", "--from", ".env.local",
                "--to", "envfile:.env.other")
    report = json.loads(given.stdout)
    assert report["source"] == str(tmp_path / ".env.local")
    assert report["target"] == str(tmp_path / ".env.other")
    failed = run(tmp_path, "secrets", "sync", "--json", "NOT_THERE")
    report = json.loads(failed.stdout)
    assert failed.returncode == 1
    assert report["source"] == str(tmp_path / ".env.local")
    assert report["target"] == str(tmp_path / ".env.staging")


def test_verbose_narrates_each_step_without_values(tmp_path: Path) -> None:
    write_env_file(tmp_path / "source.env", {"A": "value-aaaa", "B": "value-bbbb"})
    result = run(tmp_path, "-v", "secrets", "sync", "--provider", "envfile",
                 "--from", "source.env", "--to", "target.env")
    assert result.returncode == 0
    log = result.stderr
    for step in (f"reading {tmp_path / 'source.env'}", "2 key(s) selected",
                 "plan: 2 to write, 0 to remove", "written: 2 key(s) changed"):
        assert step in log, step
    assert "value-" not in log


def test_verbose_narration_keeps_its_shape_whatever_the_values(tmp_path: Path) -> None:
    write_env_file(tmp_path / "source.env", {"A": "source.env", "B": "info"})
    result = run(tmp_path, "-v", "secrets", "sync", "--provider", "envfile",
                 "--from", "source.env", "--to", "target.env")
    assert result.returncode == 0
    assert f"stagecraft: info: reading {tmp_path / 'source.env'}\n" in result.stderr
    assert "***" not in result.stderr


def test_config_from_and_to_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    write_env_file(tmp_path / ".env.local", {"A": "value-a"})
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n  provider: envfile\n  from: .env.local\n  to: .env.staging\n"
    )
    (tmp_path / "sub").mkdir()
    result = run(tmp_path / "sub", "secrets", "sync", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["target"] == str(tmp_path / ".env.staging")
    assert (tmp_path / ".env.staging").read_text() == "A=value-a\n"
    assert not (tmp_path / "sub" / ".env.staging").exists()
