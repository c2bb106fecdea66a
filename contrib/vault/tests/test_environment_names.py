"""Environments on the real OpenBao dev server, used by name: ``--from staging`` reads
Vault, ``--to prod`` writes it, ``stagecraft.read("staging")`` answers, and a file named
like an environment loses to the environment unless written ``./staging``."""

from __future__ import annotations

import json
from pathlib import Path

import dotenv
import pytest
from vault_helpers import kv_get, kv_put

import stagecraft
from stagecraft.testing import CANARY_VALUES, write_env_file
from stagecraft.testing.fixtures import RunStagecraft
from stagecraft.testing.servers.openbao import DevServer

pytestmark = pytest.mark.usefixtures("vault_env")

pytest_plugins = ["stagecraft.testing"]

SECRET = CANARY_VALUES["CONTRACT_ALPHA"]


@pytest.fixture
def project(tmp_path: Path, bao: DevServer, path: str) -> Path:
    """staging (Vault) holds two keys; prod (Vault) is empty; dev is an env file; the work is
    done from sub/, with a decoy file named ``staging`` there."""
    assert kv_put(bao, f"{path}/staging", {"DB_URL": "postgres://db", "API_KEY": SECRET}) == 1
    write_env_file(tmp_path / ".env.dev", {"DB_URL": "postgres://dev"})
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n"
        "  environments:\n"
        "    dev: envfile:.env.dev\n"
        f"    staging: vault:secret/{path}/staging\n"
        f"    prod: vault:secret/{path}/prod\n",
        encoding="utf-8",
    )
    (tmp_path / "sub").mkdir()
    write_env_file(tmp_path / "sub" / "staging", {"DECOY": "1"})
    return tmp_path


def test_from_a_vault_environment_by_name(
    run_stagecraft: RunStagecraft, project: Path, path: str
) -> None:
    synced = run_stagecraft("secrets", "sync", "--from", "staging", "--to", "envfile:out.env",
                            "--json", cwd=project / "sub")
    assert synced.exit_code == 0, synced.stderr
    report = json.loads(synced.stdout)
    assert (report["source"], report["source_environment"]) == (
        f"vault:secret/{path}/staging", "staging")
    assert "target_environment" not in report
    assert dotenv.dotenv_values(project / "sub" / "out.env") == {
        "DB_URL": "postgres://db", "API_KEY": SECRET}
    assert SECRET not in synced.stdout + synced.stderr


def test_into_a_vault_environment_by_name(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, path: str
) -> None:
    synced = run_stagecraft("secrets", "sync", "--from", "staging", "--to", "prod",
                            cwd=project / "sub")
    assert synced.exit_code == 0, synced.stderr
    assert synced.stdout == "+ API_KEY\n+ DB_URL\n"
    assert kv_get(bao, f"{path}/prod")[0] == {"DB_URL": "postgres://db", "API_KEY": SECRET}


def test_dot_slash_reads_the_file_of_that_name(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    synced = run_stagecraft("secrets", "sync", "--from", "./staging", "--to", "envfile:out.env",
                            cwd=project / "sub")
    assert synced.exit_code == 0, synced.stderr
    assert dotenv.dotenv_values(project / "sub" / "out.env") == {"DECOY": "1"}


def test_the_api_reads_a_vault_environment_by_name(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "sub")
    assert stagecraft.read("staging", ["API_KEY"]) == {"API_KEY": SECRET}
    result = stagecraft.sync("dev", "prod")
    assert result.added == ("DB_URL",)
    assert stagecraft.read("prod") == {"DB_URL": "postgres://dev"}
