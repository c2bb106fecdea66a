"""Fixtures for the github store's tests: a local fake of GitHub's API per test.

``github`` serves a :class:`fake_github.FakeGitHub` on a free 127.0.0.1
port, holding the repository ``octo/app`` (environments ``production`` and
``team/staging``) and the organization ``octo``, and points the environment
at it (``GITHUB_API_URL``, ``GITHUB_TOKEN``; no ``GH_TOKEN``).  The write
record and its key go to the test's own directory.  Nothing reaches a network.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import TOKEN, FakeGitHub, serving

from stagecraft.providers.secrets import Context, Registry
from stagecraft_github.store import GitHubStore


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGitHub]:
    with serving() as fake:
        fake.add_repository("octo", "app", environments=("production", "team/staging"))
        fake.add_organization("octo")
        monkeypatch.delenv("GH_TOKEN", raising=False)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
        yield fake


@pytest.fixture
def store() -> GitHubStore:
    return GitHubStore()


@pytest.fixture
def ctx(tmp_path: Path, store: GitHubStore) -> Context:
    return Context(cwd=tmp_path, logger=logging.getLogger("stagecraft.test.github"),
                   registry=Registry([store]))
