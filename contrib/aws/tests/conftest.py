"""A real moto server for the AWS stores' tests, and boto3 pointed at it.

``moto_server`` (the PyPI package ``moto[server]``, a test dependency) runs
once per test session on a free port of 127.0.0.1 and is stopped by its
process id at the end, whatever happened.  Each test gets the standard
environment a user would have (``AWS_ENDPOINT_URL``, credentials, region),
dummy credentials whose secret parts are canaries that must never be
printed, no ``~/.aws`` files, and a fresh name prefix of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto_server import MotoServer, aws_environment

from stagecraft.providers.secrets import Context


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_env(moto: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """boto3's standard chain pointed at moto, for this test."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    env = aws_environment(moto.url, tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def prefix() -> str:
    """A name no other test uses: every test works under its own prefix."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sm(moto: MotoServer, aws_env: dict[str, str]) -> Any:
    """A plain boto3 Secrets Manager client on moto itself, to check what the stores did."""
    import boto3

    return boto3.client("secretsmanager", endpoint_url=moto.url)


@pytest.fixture
def ssm(moto: MotoServer, aws_env: dict[str, str]) -> Any:
    import boto3

    return boto3.client("ssm", endpoint_url=moto.url)


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context(cwd=tmp_path)


@pytest.fixture
def proxy(
    moto: MotoServer, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A :class:`aws_fault_proxy.FaultProxy` in front of moto, and boto3 pointed at it."""
    from aws_fault_proxy import FaultProxy

    with FaultProxy(("127.0.0.1", moto.port)) as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
        yield running
