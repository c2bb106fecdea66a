"""The ``stagecraft`` command with vault at either end, against the real server."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import pytest
from vault_helpers import VALUES, kv_get, kv_put

from stagecraft.providers.secrets import Context
from stagecraft.testing import CANARY_VALUES, write_env_file
from stagecraft.testing.fixtures import RunResult, RunStagecraft
from stagecraft.testing.servers.openbao import DevServer
from stagecraft_envfile.provider import EnvfileStore

pytestmark = pytest.mark.usefixtures("vault_env")

pytest_plugins = ["stagecraft.testing"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_env_file(tmp_path / ".env.local", {"DB_URL": "postgres://u:p@db/app",
                                             "API_KEY": CANARY_VALUES["CONTRACT_ALPHA"]})
    return tmp_path


def sync(run: RunStagecraft, *args: str) -> RunResult:
    return run("secrets", "sync", *args)


def test_sync_dry_run_check_and_json(run_stagecraft: RunStagecraft, project: Path,
                                     bao: DevServer, location: str, path: str) -> None:
    to = f"vault:{location}"
    planned = sync(run_stagecraft, "--from", ".env.local", "--to", to, "--dry-run", "--json")
    assert planned.exit_code == 0, planned.stderr
    assert json.loads(planned.stdout)["changes"] == [
        {"key": "DB_URL", "action": "added"}, {"key": "API_KEY", "action": "added"}]
    assert kv_get(bao, path) == ({}, 0)  # a dry run writes nothing

    pending = sync(run_stagecraft, "--from", ".env.local", "--to", to, "--check")
    assert pending.exit_code == 4

    done = sync(run_stagecraft, "--from", ".env.local", "--to", to, "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["provider"] == "vault"
    assert report["target"] == location
    assert report["dry_run"] is False
    assert [c["action"] for c in report["changes"]] == ["added", "added"]
    assert kv_get(bao, path) == ({"DB_URL": "postgres://u:p@db/app",
                                  "API_KEY": CANARY_VALUES["CONTRACT_ALPHA"]}, 1)

    clean = sync(run_stagecraft, "--from", ".env.local", "--to", to, "--check")
    assert clean.exit_code == 0, clean.stderr
    again = sync(run_stagecraft, "--from", ".env.local", "--to", to, "--json")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"unchanged"}
    assert kv_get(bao, path)[1] == 1  # no version churn
    for result in (planned, pending, done, clean, again):
        assert CANARY_VALUES["CONTRACT_ALPHA"] not in result.stdout + result.stderr
        assert bao.token not in result.stdout + result.stderr


def test_plan_is_exact_against_what_the_server_holds(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"DB_URL": "postgres://u:p@db/app", "API_KEY": "old", "OTHER": "kept"})
    planned = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{location}",
                   "--dry-run", "--json")
    assert json.loads(planned.stdout)["changes"] == [
        {"key": "DB_URL", "action": "unchanged"}, {"key": "API_KEY", "action": "updated"}]
    done = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{location}", "--json")
    assert json.loads(done.stdout)["changes"] == json.loads(planned.stdout)["changes"]
    assert kv_get(bao, path) == ({"DB_URL": "postgres://u:p@db/app",
                                  "API_KEY": CANARY_VALUES["CONTRACT_ALPHA"],
                                  "OTHER": "kept"}, 2)


def test_prune_deletes_fields_not_in_the_source(
    run_stagecraft: RunStagecraft, project: Path, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"DB_URL": "postgres://u:p@db/app", "STALE": "x", "OLD_TOKEN": "y"})
    planned = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{location}",
                   "--prune", "--exclude", "OLD_*", "--dry-run", "--json")
    assert {c["key"]: c["action"] for c in json.loads(planned.stdout)["changes"]} == {
        "DB_URL": "unchanged", "API_KEY": "added", "STALE": "removed"}
    done = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{location}",
                "--prune", "--exclude", "OLD_*")
    assert done.exit_code == 0, done.stderr
    fields, version = kv_get(bao, path)
    assert fields == {"DB_URL": "postgres://u:p@db/app",
                      "API_KEY": CANARY_VALUES["CONTRACT_ALPHA"], "OLD_TOKEN": "y"}
    assert version == 3  # one write of the changes, one of the removal: the secret stays


#: What an env file can hold for every reader the envfile store checks by default (it
#: refuses a NUL, and forms some dotenv reader would not read back unchanged).
ENV_SAFE = {key: value for key, value in VALUES.items()
            if key not in ("NUL_AND_CONTROL", "TRICKY_BOTH_QUOTES", "TRICKY_DOLLAR_BRACE")}


def test_back_from_vault_into_env_files(run_stagecraft: RunStagecraft, tmp_path: Path,
                                        bao: DevServer, location: str, path: str) -> None:
    kv_put(bao, path, ENV_SAFE)
    done = sync(run_stagecraft, "--from", f"vault:{location}", "--to", "envfile:.env")
    assert done.exit_code == 0, done.stderr
    assert read_env(tmp_path, ".env") == ENV_SAFE
    plain = sync(run_stagecraft, "--provider", "envfile", "--from", f"vault:{location}",
                 "--to", "plain.env")
    assert plain.exit_code == 0, plain.stderr
    assert read_env(tmp_path, "plain.env") == ENV_SAFE
    for result in (done, plain):
        for value in ENV_SAFE.values():
            if len(value) >= 6:
                assert value not in result.stdout + result.stderr


def read_env(tmp_path: Path, name: str) -> dict[str, str]:
    return dict(EnvfileStore().read(Context(cwd=tmp_path), str(tmp_path / name), None))


def test_vault_to_vault(run_stagecraft: RunStagecraft, tmp_path: Path, bao: DevServer,
                        location: str, path: str) -> None:
    kv_put(bao, path, {"A": "1", "B": "2"})
    done = sync(run_stagecraft, "--from", f"vault:{location}", "--to",
                f"vault:{location}-copy", "A")
    assert done.exit_code == 0, done.stderr
    assert kv_get(bao, f"{path}-copy") == ({"A": "1"}, 1)
    same = sync(run_stagecraft, "--from", f"vault:{location}", "--to", f"vault:/{location}/")
    assert same.exit_code == 1
    assert "source and target are the same place" in same.stderr


def test_config_file_section(run_stagecraft: RunStagecraft, project: Path, bao: DevServer,
                             path: str) -> None:
    (project / "stagecraft.yml").write_text(
        "secrets:\n  providers:\n    vault:\n      mount: secret\n      kv_version: 2\n"
        "      timeout: 5\n",
        encoding="utf-8",
    )
    done = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{path}/nested")
    assert done.exit_code == 0, done.stderr
    assert kv_get(bao, f"{path}/nested")[1] == 1
    (project / "stagecraft.yml").write_text(
        "secrets:\n  providers:\n    vault:\n      auth: kerberos\n", encoding="utf-8")
    bad = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:secret/{path}")
    assert bad.exit_code == 1
    assert "auth must be one of token, approle" in bad.stderr
    assert "stagecraft.yml:4" in bad.stderr


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"VAULT_TOKEN": "hvs.bad-token-canary-Zx7"}, "the token was refused"),
        ({"VAULT_ADDR": "http://127.0.0.1:9"}, "cannot reach http://127.0.0.1:9"),
    ],
)
def test_errors_are_one_line_exit_2(run_stagecraft: RunStagecraft, project: Path,
                                    location: str, setup: dict[str, str], expected: str) -> None:
    result = run_stagecraft("secrets", "sync", "--from", ".env.local", "--to",
                            f"vault:{location}", env=setup)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert location in lines[0]
    assert "Traceback" not in result.stderr
    assert "bad-token-canary" not in result.stderr
    assert CANARY_VALUES["CONTRACT_ALPHA"] not in result.stderr + result.stdout


def test_conflict_through_the_command(run_stagecraft: RunStagecraft, project: Path,
                                      bao: DevServer, location: str, path: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A concurrent writer between the plan and the write: the sync fails, theirs is kept."""
    from stagecraft_vault import store as store_module

    kv_put(bao, path, {"DB_URL": "old"})
    real_read = store_module.VaultSession.read

    def read_then_someone_writes(self: store_module.VaultSession, keys: object) -> object:
        values = real_read(self, keys)  # type: ignore[arg-type]
        if self.location == location:
            kv_put(bao, path, {"DB_URL": "theirs"})
        return values

    monkeypatch.setattr(store_module.VaultSession, "read", read_then_someone_writes)
    result = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{location}")
    assert result.exit_code == 2
    assert "changed since it was read (version 1, now 2)" in result.stderr
    lines = result.stderr.split("not synced (2):\n", 1)[1].splitlines()
    assert lines[0].startswith("    not written: vault: writing")  # the reason, once
    assert lines[1:3] == ["      API_KEY", "      DB_URL"]  # then each key
    assert kv_get(bao, path) == ({"DB_URL": "theirs"}, 2)


@pytest.mark.parametrize("mode", [(), ("--dry-run",), ("--json",)])
def test_too_many_keys_are_one_refusal_before_writing(
    run_stagecraft: RunStagecraft, tmp_path: Path, bao: DevServer, location: str, path: str,
    mode: tuple[str, ...],
) -> None:
    """A limit of the whole secret: one message, exit 1, nothing sent, however many keys.

    2,000 keys once printed 38.6 MB: every key's line repeated the message and the key list.
    """
    write_env_file(tmp_path / "big.env", {f"K{i:04d}": f"v{i}" for i in range(2000)})
    result = sync(run_stagecraft, "--from", "big.env", "--to", f"vault:{location}", *mode)
    assert result.exit_code == 1, result.stderr[:2000]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr[:2000]
    assert "refusing the write, nothing was written" in errors[0]
    assert "would hold 2000 fields, but one KV v2 write carries at most 498" in errors[0]
    assert len(result.stderr) < 1000  # not a line per key
    assert "K0001" not in result.stderr
    if mode == ("--json",):
        report = json.loads(result.stdout)
        assert report["error"]["exit_code"] == 1
        assert "failed" not in report
    assert kv_get(bao, path) == ({}, 0)


def test_the_size_limit_counts_fields_already_there(
    run_stagecraft: RunStagecraft, tmp_path: Path, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {f"OLD{i:03d}": "x" for i in range(400)})
    write_env_file(tmp_path / "more.env", {f"NEW{i:03d}": "y" for i in range(100)})
    result = sync(run_stagecraft, "--from", "more.env", "--to", f"vault:{location}")
    assert result.exit_code == 1, result.stderr
    assert "would hold 500 fields" in result.stderr
    assert kv_get(bao, path)[1] == 1
    # The engine writes before it deletes, so --prune does not make room: refused alike.
    pruned = sync(run_stagecraft, "--from", "more.env", "--to", f"vault:{location}", "--prune",
                  "--dry-run")
    assert pruned.exit_code == 1, pruned.stderr
    assert "refusing the write, nothing was written" in pruned.stderr
    assert kv_get(bao, path)[1] == 1


def test_canary_scan_of_all_output(run_stagecraft: RunStagecraft, tmp_path: Path,
                                   bao: DevServer, location: str, path: str,
                                   caplog: pytest.LogCaptureFixture) -> None:
    """Every command a user runs, verbose, successes and failures: no value, no token."""
    canaries = {**CANARY_VALUES, "CANARY_PEM": "-----BEGIN KEY-----\ncanary-pem-body-Qx9\n-----END"}
    write_env_file(tmp_path / ".env.local", canaries)
    to = f"vault:{location}"
    outputs: list[RunResult] = []
    with caplog.at_level(logging.DEBUG):
        for args in (
            ("-v", "secrets", "sync", "--from", ".env.local", "--to", to, "--dry-run"),
            ("-v", "secrets", "sync", "--from", ".env.local", "--to", to, "--json"),
            ("-v", "secrets", "sync", "--from", ".env.local", "--to", to, "--check"),
            ("-v", "secrets", "sync", "--from", to, "--to", "envfile:back.env"),
            ("-v", "secrets", "sync", "--from", ".env.local", "--to", f"vault:nomount-{path}/x"),
            ("-v", "secrets", "sync", "--from", ".env.local", "--to", f"{to}-other", "--prune"),
        ):
            outputs.append(run_stagecraft(*args))
        outputs.append(run_stagecraft("-v", "secrets", "sync", "--from", ".env.local", "--to",
                                      to, env={"VAULT_TOKEN": "hvs.canary-token-Wq3"}))
    assert [r.exit_code for r in outputs] == [0, 0, 0, 0, 2, 0, 2]
    shown = caplog.text + "".join(r.stdout + r.stderr for r in outputs)
    assert "CONTRACT_ALPHA" in shown  # keys are shown, so the scan looks at real output
    for value in canaries.values():
        assert value not in shown
    assert "canary-pem-body" not in shown
    assert bao.token not in shown
    assert "canary-token" not in shown


def test_what_the_store_prints_is_masked(run_stagecraft: RunStagecraft, project: Path,
                                         location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract's version patches store.write, which this store's session does not call."""
    from stagecraft_vault.store import VaultSession

    value = CANARY_VALUES["CONTRACT_ALPHA"]
    real_write = VaultSession.write

    def chatty(session: VaultSession, values: Mapping[str, str]) -> None:
        print(f"storing {values['API_KEY']}")
        logging.getLogger("stagecraft.vault.chatty").warning("value %s", value[:20])
        real_write(session, values)

    monkeypatch.setattr(VaultSession, "write", chatty)
    result = sync(run_stagecraft, "--from", ".env.local", "--to", f"vault:{location}", "--json")
    assert result.exit_code == 0, result.stderr
    assert "storing " in result.stdout + result.stderr  # it did print, masked
    assert value not in result.stdout + result.stderr
    assert value[:20] not in result.stdout + result.stderr


@pytest.mark.parametrize("extra", [(), ("--json",), ("-v",)])
def test_the_password_in_the_address_is_never_shown(
    run_stagecraft: RunStagecraft, project: Path, monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
) -> None:
    """The userinfo of VAULT_ADDR leaves every message; a library quoting the URL is masked."""
    monkeypatch.setenv("VAULT_ADDR", "http://ci:Hunter2Pass99@127.0.0.1:9")
    args = ("-v", "secrets", "sync") if extra == ("-v",) else ("secrets", "sync", *extra)
    result = run_stagecraft(*args, "--from", ".env.local", "--to", "vault:secret/x")
    assert result.exit_code == 2, result.stderr
    assert "cannot reach http://127.0.0.1:9 " in result.stderr
    shown = result.stdout + result.stderr
    assert "Hunter2Pass99" not in shown
    assert "ci:" not in shown
    if extra == ("--json",):
        assert "cannot reach http://127.0.0.1:9 " in json.loads(result.stdout)["error"]["message"]
