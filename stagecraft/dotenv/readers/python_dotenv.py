"""python-dotenv's reading of a value (its parser.py), with interpolation on or off."""

from __future__ import annotations

import re

from stagecraft.dotenv.readers.probe import PROBE

_PD_SINGLE = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_PD_DOUBLE = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_PD_SINGLE_ESCAPES = re.compile(r"\\[\\']")
_PD_DOUBLE_ESCAPES = re.compile(r"\\[\\'\"abfnrtv]")
_PD_SPACE = re.compile(r"[^\S\r\n]*")
_PD_COMMENT = re.compile(r"\s+#.*")
#: What python-dotenv's interpolation replaces: ``${NAME}`` or ``${NAME:-default}``
#: with the closing brace; a ``${`` without one stays as written.
PD_VARIABLE = re.compile(r"\$\{[^}:]*(?::-[^}]*)?\}")
PD_CODES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _pd_unescape(match: re.Match[str]) -> str:
    char = match.group()[1]
    return PD_CODES.get(char, char)


def read_python_dotenv(form: str) -> str | None:
    """python-dotenv 1.2 (parser.py), with ``${VAR}`` interpolation on or off.

    A value the interpolation would change is unreadable: it reads differently
    under the two settings (and, with it on, depends on the environment).
    """
    if "\r" in form:
        return None  # a raw CR: kept from a stream, a line break from a file (text mode)
    lead = len(_PD_SPACE.match(form).group())  # type: ignore[union-attr]
    stripped = form[lead:]
    quote = stripped[:1]
    if quote in ("'", '"'):
        match = (_PD_SINGLE if quote == "'" else _PD_DOUBLE).match(stripped + PROBE)
        if match is None or match.end() != len(stripped):
            return None
        escapes = _PD_SINGLE_ESCAPES if quote == "'" else _PD_DOUBLE_ESCAPES
        value = escapes.sub(_pd_unescape, match.group(1))
    else:
        if "\n" in form or "\r" in form:
            return None
        # "KEY= #note" is empty (1.2); "KEY=#x" is "#x"
        empty = lead > 0 and quote == "#"
        value = "" if empty else _PD_COMMENT.sub("", stripped).rstrip()
    if "${" in value and PD_VARIABLE.search(value) is not None:
        return None
    return value
