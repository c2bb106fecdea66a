"""docker compose v2's reading of a value (compose-go's dotenv parser), as observed."""

from __future__ import annotations

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
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_{")


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
    out: list[str] = []
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        following = text[index + 1 : index + 2]
        if following == "$":
            index += 2
        elif following in _NAME_START or following.isalnum():
            return None
        else:
            index += 1
        out.append("$")
    return "".join(out)


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
            parts: list[str] = []
            index, end = 0, len(body)
            while index < end:
                char = body[index]
                if char != "\\":
                    parts.append(char)
                    index += 1
                    continue
                code = body[index + 1 : index + 2]
                if code in _DC_UNSURE or not code:
                    return None
                # "\$" is a literal dollar: written as "$$" for the expansion pass
                parts.append(_DC_CODES.get(code, "$$" if code == "$" else "\\" + code))
                index += 2
            body = "".join(parts)
        return _go_expand(body)
    if "\n" in text or "\r" in text:
        return None
    value = text.partition(" #")[0].rstrip(_GO_SPACE)
    return _go_expand(value)
