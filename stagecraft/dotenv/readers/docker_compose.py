"""docker compose v2's reading of a value (compose-go's dotenv parser), as observed."""

from __future__ import annotations

import re
from collections.abc import Callable

from stagecraft.dotenv.readers.probe import PROBE
from stagecraft.dotenv.readers.python_dotenv import PD_CODES

#: Characters compose-go trims before a value (its isSpace) and after an
#: unquoted one (Go's unicode.IsSpace).
_GO_LEFT_SPACE = "\t\v\f\r \x85\xa0"
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000"
)
_DC_CODES = {**PD_CODES, "\\": "\\"}
#: Backslash sequences whose meaning in compose-go's double quotes was not
#: observed (octal, Go's \x \u \U and \c, a quote of the other kind, a line
#: break): a form holding one counts as unreadable.
_DC_UNSURE = frozenset("01234567xuUc'\n\r")
#: A backslash and what follows it (nothing at the end), in double quotes.
_GO_ESCAPE = re.compile(r"\\(.?)", re.DOTALL)
#: A dollar and what follows it when that expands: ``$$``, or a name or ``{``
#: (``\w`` is what compose-go's name start allows: letters, digits, ``_``).
_GO_DOLLAR = re.compile(r"\$(\$|[\w{])?")


def _go_quoted(text: str, quote: str) -> tuple[str, int] | None:
    """compose-go's scan of a quoted value in ``text``: (body, index after the quote).

    A backslash before the quote character drops out (the quote is kept); a
    backslash before anything else stays in the body for the escapes pass.
    """
    close = text.find(quote, 1)
    if close == -1:
        return None
    if "\\" not in text[1:close]:
        return text[1:close], close + 1
    chars: list[str] = []
    escaped = False
    for index in range(1, len(text)):
        char = text[index]
        if char == quote:
            if not escaped:
                return "".join(chars), index + 1
            escaped = False
            chars.append(char)
        elif escaped:
            escaped = False
            chars.append("\\")
            chars.append(char)
        elif char == "\\":
            escaped = True
        else:
            chars.append(char)
    return None


def _go_expand(text: str) -> str | None:
    """compose-go's variable expansion: ``$$`` is ``$``, ``$NAME``/``${`` expand
    (unreadable), any other ``$`` stays."""
    if "$" not in text:
        return text
    return _replace_pairs(_GO_DOLLAR, text, _go_dollar)


def _go_dollar(following: str) -> str | None:
    return "$" if following in ("$", "") else None


def _go_escape(code: str) -> str | None:
    """What compose-go's double quotes make of ``\\`` and ``code`` (None: not observed)."""
    if code in _DC_UNSURE or not code:
        return None
    # "\$" is a literal dollar: written as "$$" for the expansion pass
    return _DC_CODES.get(code, "$$" if code == "$" else "\\" + code)


def _replace_pairs(
    pattern: re.Pattern[str], text: str, replace: Callable[[str], str | None]
) -> str | None:
    """``text`` with each match of ``pattern`` (a lead character and the one after it,
    its group 1) replaced by ``replace(group 1)``; None when one is unreadable (None)."""
    parts: list[str] = []
    end = 0
    for match in pattern.finditer(text):
        replacement = replace(match.group(1) or "")
        if replacement is None:
            return None
        parts += (text[end:match.start()], replacement)
        end = match.end()
    parts.append(text[end:])
    return "".join(parts)


def read_docker_compose(form: str) -> str | None:
    """compose-go's dotenv parser (docker compose v2), as observed (v2.13.0)."""
    text = form.lstrip(_GO_LEFT_SPACE)
    quote = text[:1]
    if quote in ("'", '"'):
        scanned = _go_quoted(text + PROBE, quote)
        if scanned is None or scanned[1] != len(text):
            return None
        body = scanned[0]
        if quote == "'":
            return body
        if "\\" in body:
            unescaped = _replace_pairs(_GO_ESCAPE, body, _go_escape)
            if unescaped is None:
                return None
            body = unescaped
        return _go_expand(body)
    if "\n" in text or "\r" in text:
        return None
    value = text.partition(" #")[0].rstrip(_GO_SPACE)
    return _go_expand(value)
