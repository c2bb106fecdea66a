"""The github store's section of ``stagecraft.yml``.

::

    secrets:
      providers:
        github:
          token: ""            # default: $GITHUB_TOKEN, then $GH_TOKEN (prefer those)
          api_url: ""          # default: $GITHUB_API_URL, then https://api.github.com
          visibility: private  # organization secrets: all, private or selected
          selected_repositories: [web, 123456]   # visibility selected: names or ids
          concurrency: 1       # writes in flight (GitHub asks for one at a time)
          min_interval: 0      # seconds between two writes, from the first one
          timeout: 30          # seconds per request (the sync's --timeout caps it)

This module imports only attrs: the registry builds with it.  The token and
the API base are looked up when a sync runs (:mod:`stagecraft_github.connection`).
"""

from __future__ import annotations

from typing import Any

import attrs

from stagecraft.config_fields import concurrency, non_negative_seconds, positive_seconds
from stagecraft.errors import InvalidConfigError

__all__ = ["DEFAULT_API_URL", "VISIBILITIES", "Config", "InvalidConfigError"]

DEFAULT_API_URL = "https://api.github.com"
VISIBILITIES = ("all", "private", "selected")


def _check_visibility(_instance: object, _attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in VISIBILITIES:
        raise InvalidConfigError(
            f"visibility must be one of {', '.join(VISIBILITIES)}, not {value!r}"
        )


def _check_repositories(
    _instance: object, _attribute: attrs.Attribute[Any], value: list[Any]
) -> None:
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or item in ("", 0):
            raise InvalidConfigError(
                f"selected_repositories holds repository names or ids, not {item!r}"
            )


@attrs.frozen
class Config:
    """Settings of the github store (all optional; the environment fills the gaps)."""

    token: str = attrs.field(default="", repr=False)
    api_url: str = ""
    visibility: str = attrs.field(default="private", validator=_check_visibility)
    #: Names (``app``, ``octo/app``) or ids; ``Any`` because YAML gives either, and the
    #: validator admits only those two.
    selected_repositories: list[Any] = attrs.field(factory=list, validator=_check_repositories)
    concurrency: int = attrs.field(default=1, validator=concurrency)
    min_interval: float = attrs.field(default=0.0, validator=non_negative_seconds)
    timeout: float = attrs.field(default=30.0, validator=positive_seconds)
