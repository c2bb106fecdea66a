"""Node dotenv's reading of a value (its regex-based ``parse``)."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from stagecraft.dotenv.grammar import RAW_BREAK
from stagecraft.dotenv.readers.probe import PROBE

_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_S = f"[{_JS_SPACE}]"
_JS_END = r"(?=[\n\r\u2028\u2029]|\Z)"
_JS_START = r"(?:(?<=[\n\r\u2028\u2029])|\A)"


class _NodePatterns(NamedTuple):
    line: re.Pattern[str]
    unquote: re.Pattern[str]
    trim: re.Pattern[str]


@functools.cache
def _patterns() -> _NodePatterns:
    """Node's patterns, compiled when a value first needs this model: most values are
    written plain without it, and the line pattern's JavaScript whitespace classes take
    a few milliseconds to compile, a tenth of a sync's start."""
    return _NodePatterns(
        line=re.compile(
            rf"{_JS_S}*(?:export{_JS_S}+)?([A-Za-z0-9_.-]+)(?:{_JS_S}*={_JS_S}*?|:{_JS_S}+?)"
            rf"({_JS_S}*'(?:\\'|[^'])*'|{_JS_S}*\"(?:\\\"|[^\"])*\"|{_JS_S}*`(?:\\`|[^`])*`"
            rf"|[^#\r\n]+)?{_JS_S}*(?:#[^\n\r\u2028\u2029]*)?{_JS_END}"
        ),
        unquote=re.compile(rf"{_JS_START}(['\"`])([\s\S]*)\1{_JS_END}"),
        trim=re.compile(rf"^{_JS_S}+|{_JS_S}+\Z"),
    )


def read_node_dotenv(form: str) -> str | None:
    """Node dotenv 16-18 ``parse`` (the default, regex-based parser)."""
    line = "K=" + form
    text = RAW_BREAK.sub("\n", line + PROBE)
    patterns = _patterns()
    match = patterns.line.match(text)
    if match is None or match.group(1) != "K":
        return None
    if match.group(2) is not None and match.end(2) > len(RAW_BREAK.sub("\n", line)):
        return None  # the value ran into the following lines
    value = patterns.trim.sub("", match.group(2) or "")
    quote = value[:1]
    value = patterns.unquote.sub(r"\2", value)
    if quote == '"':
        value = value.replace("\\n", "\n").replace("\\r", "\r")
    return value
