"""What every part of the env-file code agrees on: a key, and where a line ends."""

from __future__ import annotations

import re

KEY = r"[A-Za-z0-9_.-]+"
_KEY_RE = re.compile(KEY)
EOL = re.compile(r"\r\n|\r|\n")
RAW_BREAK = re.compile(r"\r\n?")


def is_valid_key(key: str) -> bool:
    """True when ``key`` is a key this parser accepts."""
    return _KEY_RE.fullmatch(key) is not None


def count_breaks(text: str) -> int:
    """The line breaks in ``text``: a CRLF, a lone CR and an LF each count once."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")
