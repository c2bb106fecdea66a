"""The fast path: one regex scan reads a file made only of simple lines.

Most env files are: a blank line, a comment, or ``KEY=VALUE`` with a plain or
quoted value without backslashes.  For those, one scan running in C reads every
value and finds every line a key is assigned on; anything else goes to the full
parser (:mod:`stagecraft.dotenv.full_parse`), which reads it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from stagecraft.dotenv.full_parse import Span, parse_full
from stagecraft.dotenv.grammar import KEY, RAW_BREAK

# Fast path: one regex scan, running in C, reads each item of a file made only
# of simple items; the items following each other line by line proves that the
# file holds nothing else (otherwise the full parser runs).  A simple item is a
# blank line, a comment, or KEY=VALUE where VALUE is empty, plain without any
# '#', or quoted without backslashes (a quoted value may span lines), optionally
# followed by whitespace and a comment (an empty value never is: ``KEY= #x`` reads
# as ``#x``).  Every simple item reads the same under the full rules.  Blank lines
# and comments have no key group.
_ITEM = re.compile(
    rf"^[ \t]*(?:(?:export[ \t]+)?({KEY})[ \t]*=[ \t]*"
    r"""([^\s'"#](?:[^\r\n#]*[^\s#])?|"[^"\\]*"|'[^'\\]*'|(?![ \t]*#))"""
    r"(?:[ \t]+#[^\r\n]*)?|#[^\r\n]*)?[ \t]*\r?$",
    re.MULTILINE,
)


class _NotSimple(Exception):
    """The text holds a line the fast path does not read."""


def _simple_items(text: str) -> Iterator[re.Match[str]]:
    """The items of a text made only of simple items, in order.

    Raises :class:`_NotSimple` (possibly after yielding some items) at the
    first line that is not one: each item must start on the line after the
    previous one ended, and the last must end the text.
    """
    following = 0  # where the next item must start
    for item in _ITEM.finditer(text):
        if item.start() != following:
            raise _NotSimple
        following = item.end() + 1  # past the "\n" that ends the item's line
        yield item
    if following != len(text) + 1:
        raise _NotSimple


def parse_fast(text: str) -> dict[str, str] | None:
    """Values of a text made only of simple items, or None to use the full parser."""
    values: dict[str, str] = {}
    try:
        for item in _simple_items(text):
            key, written = item.groups()
            if key is None:
                continue  # a blank line or a comment
            if key in values:
                return None  # the full parser words the duplicate's warning
            if written[:1] in ("'", '"'):
                written = written[1:-1]
                if "\r" in written:
                    written = RAW_BREAK.sub("\n", written)
            values[key] = written
    except _NotSimple:
        return None
    return values


def locate(text: str, path: str, keys: AbstractSet[str]) -> dict[str, list[Span]]:
    """Every assignment of each of ``keys`` in ``text``, in order: one scan, no values kept."""
    spans: dict[str, list[Span]] = {}
    try:
        for item in _simple_items(text):
            key = item.group(1)
            if key in keys:
                end = min(item.end() + 1, len(text))
                spans.setdefault(key, []).append((item.start(), item.start(2), item.end(2), end))
    except _NotSimple:
        return parse_full(text, path, locate=keys).spans
    return spans
