"""Exec-protocol stores found by the command: on PATH, in ``plugins.exec``, and their clashes.

Each test runs the real ``stagecraft`` command with the example helpers of
``plugins/exec`` (bash+jq and Node), so a helper is found the way a user's
would be.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from stagecraft.testing import RunStagecraft

pytest_plugins = ["stagecraft.testing"]

HELPERS = Path(__file__).resolve().parents[1] / "plugins" / "exec"
SECRET = "exec-discovery-canary-Hq72"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A directory for PATH holding the jq helper as ``stagecraft-store-teamvault``."""
    directory = tmp_path / "bin"
    directory.mkdir()
    shutil.copy(HELPERS / "stagecraft-store-jq", directory / "stagecraft-store-teamvault")
    return directory


def on_path(directory: Path) -> dict[str, str | None]:
    return {"PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def source(tmp_path: Path) -> Path:
    env = tmp_path / ".env.local"
    env.write_text(f"API_TOKEN={SECRET}\nDB_HOST=db.internal\n", encoding="utf-8")
    return env


def test_a_helper_on_path_is_a_store(
    tmp_path: Path, bin_dir: Path, run_stagecraft: RunStagecraft
) -> None:
    source(tmp_path)
    run = run_stagecraft("secrets", "sync", "--from", ".env.local", "--to",
                         "teamvault:vault.json", "--json", env=on_path(bin_dir), subprocess=True)
    assert run.exit_code == 0, run.stderr
    assert {c["key"]: c["action"] for c in json.loads(run.stdout)["changes"]} == {
        "API_TOKEN": "added", "DB_HOST": "added",
    }
    assert json.loads((tmp_path / "vault.json").read_text()) == {
        "API_TOKEN": SECRET, "DB_HOST": "db.internal",
    }
    check = run_stagecraft("secrets", "sync", "--from", ".env.local", "--to",
                           "teamvault:vault.json", "--check", env=on_path(bin_dir),
                           subprocess=True)
    assert check.exit_code == 0, check.stdout + check.stderr
    assert SECRET not in run.stdout + run.stderr + check.stdout + check.stderr


def test_a_helper_can_be_a_source_and_is_listed(
    tmp_path: Path, bin_dir: Path, run_stagecraft: RunStagecraft
) -> None:
    (tmp_path / "vault.json").write_text(json.dumps({"FROM_HELPER": SECRET}))
    run = run_stagecraft("secrets", "sync", "--from", "teamvault:vault.json", "--to",
                         "envfile:.env.out", env=on_path(bin_dir), subprocess=True)
    assert run.exit_code == 0, run.stderr
    assert f"FROM_HELPER={SECRET}" in (tmp_path / ".env.out").read_text()
    listing = run_stagecraft("secrets", "providers", "teamvault", "--json",
                             env=on_path(bin_dir), subprocess=True)
    assert listing.exit_code == 0, listing.stderr
    described = json.loads(listing.stdout)
    text = json.dumps(described)
    assert "PATH of a JSON file" in text
    plugins = run_stagecraft("plugins", "--json", env=on_path(bin_dir), subprocess=True)
    assert any(p["name"] == "exec" and p["status"] == "active"
               for p in json.loads(plugins.stdout)), plugins.stdout


def test_a_missing_source_location_of_a_helper_is_an_error(
    tmp_path: Path, bin_dir: Path, run_stagecraft: RunStagecraft
) -> None:
    run = run_stagecraft("secrets", "sync", "--from", "teamvault:nope.json", "--to",
                         "envfile:.env.out", env=on_path(bin_dir), subprocess=True)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "nope.json" in run.stderr
    assert not (tmp_path / ".env.out").exists()


def test_plugins_exec_names_a_helper_and_wins_over_path(
    tmp_path: Path, bin_dir: Path, run_stagecraft: RunStagecraft
) -> None:
    source(tmp_path)
    (tmp_path / "stagecraft.yml").write_text(
        "plugins:\n  exec:\n"
        f"    teamvault: {{command: [{HELPERS / 'stagecraft-store-node'}], timeout: 20}}\n",
        encoding="utf-8",
    )
    # The PATH helper answers with a broken describe: were it used, the sync would fail.
    (bin_dir / "stagecraft-store-teamvault").write_text("#!/bin/sh\necho nonsense\n")
    run = run_stagecraft("secrets", "sync", "--from", ".env.local", "--to",
                         "teamvault:vault.json", env=on_path(bin_dir), subprocess=True)
    assert run.exit_code == 0, run.stderr
    assert json.loads((tmp_path / "vault.json").read_text())["API_TOKEN"] == SECRET


def test_an_installed_plugin_wins_a_clash_with_a_warning(
    tmp_path: Path, run_stagecraft: RunStagecraft
) -> None:
    source(tmp_path)
    shadow = tmp_path / "bin"
    shadow.mkdir()
    shutil.copy(HELPERS / "stagecraft-store-jq", shadow / "stagecraft-store-envfile")
    run = run_stagecraft("secrets", "sync", "--from", ".env.local", "--to",
                         "envfile:.env.out", env=on_path(shadow), subprocess=True)
    assert run.exit_code == 0, run.stderr
    assert "exec store 'envfile'" in run.stderr
    assert "is left out" in run.stderr
    assert (tmp_path / ".env.out").is_file(), "the envfile plugin did not write the target"


def test_no_exec_turns_every_helper_off(
    tmp_path: Path, bin_dir: Path, run_stagecraft: RunStagecraft
) -> None:
    source(tmp_path)
    run = run_stagecraft("-p", "no:exec", "secrets", "sync", "--from", ".env.local", "--to",
                         "teamvault:vault.json", env=on_path(bin_dir), subprocess=True)
    assert run.exit_code == 1
    assert "teamvault" in run.stderr
    assert not (tmp_path / "vault.json").exists()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("    bad name: [x]\n", "'bad name' is not a store name"),
        ("    ok: []\n", "the command must be a non-empty list of words"),
        ("    ok: {command: x, timeout: -1}\n", "timeout must be a positive number"),
        ("    ok: {command: x, retry: 1}\n", r"unknown key\(s\) retry"),
    ],
)
def test_a_bad_exec_entry_is_a_config_error_at_its_line(
    tmp_path: Path, run_stagecraft: RunStagecraft, entry: str, message: str
) -> None:
    (tmp_path / "stagecraft.yml").write_text("plugins:\n  exec:\n" + entry, encoding="utf-8")
    run = run_stagecraft("config", "check")
    assert run.exit_code == 1
    assert "stagecraft.yml:3:" in run.stderr
    assert "plugins.exec." in run.stderr
    assert re.search(message, run.stderr), run.stderr
