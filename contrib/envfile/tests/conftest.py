"""Fixtures for the envfile provider's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagecraft.providers.secrets import Context
from stagecraft_envfile import EnvfileProvider, EnvfileStore

#: The store these tests drive (the plugin builds its own in the hook).
PROVIDER = EnvfileStore()


@pytest.fixture
def provider() -> EnvfileProvider:
    return PROVIDER


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context(cwd=tmp_path)
