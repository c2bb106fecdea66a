"""What is wrong with ``stagecraft.yml``, one located problem per line of the error."""

from __future__ import annotations

import attrs

from stagecraft.config.marks import Mark


@attrs.frozen
class Problem:
    """One thing wrong with the config file, with where it is."""

    mark: Mark
    path: str
    message: str


