"""``secrets list`` and ``secrets check`` with a vault environment, against the real server:
the names it holds (never values), and a stopped server reported unreadable (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vault_helpers import kv_put

from stagecraft.testing import CANARY_VALUES, write_env_file
from stagecraft.testing.fixtures import RunStagecraft
from stagecraft.testing.servers.openbao import DevServer
from stagecraft.testing.servers.ports import free_port  # nothing listens there

pytestmark = pytest.mark.usefixtures("vault_env")

pytest_plugins = ["stagecraft.testing"]

SECRET = CANARY_VALUES["CONTRACT_ALPHA"]


@pytest.fixture
def project(tmp_path: Path, bao: DevServer, path: str) -> Path:
    """dev (an env file) lacks API_KEY; staging (vault) holds both keys and one undeclared."""
    write_env_file(tmp_path / ".env.dev", {"DB_URL": "postgres://u:p@db/app"})
    assert kv_put(bao, path, {"DB_URL": SECRET, "API_KEY": SECRET, "EXTRA": "x"}) == 1  # version
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n"
        "  environments:\n"
        "    dev: envfile:.env.dev\n"
        f"    staging: vault:secret/{path}\n"
        "  keys:\n"
        "    DB_URL: {}\n"
        "    API_KEY: {required: [staging]}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_list_a_vault_environment(run_stagecraft: RunStagecraft, project: Path) -> None:
    listed = run_stagecraft("secrets", "list", "staging", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == ["API_KEY", "DB_URL", "EXTRA"]
    assert SECRET not in listed.stdout + listed.stderr


def test_check_across_envfile_and_vault(run_stagecraft: RunStagecraft, project: Path) -> None:
    checked = run_stagecraft("secrets", "check", "--json")
    assert checked.exit_code == 0, checked.stderr
    assert json.loads(checked.stdout) == {
        "environments": [
            {"name": "dev", "status": "checked",
             "keys": {"DB_URL": "present", "API_KEY": "optional-absent"}},
            {"name": "staging", "status": "checked",
             "keys": {"DB_URL": "present", "API_KEY": "present"}},
        ],
        "missing": [],
        "undeclared": [{"key": "EXTRA", "environment": "staging"}],
        "unreadable": [],
    }
    assert SECRET not in checked.stdout + checked.stderr


def test_check_with_the_vault_server_stopped(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    checked = run_stagecraft("secrets", "check", "--json", subprocess=True,
                             env={"VAULT_ADDR": f"http://127.0.0.1:{free_port()}"})
    assert checked.exit_code == 2, checked.stderr
    report = json.loads(checked.stdout)
    assert [entry["environment"] for entry in report["unreadable"]] == ["staging"]
    assert report["environments"][0]["status"] == "checked"  # dev was still read
    assert report["environments"][1]["keys"] == {"DB_URL": "unknown", "API_KEY": "unknown"}
    assert "Traceback" not in checked.stderr
    listed = run_stagecraft("secrets", "list", "staging", subprocess=True,
                            env={"VAULT_ADDR": f"http://127.0.0.1:{free_port()}"})
    assert (listed.exit_code, listed.stdout) == (2, "")
