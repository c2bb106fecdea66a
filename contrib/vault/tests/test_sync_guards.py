"""A mistyped vault source, an empty source with --prune, and a value rotated in Vault:
each stops the sync before anything is written (real OpenBao, KV v2 and v1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vault_helpers import kv_get, kv_put

from stagecraft.testing import write_env_file
from stagecraft.testing.fixtures import RunStagecraft
from stagecraft.testing.servers.openbao import DevServer

pytestmark = pytest.mark.usefixtures("vault_env")

pytest_plugins = ["stagecraft.testing"]

VALUES = {"A": "vault-guard-canary-a1", "B": "vault-guard-canary-b2",
          "DB_PASSWORD": "vault-guard-canary-old-pw"}
ROTATED = "vault-guard-canary-rotated-pw"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_env_file(tmp_path / ".env", VALUES)
    return tmp_path


def test_a_mistyped_kv2_source_with_prune_removes_nothing(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, VALUES)
    result = run_stagecraft("secrets", "sync", "--from", f"vault:{location}x",
                            "--to", f"vault:{location}", "--prune")
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == (f"stagecraft: error: vault:{location}x: the source does not exist "
                             f"(no secret at {location}x); check the location (nothing was "
                             "written)\n")
    assert kv_get(bao, path) == (VALUES, 1)


def test_a_mistyped_kv1_source_is_an_error_and_a_new_kv1_target_is_created(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, kv1: str
) -> None:
    result = run_stagecraft("secrets", "sync", "--from", f"vault:{kv1}/ap", "--to",
                            "envfile:out.env")
    assert result.exit_code == 1
    assert f"vault:{kv1}/ap: the source does not exist" in result.stderr
    assert not (project / "out.env").exists()
    created = run_stagecraft("secrets", "sync", "--from", ".env", "--to", f"vault:{kv1}/app")
    assert created.exit_code == 0, created.stderr
    assert bao.request("GET", f"{kv1}/app")[1]["data"] == VALUES


def test_an_empty_source_with_prune_is_refused(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, VALUES)
    (project / ".env.empty").write_text("")
    to = f"vault:{location}"
    refused = run_stagecraft("secrets", "sync", "--from", ".env.empty", "--to", to, "--prune")
    assert refused.exit_code == 1
    assert "--allow-empty-source" in refused.stderr
    assert kv_get(bao, path) == (VALUES, 1)
    allowed = run_stagecraft("secrets", "sync", "--from", ".env.empty", "--to", to, "--prune",
                             "--allow-empty-source")
    assert allowed.exit_code == 0, allowed.stderr
    assert kv_get(bao, path) == ({}, 2)


def test_a_password_rotated_in_vault_is_not_reverted_by_a_stale_source(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, location: str, path: str
) -> None:
    to = f"vault:{location}"
    assert run_stagecraft("secrets", "sync", "--from", ".env", "--to", to).exit_code == 0
    kv_put(bao, path, {**VALUES, "DB_PASSWORD": ROTATED})  # rotated in Vault directly

    stale = run_stagecraft("secrets", "sync", "--from", ".env", "--to", to)
    assert stale.exit_code == 1
    assert stale.stdout == "= A\n= B\n! DB_PASSWORD\n"
    assert "changed in the target since this machine last synced them" in stale.stderr
    assert kv_get(bao, path) == ({**VALUES, "DB_PASSWORD": ROTATED}, 2)

    check = run_stagecraft("secrets", "sync", "--from", ".env", "--to", to, "--check", "--json")
    assert check.exit_code == 4
    assert json.loads(check.stdout)["changes"][2] == {"key": "DB_PASSWORD", "action": "conflict"}
    for result in (stale, check):
        assert ROTATED not in result.stdout + result.stderr

    forced = run_stagecraft("secrets", "sync", "--from", ".env", "--to", to, "--force")
    assert (forced.exit_code, forced.stdout) == (0, "= A\n= B\n~ DB_PASSWORD\n")
    assert kv_get(bao, path) == (VALUES, 3)


def test_the_record_names_the_server_not_only_the_path(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, location: str, path: str
) -> None:
    """One path on another server is another place: its values are no conflict."""
    to = f"vault:{location}"
    assert run_stagecraft("secrets", "sync", "--from", ".env", "--to", to).exit_code == 0
    kv_put(bao, path, {**VALUES, "DB_PASSWORD": ROTATED})
    other_address = bao.address.replace("127.0.0.1", "localhost")
    other = run_stagecraft("secrets", "sync", "--from", ".env", "--to", to,
                           env={"VAULT_ADDR": other_address})
    assert (other.exit_code, other.stdout) == (0, "= A\n= B\n~ DB_PASSWORD\n"), other.stderr
