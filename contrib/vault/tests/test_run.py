"""``stagecraft run --env`` with a vault environment, against the real OpenBao dev server:
COMMAND gets the secret's fields; a server that cannot be reached stops the run (exit 2)
before COMMAND starts; no value reaches Stagecraft's own output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from vault_helpers import kv_put

from stagecraft.testing import CANARY_VALUES
from stagecraft.testing.fixtures import RunStagecraft
from stagecraft.testing.servers.openbao import DevServer
from stagecraft.testing.servers.ports import free_port  # nothing listens there

pytestmark = pytest.mark.usefixtures("vault_env")

pytest_plugins = ["stagecraft.testing"]

SECRET = CANARY_VALUES["CONTRACT_ALPHA"]

#: COMMAND: writes the environment it saw, as JSON, to ``seen.json``.
DUMP_ENV = [sys.executable, "-I", "-c",
            "import json, os; open('seen.json', 'w').write(json.dumps(dict(os.environ)))"]


@pytest.fixture
def project(tmp_path: Path, bao: DevServer, path: str) -> Path:
    """staging is a vault secret holding the declared key, an optional one and a stray."""
    assert kv_put(bao, path, {"DB_URL": SECRET, "API_KEY": "canary-api", "EXTRA": "x"}) == 1
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n"
        "  environments:\n"
        f"    staging: vault:secret/{path}\n"
        "  keys:\n"
        "    DB_URL: {}\n"
        "    API_KEY: {required: false}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_run_with_a_vault_environment(run_stagecraft: RunStagecraft, project: Path) -> None:
    done = run_stagecraft("run", "--env", "staging", "--", *DUMP_ENV, subprocess=True)
    assert done.exit_code == 0, done.stderr
    seen = json.loads((project / "seen.json").read_text())
    assert (seen["DB_URL"], seen["API_KEY"]) == (SECRET, "canary-api")
    assert "EXTRA" not in seen  # not declared
    assert SECRET not in done.stdout + done.stderr


def test_a_missing_required_key_in_vault_starts_nothing(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, path: str
) -> None:
    kv_put(bao, path, {"API_KEY": "canary-api"})  # DB_URL, required everywhere, is gone
    done = run_stagecraft("run", "--env", "staging", "--", *DUMP_ENV, subprocess=True)
    assert done.exit_code == 1
    assert done.stderr == (f"stagecraft: error: vault:secret/{path}: missing declared key(s) "
                           "required in staging: DB_URL; the command was not started\n")
    assert not (project / "seen.json").exists()


def test_an_unreachable_server_exits_2_and_starts_nothing(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    done = run_stagecraft("run", "--env", "staging", "--", *DUMP_ENV, subprocess=True,
                          env={"VAULT_ADDR": f"http://127.0.0.1:{free_port()}"})
    assert done.exit_code == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("stagecraft: error: ")
    assert "Traceback" not in done.stderr
    assert not (project / "seen.json").exists()
