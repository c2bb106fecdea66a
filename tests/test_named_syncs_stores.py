"""Named syncs across real stores at once: an env file, OpenBao (vault) and moto (aws-sm).

One manifest spans the three; the syncs run concurrently in one command, and what
each wrote is read back from the store itself (the server's HTTP API, boto3,
python-dotenv).  With the moto server stopped, the sync into it fails (exit 2)
while the others succeed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from moto_server import page_environment

from stagecraft.errors import EXIT_OK, EXIT_PROVIDER_ERROR
from stagecraft.testing.servers.moto import MotoServer
from stagecraft.testing.servers.openbao import DevServer, dev_server
from tests.inprocess import isolate, run_command

SECRET = "stores-canary-5Hd"


@pytest.fixture(scope="module")
def bao() -> Iterator[DevServer]:
    with dev_server() as server:
        yield server


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A moto server, and the variables that point boto3 at it."""
    with page_environment(tmp_path_factory.mktemp("moto")) as env:
        yield env


def manifest(name: str) -> str:
    return f"""\
secrets:
  environments:
    dev: envfile:.env.dev
    staging: vault:secret/{name}/staging
    prod: aws-sm:{name}/prod/
    local: envfile:.env.local
  keys:
    DATABASE_URL: {{required: true}}
    STRIPE_KEY: {{required: [staging, prod]}}
  syncs:
    to-staging:
      from: dev
      to: staging
    to-prod:
      from: dev
      to: prod
    staging-to-local:
      from: staging
      to: local
"""


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bao: DevServer, aws: dict[str, str]
) -> tuple[Path, str]:
    isolate(monkeypatch, tmp_path / "state", ("STAGECRAFT_", "VAULT_", "BAO_", "AWS_"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for key, value in {**bao.env(), **aws}.items():
        monkeypatch.setenv(key, value)
    name = f"t{uuid.uuid4().hex[:10]}"
    (tmp_path / "stagecraft.yml").write_text(manifest(name), encoding="utf-8")
    (tmp_path / ".env.dev").write_text(
        f"DATABASE_URL=postgres://{SECRET}\nSTRIPE_KEY=sk-{SECRET}\nLOCAL_ONLY=1\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path, name


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_command(capsys, *argv, never_shown=SECRET)


def vault_values(bao: DevServer, path: str) -> dict[str, Any]:
    status, body = bao.request("GET", f"secret/data/{path}")
    assert status == 200, body
    data: dict[str, Any] = body["data"]["data"]
    return data


def aws_values(prefix: str) -> dict[str, str]:
    import boto3

    client = boto3.client("secretsmanager")
    return {key: client.get_secret_value(SecretId=f"{prefix}{key}")["SecretString"]
            for key in ("DATABASE_URL", "STRIPE_KEY")}


def test_named_syncs_across_three_stores(
    project: tuple[Path, str], bao: DevServer, capsys: pytest.CaptureFixture[str],
) -> None:
    root, name = project
    code, out, err = run(capsys, "secrets", "sync", "--json")
    assert code == EXIT_OK, err
    report = {sync["name"]: sync for sync in json.loads(out)["syncs"]}
    assert {sync: report[sync]["provider"] for sync in report} == {
        "to-staging": "vault", "to-prod": "aws-sm", "staging-to-local": "envfile"}
    expected = {"DATABASE_URL": f"postgres://{SECRET}", "STRIPE_KEY": f"sk-{SECRET}"}
    assert vault_values(bao, f"{name}/staging") == expected  # declared keys only
    assert aws_values(f"{name}/prod/") == expected
    # staging-to-local read staging after to-staging wrote it
    assert dotenv_values(root / ".env.local") == expected
    code, _, err = run(capsys, "secrets", "sync", "--check")
    assert code == EXIT_OK, err


def test_a_stopped_server_fails_its_sync_and_no_other(
    project: tuple[Path, str], bao: DevServer, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    root, name = project
    stopped = MotoServer(tmp_path_factory.mktemp("stopped") / "moto.log")
    try:
        stopped.wait_ready()  # a port moto really answered on, then nothing there
    finally:
        stopped.stop()  # by its process id, even when it never became ready
    monkeypatch.setenv("AWS_ENDPOINT_URL", stopped.url)
    code, out, err = run(capsys, "secrets", "sync", "--json")
    assert code == EXIT_PROVIDER_ERROR, err
    report = {sync["name"]: sync for sync in json.loads(out)["syncs"]}
    assert report["to-prod"]["error"]["exit_code"] == EXIT_PROVIDER_ERROR
    assert report["to-prod"]["provider"] == "aws-sm"
    assert report["to-prod"]["target"] == f"{name}/prod/"
    assert report["to-prod"]["error"]["message"].startswith(
        f"aws-sm:{name}/prod/: cannot reach the AWS endpoint")
    assert "error" not in report["to-staging"]
    assert "error" not in report["staging-to-local"]
    expected = {"DATABASE_URL": f"postgres://{SECRET}", "STRIPE_KEY": f"sk-{SECRET}"}
    assert vault_values(bao, f"{name}/staging") == expected
    assert dotenv_values(root / ".env.local") == expected
    assert err.splitlines()[-1] == "stagecraft: 3 named sync(s): 2 ok, 1 failed"
    assert "stagecraft: error: to-prod: " in err
