"""``stagecraft secrets sync`` into and out of the AWS stores, against moto.

Every command runs in-process through :class:`stagecraft.testing.fixtures.RunStagecraft`
with boto3's standard environment pointed at the fault proxy in front of
moto, so the proxy counts each request the command makes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_fault_proxy import every
from moto_server import SECRET_ACCESS_KEY, SESSION_TOKEN

from stagecraft import dotenv
from stagecraft.testing import CANARY_VALUES, TRICKY_VALUES, write_env_file
from stagecraft.testing.fixtures import RunResult, RunStagecraft

NON_EMPTY_TRICKY = {key: value for key, value in TRICKY_VALUES.items() if value}


@pytest.fixture
def run(tmp_path: Path) -> RunStagecraft:
    return RunStagecraft(tmp_path)


def actions(result: RunResult) -> dict[str, str]:
    assert result.exit_code == 0, result.stderr
    return {change["key"]: change["action"] for change in json.loads(result.stdout)["changes"]}


def sync(run: RunStagecraft, *args: str) -> RunResult:
    return run("secrets", "sync", *args)


def parameters(ssm: Any, path: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=path, WithDecryption=True)
    for page in pages:
        found.update({p["Name"][len(path):]: p for p in page["Parameters"]})
    return found


def writes(proxy: Any, operation: str) -> int:
    """Calls of ``operation``, less the retries of moto's own 5xx answers (see aws_fault_proxy)."""
    retried = sum(n for (op, _), n in proxy.faults.upstream_failures.items() if op == operation)
    return int(proxy.faults.calls[operation]) - retried


def secret_versions(sm: Any, name: str) -> int:
    return len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"])


# ------------------------------------------------------------------ Parameter Store


def test_parameter_store_plan_write_no_op_and_read_back(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str, ssm: Any
) -> None:
    write_env_file(tmp_path / ".env", NON_EMPTY_TRICKY)
    target = f"aws-ssm:/{prefix}/prod/"
    everything = dict.fromkeys(NON_EMPTY_TRICKY, "added")

    planned = sync(run, "--from", ".env", "--to", target, "--dry-run", "--json")
    assert actions(planned) == everything
    assert json.loads(planned.stdout)["dry_run"] is True
    assert parameters(ssm, f"/{prefix}/prod/") == {}
    assert sync(run, "--from", ".env", "--to", target, "--check").exit_code == 4
    assert proxy.faults.calls["PutParameter"] == 0

    assert actions(sync(run, "--from", ".env", "--to", target, "--json")) == everything
    assert writes(proxy, "PutParameter") == len(NON_EMPTY_TRICKY)
    stored = parameters(ssm, f"/{prefix}/prod/")
    assert {key: p["Value"] for key, p in stored.items()} == NON_EMPTY_TRICKY
    assert {p["Type"] for p in stored.values()} == {"SecureString"}

    proxy.faults.reset()
    again = sync(run, "--from", ".env", "--to", target, "--json")
    assert actions(again) == dict.fromkeys(NON_EMPTY_TRICKY, "unchanged")
    assert dict(proxy.faults.calls) == {"GetParametersByPath": 2}  # 14 keys, 10 a page
    assert sync(run, "--from", ".env", "--to", target, "--check").exit_code == 0
    assert {p["Version"] for p in parameters(ssm, f"/{prefix}/prod/").values()} == {1}

    # Every tricky value is an env file value only for docker compose's reader.
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n  providers:\n    envfile:\n      readers: [docker-compose]\n",
        encoding="utf-8")
    back = sync(run, "--from", target, "--to", "envfile:back.env", "--json")
    assert actions(back) == everything
    assert dotenv.load(tmp_path / "back.env").values() == NON_EMPTY_TRICKY


def test_parameter_store_updates_only_what_changed_and_prunes(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str, ssm: Any
) -> None:
    target = f"aws-ssm:/{prefix}/app/"
    write_env_file(tmp_path / ".env", {"A": "1", "B": "2", "C": "3"})
    sync(run, "--from", ".env", "--to", target)
    write_env_file(tmp_path / ".env", {"A": "1", "B": "two", "D": "4"})
    proxy.faults.reset()
    result = sync(run, "--from", ".env", "--to", target, "--prune", "--json")
    assert actions(result) == {"A": "unchanged", "B": "updated", "D": "added", "C": "removed"}
    assert writes(proxy, "PutParameter") == 2
    assert proxy.faults.calls["DeleteParameters"] == 1
    stored = parameters(ssm, f"/{prefix}/app/")
    assert {key: p["Value"] for key, p in stored.items()} == {"A": "1", "B": "two", "D": "4"}
    assert stored["A"]["Version"] == 1
    assert stored["B"]["Version"] == 2


def test_parameter_store_with_more_than_a_hundred_keys(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str
) -> None:
    values = {f"KEY_{i:03d}": f"value {i}" for i in range(125)}
    write_env_file(tmp_path / ".env", values)
    target = f"aws-ssm:/{prefix}/big/"
    assert set(actions(sync(run, "--from", ".env", "--to", target, "--json")).values()) == {
        "added"}
    proxy.faults.reset()
    back = sync(run, "--from", target, "--to", "envfile:back.env", "--json")
    assert len(actions(back)) == 125
    assert proxy.faults.calls["GetParametersByPath"] == 13  # 10 a page
    assert dotenv.load(tmp_path / "back.env").values() == values
    proxy.faults.reset()
    assert set(actions(sync(run, "--from", ".env", "--to", target, "--json")).values()) == {
        "unchanged"}
    assert proxy.faults.total() == 13


def test_config_sets_the_concurrency(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str
) -> None:
    proxy.faults.reset(latency=0.05)
    write_env_file(tmp_path / ".env", {f"K{i}": f"v{i}" for i in range(8)})
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n  providers:\n    aws-ssm:\n      concurrency: 1\n", encoding="utf-8")
    assert sync(run, "--from", ".env", "--to", f"aws-ssm:/{prefix}/one/").exit_code == 0
    assert proxy.faults.max_in_flight == 1
    (tmp_path / "stagecraft.yml").unlink()
    proxy.faults.reset(latency=0.05)
    assert sync(run, "--from", ".env", "--to", f"aws-ssm:/{prefix}/three/").exit_code == 0
    assert 1 < proxy.faults.max_in_flight <= 3  # the store's default


def test_values_the_store_cannot_hold_are_refused_before_any_write(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str, ssm: Any
) -> None:
    write_env_file(tmp_path / ".env", {"OK": "fine", "EMPTY": "", "HUGE": "x" * 5000})
    result = sync(run, "--from", ".env", "--to", f"aws-ssm:/{prefix}/app/")
    assert result.exit_code == 1
    assert "EMPTY: Parameter Store cannot hold an empty value" in result.stderr
    assert "HUGE: longer than Parameter Store's 4096 bytes" in result.stderr
    assert "xxxxx" not in result.stderr
    assert proxy.faults.calls["PutParameter"] == 0
    assert parameters(ssm, f"/{prefix}/app/") == {}


# ------------------------------------------------------------------ Secrets Manager


def test_secret_per_key_no_op_writes_no_version(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str, sm: Any
) -> None:
    values = {"DATABASE_URL": "postgres://u:p@db/app", "API_TOKEN": "tok-123", **{
        key: NON_EMPTY_TRICKY[key] for key in ("TRICKY_PEM", "TRICKY_UNICODE")}}
    write_env_file(tmp_path / ".env", values)
    target = f"aws-sm:{prefix}/prod/"
    assert set(actions(sync(run, "--from", ".env", "--to", target, "--json")).values()) == {
        "added"}
    names = [f"{prefix}/prod/{key}" for key in values]
    before = {name: secret_versions(sm, name) for name in names}
    proxy.faults.reset()
    assert set(actions(sync(run, "--from", ".env", "--to", target, "--json")).values()) == {
        "unchanged"}
    assert dict(proxy.faults.calls) == {"ListSecrets": 1, "BatchGetSecretValue": 1}
    assert {name: secret_versions(sm, name) for name in names} == before

    write_env_file(tmp_path / ".env", {**values, "API_TOKEN": "tok-456"})
    changed = actions(sync(run, "--from", ".env", "--to", target, "--json"))
    assert [key for key, action in changed.items() if action != "unchanged"] == ["API_TOKEN"]
    assert secret_versions(sm, f"{prefix}/prod/API_TOKEN") == before[
        f"{prefix}/prod/API_TOKEN"] + 1
    back = sync(run, "--from", target, "--to", "envfile:back.env")
    assert back.exit_code == 0, back.stderr
    assert dotenv.load(tmp_path / "back.env").values() == {**values, "API_TOKEN": "tok-456"}


def test_secret_per_key_prune_keeps_the_recovery_window_unless_forced(
    aws_env: object, run: RunStagecraft, tmp_path: Path, prefix: str, sm: Any
) -> None:
    target = f"aws-sm:{prefix}/prod/"
    write_env_file(tmp_path / ".env", {"A": "1", "B": "2", "C": "3"})
    sync(run, "--from", ".env", "--to", target)
    write_env_file(tmp_path / ".env", {"A": "1"})
    result = sync(run, "--from", ".env", "--to", target, "--prune", "--exclude", "C", "--json")
    assert actions(result) == {"A": "unchanged", "B": "removed"}
    assert "DeletedDate" in sm.describe_secret(SecretId=f"{prefix}/prod/B")
    assert "DeletedDate" not in sm.describe_secret(SecretId=f"{prefix}/prod/C")
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n  providers:\n    aws-sm:\n      force_delete: true\n", encoding="utf-8")
    assert actions(sync(run, "--from", ".env", "--to", target, "--prune", "--json")) == {
        "A": "unchanged", "C": "removed"}
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.describe_secret(SecretId=f"{prefix}/prod/C")


def test_json_secret_keeps_unselected_keys(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str, sm: Any
) -> None:
    name = f"{prefix}/prod"
    sm.create_secret(Name=name, SecretString=json.dumps(
        {"OTHER": "kept", "APP_OLD": "gone soon", "APP_A": "old"}))
    write_env_file(tmp_path / ".env", {"APP_A": "new", "APP_B": "b", "UNRELATED": "u"})
    proxy.faults.reset()
    result = sync(run, "--from", ".env", "--to", f"aws-sm:{name}", "--prune", "APP_*", "--json")
    assert actions(result) == {"APP_A": "updated", "APP_B": "added", "APP_OLD": "removed"}
    stored = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert stored == {"OTHER": "kept", "APP_A": "new", "APP_B": "b"}
    assert proxy.faults.calls["PutSecretValue"] == 2  # the writes, then the prune
    versions = secret_versions(sm, name)
    proxy.faults.reset()
    again = sync(run, "--from", ".env", "--to", f"aws-sm:{name}", "--prune", "APP_*", "--json")
    assert set(actions(again).values()) == {"unchanged"}
    assert dict(proxy.faults.calls) == {"GetSecretValue": 1}
    assert secret_versions(sm, name) == versions


@pytest.mark.parametrize("mode", [(), ("--dry-run",), ("--json",)])
def test_a_json_secret_over_64_kib_is_one_refusal_before_any_write(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str, sm: Any,
    mode: tuple[str, ...],
) -> None:
    """The same kind of refusal as vault's too many fields: exit 1, one message, nothing sent."""
    name = f"{prefix}/big"
    sm.create_secret(Name=name, SecretString=json.dumps({"OLD": "kept"}))
    write_env_file(tmp_path / ".env", {f"K{i:04d}": "v" * 40 for i in range(2000)})
    proxy.faults.reset()
    result = sync(run, "--from", ".env", "--to", f"aws-sm:{name}", *mode)
    assert result.exit_code == 1, result.stderr[:2000]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr[:2000]
    assert f"aws-sm:{name}: refusing the write, nothing was written: the JSON object" in errors[0]
    assert "more than Secrets Manager's 65536" in errors[0]
    assert len(result.stderr) < 1000
    assert proxy.faults.calls["PutSecretValue"] == 0
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == {"OLD": "kept"}


def test_from_secrets_manager_to_parameter_store(
    aws_env: object, run: RunStagecraft, tmp_path: Path, prefix: str, sm: Any, ssm: Any
) -> None:
    for key, value in NON_EMPTY_TRICKY.items():
        sm.create_secret(Name=f"{prefix}/src/{key}", SecretString=value)
    result = sync(run, "--from", f"aws-sm:{prefix}/src/", "--to", f"aws-ssm:/{prefix}/dst/",
                  "--json")
    assert set(actions(result)) == set(NON_EMPTY_TRICKY)
    stored = parameters(ssm, f"/{prefix}/dst/")
    assert {key: p["Value"] for key, p in stored.items()} == NON_EMPTY_TRICKY


# ------------------------------------------------------------------ errors and leaks


def test_access_denied_is_one_line_naming_store_and_location(
    proxy: Any, run: RunStagecraft, tmp_path: Path
) -> None:
    proxy.faults.reset(every({"GetParametersByPath": ("deny",)}))
    write_env_file(tmp_path / ".env", {"A": "1"})
    result = sync(run, "--from", ".env", "--to", "aws-ssm:/app/prod/")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if "aws-ssm:/app/prod/" in line]
    assert len(lines) == 1
    assert "access denied (AccessDeniedException on GetParametersByPath)" in lines[0]
    assert "Traceback" not in result.stderr


def test_no_credentials_through_the_command(run: RunStagecraft, tmp_path: Path,
                                            aws_env: object) -> None:
    write_env_file(tmp_path / ".env", {"A": "1"})
    result = run("secrets", "sync", "--from", ".env", "--to", "aws-sm:app/prod/", env={
        "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None})
    assert result.exit_code == 2
    assert "aws-sm:app/prod/: no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_output_shows_a_value_or_the_credentials(
    proxy: Any, run: RunStagecraft, tmp_path: Path, prefix: str
) -> None:
    write_env_file(tmp_path / ".env", CANARY_VALUES)
    outputs: list[RunResult] = []
    for target in (f"aws-ssm:/{prefix}/p/", f"aws-sm:{prefix}/s/", f"aws-sm:{prefix}/j"):
        for extra in (["--dry-run"], ["--check"], ["--json"], ["-v"], ["--json", "--prune"]):
            args = ["-v", "secrets", "sync", *extra[1:]] if extra == ["-v"] else [
                "secrets", "sync", *extra]
            outputs.append(run(*args, "--from", ".env", "--to", target))
        outputs.append(run("-v", "secrets", "sync", "--from", target, "--to", "envfile:b.env"))
    # Failures too: a partial sync and a refused read.
    write_env_file(tmp_path / ".env", {key: value + "-2" for key, value in CANARY_VALUES.items()})
    proxy.faults.reset(every({"PutParameter": ("pass", "deny")}))
    outputs.append(run("-v", "secrets", "sync", "--from", ".env", "--to", f"aws-ssm:/{prefix}/p/"))
    proxy.faults.reset(every({"BatchGetSecretValue": ("kms",)}))
    outputs.append(run("-v", "secrets", "sync", "--from", f"aws-sm:{prefix}/s/", "--to",
                       "envfile:c.env"))
    assert {result.exit_code for result in outputs[-2:]} == {2}
    text = "\n".join(result.stdout + result.stderr for result in outputs)
    assert "CONTRACT_ALPHA" in text  # keys are shown
    for secret in [*CANARY_VALUES.values(), SECRET_ACCESS_KEY, SESSION_TOKEN]:
        assert secret not in text
        assert secret[:-6] not in text  # nor a recognisable part of one


def test_from_secrets_manager_into_vault(
    aws_env: object, run: RunStagecraft, tmp_path: Path, prefix: str, sm: Any,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """One store feeds another: Secrets Manager into a real OpenBao (Vault API) dev server."""
    from stagecraft.testing.servers.openbao import dev_server

    for key, value in NON_EMPTY_TRICKY.items():
        sm.create_secret(Name=f"{prefix}/app/{key}", SecretString=value)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.vault-token of the user's
    with dev_server() as bao:
        for name, value in bao.env().items():
            monkeypatch.setenv(name, value)
        result = sync(run, "--from", f"aws-sm:{prefix}/app/", "--to", f"vault:secret/{prefix}",
                      "--json")
        assert set(actions(result).values()) == {"added"}
        status, body = bao.request("GET", f"secret/data/{prefix}")
    assert status == 200
    data = body["data"]
    assert isinstance(data, dict)
    assert data["data"] == NON_EMPTY_TRICKY
