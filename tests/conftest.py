"""Shared fixtures for the core tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def cli_helpers() -> ModuleType:
    """The ``tests/cli_helpers.py`` module (canaries, plugin sources, ``Project``)."""
    import cli_helpers as module  # tests/cli_helpers.py (tests/ is on pythonpath)

    return module


@pytest.fixture
def project(tmp_path: Path, cli_helpers: ModuleType) -> object:
    """A temporary project with the ``copyjson`` local plugin and a canary source file."""
    return cli_helpers.Project(tmp_path / "project")
