"""Fixtures for the age store's tests: a project directory with a fresh key."""

from __future__ import annotations

from pathlib import Path

import pytest
from age_helpers import Project, new_identity_file


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    # No key of the developer's (SOPS_AGE_KEY_FILE, ~/.config/sops) can be found.
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    (tmp_path / "keys").mkdir()
    key_file = tmp_path / "keys" / "me.txt"
    return Project(tmp_path, key_file, new_identity_file(key_file))
