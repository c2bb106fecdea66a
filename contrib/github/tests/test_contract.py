"""Stagecraft's store contract, run against the github store and the fake API."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from fake_github import FakeGitHub

from stagecraft.providers.secrets import Context
from stagecraft.store import SecretStore
from stagecraft.testing import StoreContract
from stagecraft_github.store import GitHubStore


class TestGitHubStoreContract(StoreContract):
    """Repository secrets of a fresh repository per test, read back decrypted by the fake."""

    fake: FakeGitHub

    @pytest.fixture(autouse=True)
    def _github(self, github: FakeGitHub) -> None:
        self.fake = github

    def make_store(self) -> GitHubStore:
        return GitHubStore()

    def make_location(self, tmp_path: Path) -> str:
        self.fake.add_repository("octo", "contract")
        return "octo/contract"

    def read_back(self, store: SecretStore, ctx: Context, location: str) -> Mapping[str, str]:
        return self.fake.stored(location)


class TestEnvironmentContract(TestGitHubStoreContract):
    """The same through an environment whose name holds a slash (URL-encoded on the wire)."""

    def make_location(self, tmp_path: Path) -> str:
        self.fake.add_repository("octo", "contract", environments=("team/prod",))
        return "octo/contract/environments/team/prod"
