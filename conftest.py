"""Run every test suite in a known environment, whatever machine runs it.

CI services export variables such as ``CI=true``, and a developer's shell may
carry ``STAGECRAFT_*`` plugin settings. Tests (and the commands they start as
subprocesses, which inherit ``os.environ``) must not see either: a documented
example that behaves differently "outside CI" would otherwise pass on a laptop
and fail on the CI machine. Tests that want such a variable set it themselves.

The entry-point cache (``stagecraft.discovery``) goes to a directory of the
run's own instead of the user's ``~/.cache``, and stays on: every test that
installs or removes a plugin then also checks that the cache noticed.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_AMBIENT = ("CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "BUILD_NUMBER")
_CACHE_DIR = "STAGECRAFT_CACHE_DIR"


def pytest_configure(config: pytest.Config) -> None:
    for name in list(os.environ):
        if name in _AMBIENT or name.startswith("STAGECRAFT_"):
            del os.environ[name]
    os.environ[_CACHE_DIR] = tempfile.mkdtemp(prefix="stagecraft-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop(_CACHE_DIR, ""), ignore_errors=True)
