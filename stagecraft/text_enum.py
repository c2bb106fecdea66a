"""An enumeration whose members are their text, for values users read and JSON carries."""

from __future__ import annotations

import enum


class TextEnum(str, enum.Enum):
    """Members are strings equal to their value, and print as it.

    ``str()`` of a plain ``str, Enum`` member is ``Action.ADDED``, and what
    ``format()`` gives changed in Python 3.12; a report shows ``added`` on
    every version.
    """

    def __str__(self) -> str:
        return str(self.value)
