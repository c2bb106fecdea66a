"""Node dotenv's reading of a value (its regex-based ``parse``)."""

from __future__ import annotations

import re

from stagecraft.dotenv.grammar import RAW_BREAK
from stagecraft.dotenv.readers.probe import PROBE

_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_S = f"[{_JS_SPACE}]"
_JS_END = r"(?=[\n\r\u2028\u2029]|\Z)"
_JS_START = r"(?:(?<=[\n\r\u2028\u2029])|\A)"
_ND_LINE = re.compile(
    rf"{_JS_S}*(?:export{_JS_S}+)?([A-Za-z0-9_.-]+)(?:{_JS_S}*={_JS_S}*?|:{_JS_S}+?)"
    rf"({_JS_S}*'(?:\\'|[^'])*'|{_JS_S}*\"(?:\\\"|[^\"])*\"|{_JS_S}*`(?:\\`|[^`])*`|[^#\r\n]+)?"
    rf"{_JS_S}*(?:#[^\n\r\u2028\u2029]*)?{_JS_END}"
)
_ND_UNQUOTE = re.compile(rf"{_JS_START}(['\"`])([\s\S]*)\1{_JS_END}")
_JS_TRIM = re.compile(rf"^{_JS_S}+|{_JS_S}+\Z")


def read_node_dotenv(form: str) -> str | None:
    """Node dotenv 16-18 ``parse`` (the default, regex-based parser)."""
    line = "K=" + form
    text = RAW_BREAK.sub("\n", line + PROBE)
    match = _ND_LINE.match(text)
    if match is None or match.group(1) != "K":
        return None
    if match.group(2) is not None and match.end(2) > len(RAW_BREAK.sub("\n", line)):
        return None  # the value ran into the following lines
    value = _JS_TRIM.sub("", match.group(2) or "")
    quote = value[:1]
    value = _ND_UNQUOTE.sub(r"\2", value)
    if quote == '"':
        value = value.replace("\\n", "\n").replace("\\r", "\r")
    return value
