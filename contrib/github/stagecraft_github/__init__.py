"""Stagecraft's ``github`` store: GitHub Actions secrets (write-only).

The ``stagecraft-github`` distribution: the hook builds its store; PyNaCl is
imported only when a value is written.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_github.store import GitHubStore

__all__ = ["GitHubStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> GitHubStore:
    """Contribute the ``github`` store."""
    return GitHubStore()
