"""The fake ``encore`` behaves like the real CLI (per the reference), so tests of the
provider against it mean something."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import FakeEncore


def run(cwd: Path, *args: str, value: bytes | None = b"v") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["encore", *args],
        input=value.decode("utf-8") if value is not None else None,
        stdin=subprocess.DEVNULL if value is None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_created_then_updated(fake_encore: FakeEncore, app: Path) -> None:
    first = run(app, "secret", "set", "--type", "dev,local", "KEY", value=b"one")
    assert (first.returncode, first.stdout) == (0, "Successfully created secret value for KEY.\n")
    second = run(app, "secrets", "set", "-t", "local", "--type=development", "KEY", value=b"two")
    assert (second.returncode, second.stdout) == (
        0,
        "Successfully updated secret value for KEY.\n",
    )
    assert fake_encore.stored() == {"KEY": "two"}


def test_one_call_per_type_conflicts_later(fake_encore: FakeEncore, app: Path) -> None:
    assert run(app, "secret", "set", "--type", "dev", "K").returncode == 0
    assert run(app, "secret", "set", "--type", "local", "K").stdout.startswith(
        "Successfully created"
    )
    clash = run(app, "secret", "set", "--type", "dev,local", "K")
    assert clash.returncode == 1
    assert clash.stderr.startswith(
        "error: the environment selection conflicts with other secret values:\n"
    )
    assert clash.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["-tdev"],
        ["-t=dev"],
        ["-t", "dev"],
        ["--type=dev"],
        ["--type", "dev"],
        ["--dev"],
        ["--type", "development,dev"],
        ["-t", "dev", "-t", "development"],
    ],
)
def test_flag_forms(fake_encore: FakeEncore, app: Path, args: list[str]) -> None:
    result = run(app, "secret", "set", *args, "K")
    assert result.returncode == 0, result.stderr
    assert fake_encore.state()["secrets"]["K"][0]["selection"] == ["type:development"]


@pytest.mark.parametrize(
    ("args", "stderr_start"),
    [
        (["secret", "set", "--type", "dev"], "Error: accepts 1 arg(s), received 0\nUsage:"),
        (["secret", "set", "--type", "dev", "A", "B"], "Error: accepts 1 arg(s), received 2"),
        (["secret", "set", "--type"], "Error: flag needs an argument: --type"),
        (["secret", "set", "-t"], "Error: flag needs an argument: 't' in -t"),
        (["secret", "set", "-x", "dev", "A"], "Error: unknown shorthand flag: 'x' in -x"),
        (["secret", "set", "--kind", "dev", "A"], "Error: unknown flag: --kind"),
        (["secret", "set", "--type", "Dev", "A"], 'error: invalid environment type "Dev"\n'),
        (["secret", "set", "--type", "dev,", "A"], 'error: invalid environment type ""\n'),
        (["secret", "set", "A"], "error: must specify at least one environment with --type"),
        (["secret", "get", "A"], 'Error: unknown command "get" for "encore secret"'),
        (["auth", "login"], 'Error: unknown command "auth" for "encore"'),
    ],
)
def test_usage_and_errors(
    fake_encore: FakeEncore, app: Path, args: list[str], stderr_start: str
) -> None:
    result = run(app, *args)
    assert result.returncode == 1
    assert result.stderr.startswith(stderr_start)
    assert fake_encore.state() == {"secrets": {}}


def test_unknown_environment(fake_encore: FakeEncore, app: Path) -> None:
    fake_encore.envs("staging")
    assert run(app, "secret", "set", "--env", "staging", "K").returncode == 0
    missing = run(app, "secret", "set", "-e", "staging,qa", "K")
    assert (missing.returncode, missing.stderr) == (1, 'error: environment "qa" not found\n')


def test_stdin_trailing_newlines_are_stripped(fake_encore: FakeEncore, app: Path) -> None:
    run(app, "secret", "set", "--type", "dev", "A", value=b"line1\nline2\r\n\n\r")
    run(app, "secret", "set", "--type", "dev", "B", value=None)
    assert fake_encore.stored() == {"A": "line1\nline2", "B": ""}


def test_needs_encore_app_walking_up(fake_encore: FakeEncore, app: Path, tmp_path: Path) -> None:
    nested = app / "svc" / "deep"
    nested.mkdir(parents=True)
    assert run(nested, "secret", "set", "--type", "dev", "K").returncode == 0
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = run(outside, "secret", "set", "--type", "dev", "K")
    assert (result.returncode, result.stderr) == (
        1,
        "error: no encore.app found in directory (or any of the parent directories)\n",
    )


def test_unlinked_app(fake_encore: FakeEncore, app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_ENCORE_UNLINKED", "1")
    result = run(app, "secret", "set", "--type", "dev", "K")
    assert result.stderr.startswith("error: app is not linked with the Encore Platform")


def test_records_calls(fake_encore: FakeEncore, app: Path) -> None:
    fake_encore.fail_keys("BAD")
    run(app, "secret", "set", "--type", "pr", "GOOD", value="h\u00e9".encode())
    bad = run(app, "secret", "set", "--type", "pr", "BAD", value=b"x")
    assert bad.stderr == "error: unable to create secret: simulated API failure\n"
    calls = fake_encore.calls()
    assert [(c["argv"], c["value"], c["exit"]) for c in calls] == [
        (["secret", "set", "--type", "pr", "GOOD"], "h\u00e9", 0),
        (["secret", "set", "--type", "pr", "BAD"], "x", 1),
    ]
    assert all(c["cwd"] == str(app) and c["start"] <= c["end"] for c in calls)


@pytest.mark.parametrize("where", ["with space", "x" * 120])
def test_installs_for_an_interpreter_a_shebang_cannot_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A path with spaces, or too long for old kernels, goes through sh instead."""
    import sys

    import fake_encore

    python = tmp_path / where / "python"
    python.parent.mkdir()
    python.symlink_to(sys.executable)
    binary = fake_encore.install(str(tmp_path / "bin"), python=str(python))
    assert Path(binary).read_text().startswith("#!/bin/sh\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "encore.app").write_text("{}\n")
    monkeypatch.setenv("FAKE_ENCORE_STATE", str(tmp_path / "state"))
    done = subprocess.run(
        [binary, "secret", "set", "--type", "dev", "KEY"], input=b"v", cwd=app,
        capture_output=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"Successfully created secret value for KEY.\n"
    assert fake_encore.read_state(str(tmp_path / "state"))["secrets"]["KEY"][0]["value"] == "v"
