"""An enum whose members are their text: compared with, printed and serialised as strings."""

from __future__ import annotations

import enum


class TextEnum(str, enum.Enum):
    """Members equal their value and print as it (``str(Action.ADDED) == "added"``).

    ``enum.StrEnum`` does the same from Python 3.11; Stagecraft supports 3.10.
    """

    def __str__(self) -> str:
        return str(self.value)
