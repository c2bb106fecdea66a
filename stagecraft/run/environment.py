"""The environment COMMAND sees: the inherited one with the selected secrets on top.

A secret wins over an inherited variable of the same name: ``stagecraft run
--env dev`` must give the app dev's ``DATABASE_URL`` even when the shell
exported another one, or the user would test against the wrong database
without noticing.
"""

from __future__ import annotations

from collections.abc import Mapping


def child_environment(secrets: Mapping[str, str], inherited: Mapping[str, str]) -> dict[str, str]:
    """A new mapping: ``inherited`` updated with ``secrets`` (neither is changed)."""
    environment = dict(inherited)
    environment.update(secrets)
    return environment
