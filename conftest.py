"""Run every test suite in a known environment, whatever machine runs it.

CI services export variables such as ``CI=true``, and a developer's shell may
carry ``STAGECRAFT_*`` plugin settings. Tests (and the commands they start as
subprocesses, which inherit ``os.environ``) must not see either: a documented
example that behaves differently "outside CI" would otherwise pass on a laptop
and fail on the CI machine. Tests that want such a variable set it themselves.

Every sync records fingerprints of what it left in its target (the write
record, in the XDG state directory): each test gets XDG directories of its
own, so no test reads another's record, and none writes to the user's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_AMBIENT = (
    "CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "BUILD_NUMBER", "FORCE_COLOR", "NO_COLOR",
    # A real GitHub token or API base (Actions sets them) must never reach a test.
    "GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL",
)


def pytest_configure(config: pytest.Config) -> None:
    for name in list(os.environ):
        if name in _AMBIENT or name.startswith("STAGECRAFT_"):
            del os.environ[name]


@pytest.fixture(autouse=True)
def _private_xdg(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """``XDG_STATE_HOME`` and ``XDG_CONFIG_HOME`` of this test alone (the write record)."""
    base = Path(tmp_path_factory.mktemp("xdg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
