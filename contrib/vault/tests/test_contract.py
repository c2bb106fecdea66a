"""Stagecraft's provider contract, run against the vault store and the real server."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest
from vault_helpers import kv_get

from stagecraft.testing import ProviderContract, StoreContract, write_env_file
from stagecraft.testing.servers.openbao import DevServer
from stagecraft_vault.store import VaultStore


class TestVaultContract(ProviderContract):
    """Env file in, one KV v2 secret out; the target is a fresh path per test."""

    server: DevServer

    @pytest.fixture(autouse=True)
    def _server(self, vault_env: DevServer) -> None:
        self.server = vault_env

    def make_provider(self) -> VaultStore:
        return VaultStore()

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        return str(write_env_file(tmp_path / "source.env", values))

    def make_target(self, tmp_path: Path) -> str:
        return f"secret/contract-{uuid.uuid4().hex[:12]}"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        fields, _version = kv_get(self.server, target.removeprefix("secret/"))
        return {key: str(value) for key, value in fields.items()}


class TestVaultStoreContract(StoreContract):
    """The store contract through the real engine; a fresh secret per test."""

    @pytest.fixture(autouse=True)
    def _server(self, vault_env: DevServer) -> None:
        return None

    def make_store(self) -> VaultStore:
        return VaultStore()

    def make_location(self, tmp_path: Path) -> str:
        return f"secret/store-contract-{uuid.uuid4().hex[:12]}"
