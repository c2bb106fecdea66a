"""Whether the command colours a stream, and the few colours it uses.

``--color auto`` (the default) colours a stream only when it is a terminal,
so pipes, files and CI logs get exactly the plain text they always got.
The usual conventions adjust ``auto``: a non-empty ``NO_COLOR``
(no-color.org) turns it off, a non-empty ``FORCE_COLOR`` turns it on,
``TERM=dumb`` turns it off; ``NO_COLOR`` wins over ``FORCE_COLOR``, as in
CPython's own colouring.  ``--color always`` / ``never`` override all of them.

Seven ANSI SGR codes are all it takes, so no colour library is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

__all__ = ["MODES", "Palette", "wants_colour"]

MODES = ("auto", "always", "never")

_CODES = {
    "green": "32",
    "yellow": "33",
    "red": "31",
    "dim": "2",
    "bold": "1",
}
_RESET = "\x1b[0m"


def wants_colour(mode: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour ``stream`` under ``--color mode``."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed, or not a real stream
        return False


class Palette:
    """Paints text for one stream; a disabled palette returns the text unchanged."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, colour: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{_CODES[colour]}m{text}{_RESET}"
