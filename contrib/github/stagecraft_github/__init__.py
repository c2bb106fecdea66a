"""Stagecraft's ``github`` store: GitHub Actions secrets (write-only).

Installed as the ``stagecraft-github`` distribution, found through the
``stagecraft`` entry point ``github``.  Importing this module is cheap: the
store class and its config come when the registry is built, the HTTP client
when a sync runs, and PyNaCl only when a value is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.hookspecs import hookimpl

if TYPE_CHECKING:
    from stagecraft_github.store import GitHubStore

__all__ = ["secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> GitHubStore:
    """Contribute the ``github`` store."""
    from stagecraft_github.store import GitHubStore

    return GitHubStore()
