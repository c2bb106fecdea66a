"""Shared fixtures for the core tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_cli_helpers() -> ModuleType:
    # tests/ is not a package and pytest uses --import-mode=importlib: load by path.
    name = "stagecraft_tests_cli_helpers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("cli_helpers.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cli_helpers() -> ModuleType:
    """The ``tests/cli_helpers.py`` module (canaries, plugin sources, ``Project``)."""
    return _load_cli_helpers()


@pytest.fixture
def project(tmp_path: Path, cli_helpers: ModuleType) -> object:
    """A temporary project with the ``copyjson`` local plugin and a canary source file."""
    return cli_helpers.Project(tmp_path / "project")
