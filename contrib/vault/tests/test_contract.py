"""Stagecraft's provider contract, run against the vault store and the real server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from vault_helpers import kv_get

from stagecraft.errors import ProviderError
from stagecraft.providers.secrets import Context
from stagecraft.store import SecretStore
from stagecraft.testing import ProviderContract, StoreContract, write_env_file
from stagecraft_vault.devserver import DevServer
from stagecraft_vault.store import VaultSession, VaultStore


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

    @contextlib.contextmanager
    def failing(
        self, store: SecretStore, location: str, tmp_path: Path, key: str, message: str,
        *, cancel: Context | None = None,
    ) -> Iterator[None]:
        """As the contract's, at the write the vault store makes: its session's.

        The session holds the version the plan read (for check-and-set), so the
        engine's batch write goes to :meth:`VaultSession.write`, not to the store's.
        """
        real_write = VaultSession.write
        written: list[list[str]] = []

        def patched(session: VaultSession, values: Mapping[str, str]) -> None:
            keys = list(values)
            if cancel is not None:
                if written:
                    cancel.cancel()
                written.append(keys)
            elif key in keys:
                raise ProviderError(message)
            real_write(session, values)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(VaultSession, "write", patched)
            yield
