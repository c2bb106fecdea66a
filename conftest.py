"""Run every test suite in a known environment, whatever machine runs it.

CI services export variables such as ``CI=true``, and a developer's shell may
carry ``STAGECRAFT_*`` plugin settings. Tests (and the commands they start as
subprocesses, which inherit ``os.environ``) must not see either: a documented
example that behaves differently "outside CI" would otherwise pass on a laptop
and fail on the CI machine. Tests that want such a variable set it themselves.
"""

from __future__ import annotations

import os

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
