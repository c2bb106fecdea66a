"""Stagecraft's ``github`` store: GitHub Actions secrets (write-only).

Installed as the ``stagecraft-github`` distribution, found through its ``stagecraft``
entry point.  Like every Stagecraft distribution, it registers by building
its store in the hook; PyNaCl is imported only when a value is written.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_github.store import GitHubStore

__version__ = "0.1.0"

__all__ = ["GitHubStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> GitHubStore:
    """Contribute the ``github`` store."""
    return GitHubStore()
