"""A real moto server for the AWS stores' tests, and boto3 pointed at it.

``moto_server`` (the PyPI package ``moto[server]``, a test dependency) runs
once per test session on a free port of 127.0.0.1 and is stopped by its
process id at the end, whatever happened.  Each test gets the standard
environment a user would have (``AWS_ENDPOINT_URL``, credentials, region),
dummy credentials whose secret parts are canaries that must never be
printed, no ``~/.aws`` files, and a fresh name prefix of its own.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stagecraft.providers.secrets import Context

#: Dummy credentials; the secret parts are canaries that no output may contain.
ACCESS_KEY_ID = "AKIATESTSTAGECRAFT01"
SECRET_ACCESS_KEY = "canary-secret-access-key-4Rt9-do-not-leak"
SESSION_TOKEN = "canary-session-token-8Yp2-do-not-leak"
REGION = "eu-west-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_binary() -> str:
    found = Path(sys.executable).with_name("moto_server")
    if found.exists():
        return str(found)
    on_path = shutil.which("moto_server")
    if on_path is None:
        raise RuntimeError("moto_server is not installed: `make install` adds moto[server]")
    return on_path


class MotoServer:
    """A running ``moto_server``: its URL and process."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [moto_binary(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"moto_server did not listen on port {self.port} in {timeout} s")

    def stop(self) -> None:
        """Stop the server by its process id (terminate, then kill)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def aws_environment(endpoint: str, home: Path) -> dict[str, str]:
    """The variables a user of the stores would set, pointing at ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "AWS_DEFAULT_REGION": REGION,
        # Keep the user's ~/.aws (and any instance metadata lookup) out of it.
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


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
    """A :class:`fault_proxy.FaultProxy` in front of moto, and boto3 pointed at it."""
    from fault_proxy import FaultProxy

    with FaultProxy(("127.0.0.1", moto.port)) as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
        yield running
