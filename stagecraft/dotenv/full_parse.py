"""The full env-file parser: every rule, every warning, every error.

The fast path (:mod:`stagecraft.dotenv.fast_parse`) reads most files; this
parser reads the rest, words the warnings and errors, and finds where each
assignment of a key sits when the fast path cannot.

Reading rules
-------------
Where python-dotenv, Node's ``dotenv`` and docker compose v2 (compose-go) agree,
this parser reads as they do; where they disagree it follows the majority and
warns when the value read depends on the reader, or refuses (a
:class:`DotenvError` naming the line and the disagreement) what only one of
them accepts (facts: ``dotenv-compat.md``, measured with the real programs):

* ``\r\n`` and ``\n`` end a line, and so does a lone ``\r`` (python-dotenv and
  Node; compose and shells keep it in the line, so :meth:`Document.set` never
  writes into such a file for them).  A UTF-8 BOM at the start is ignored.
* Blank lines and lines whose first non-blank character is ``#`` are comments.
* ``export`` followed by a space or tab before a key is dropped (``exportFOO=1`` and
  ``export=1`` are ordinary keys).
* A key is ``[A-Za-z0-9_.-]+`` (``1ST_KEY`` and ``-x`` included: all three read
  them).  Anything else (``a@b=1``, non-ASCII, ``A[0]``) is an error: Node skips
  such a line silently.  ``KEY: value`` is an error too (python-dotenv's).
* Whitespace around the key and ``=`` is ignored; ``KEY=`` is the empty string.
* A line holding only a key (``JUSTAKEY``, ``export A``) assigns nothing; the
  document records a warning naming the key and line.
* Unquoted values end at the end of the line; whitespace followed by ``#`` starts a
  comment, and the value is stripped of surrounding whitespace.  ``KEY= # note``
  is empty (python-dotenv 1.2 and Node; compose reads ``# note``: warning);
  ``KEY=#x`` is ``#x`` (python-dotenv and compose; Node reads it as empty:
  warning); ``p#ss`` is ``p#ss``.  Nothing inside is decoded.
* ``'...'`` is literal except ``\\'`` -> ``'``.  ``"..."`` decodes ``\\a \\b \\f \\n \\r
  \\t \\v \\\\ \\"`` and keeps every other backslash sequence as written.  Inside
  both, a backslash always pairs with the next character when looking for the
  closing quote.  Quoted values may span lines (PEM keys); a raw line break inside
  one reads as ``\\n`` whatever its bytes were.  After the closing quote only
  whitespace and a comment may follow.
* No ``$`` expansion: values are literal, the one deliberate exception to the
  majority rule (an expansion depends on the reader's environment; a sync copies
  text).  A ``${...}`` that python-dotenv and compose would expand gets a warning.
  With ``readers`` naming dotenv-expand, ``\\$`` reads as ``$`` (see
  :func:`stagecraft.dotenv.reading.parse`).
* A key assigned twice: the last one wins, and a warning names the key and line.
* Errors (:class:`DotenvError`, ``PATH:LINE: ...``, never quoting a value): an
  invalid key, an unterminated quote (reported at the line where it opened), text
  after a closing quote, invalid UTF-8 (the line of the bad byte).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from stagecraft.dotenv.grammar import EOL, KEY, RAW_BREAK, count_breaks
from stagecraft.dotenv.readers.dotenv_expand import dotenv_expands
from stagecraft.dotenv.readers.python_dotenv import PD_VARIABLE
from stagecraft.errors import DotenvError

_WS = r"[^\S\r\n]"  # whitespace that does not end a line
# A simple single-line assignment, one line at a time, for the full parser's loop.
_SIMPLE_LINE = re.compile(
    rf"[ \t]*(?:export[ \t]+)?({KEY})[ \t]*=[ \t]*"
    r"""([^\s'"#](?:[^\r\n#]*[^\s#])?|"[^"\\\r\n]*"|'[^'\\\r\n]*'|(?![ \t]*#))"""
    r"(?:[ \t]+#[^\r\n]*)?[ \t]*(?:\r\n|\n|\r|\Z)"
)

# Full grammar, used when the fast path does not apply.
_HEAD = re.compile(
    rf"{_WS}*(?:(?P<comment>#)|(?:export{_WS}+(?=[A-Za-z0-9_.-]))?(?P<key>{KEY}){_WS}*(?P<eq>=)?)?"
)
_REST = re.compile(r"[^\r\n]*")
_SINGLE = re.compile(r"'((?:\\[\s\S]|[^'\\])*)'")
_DOUBLE = re.compile(r'"((?:\\[\s\S]|[^"\\])*)"')
_AFTER_QUOTE = re.compile(rf"{_WS}*(?:#[^\r\n]*)?")
_INLINE_COMMENT = re.compile(r"\s#")
_SINGLE_ESCAPE = re.compile(r"\\'")
_DOUBLE_ESCAPE = re.compile(r"\\([\s\S])")
_DOUBLE_DECODED = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}


_INVALID_KEY = (
    "invalid key: a key is ASCII letters, digits, '_', '.' or '-' "
    "(Node dotenv skips a line with any other key)"
)


def _decode_double(match: re.Match[str]) -> str:
    return _DOUBLE_DECODED.get(match.group(1), match.group(0))


def _named(word: str) -> str:
    """A word where a key was expected, as a message shows it: by its length only.

    A line without '=' may be a stray piece of a secret (the body of an
    unquoted PEM key, a token pasted on its own line) rather than a key, and
    no length tells the two apart; the file and line say where it is.
    """
    return f"<{len(word)} character{'' if len(word) == 1 else 's'}>"


#: Where one assignment sits in a document's text: (line start, value start,
#: value end, line end after its line break).  The value span includes quotes.
Span = tuple[int, int, int, int]


class Parsed:
    __slots__ = ("spans", "values", "warnings")

    def __init__(self) -> None:
        self.spans: dict[str, list[Span]] = {}
        self.values: dict[str, str] = {}
        self.warnings: list[str] = []


def parse_full(
    text: str,
    path: str,
    *,
    locate: AbstractSet[str] = frozenset(),
    expansions: bool = True,
    dotenv_expand: bool = False,
) -> Parsed:
    """Parse with every rule; record where each assignment of a key in ``locate`` is.

    ``expansions``: warn about ``${...}`` that python-dotenv and compose expand;
    ``dotenv_expand``: warn about a ``$`` that dotenv-expand expands or runs.
    """
    out = Parsed()
    values = out.values
    spans = out.spans
    first_line: dict[str, int] = {}
    n = len(text)
    pos = 0
    line = 1
    # The full grammar compiles on first use (most files take the fast path);
    # bind the methods once per parse, not once per line.
    simple = _SIMPLE_LINE.match
    head_match = _HEAD.match
    rest_match = _REST.match
    eol_match = EOL.match
    single_match = _SINGLE.match
    double_match = _DOUBLE.match
    after_quote_match = _AFTER_QUOTE.match
    inline_comment_search = _INLINE_COMMENT.search
    while pos < n:
        start = pos
        found = simple(text, pos)
        if found is not None:
            key, written = found.groups()
            pos = found.end()
            if key in locate:
                spans.setdefault(key, []).append((start, found.start(2), found.end(2), pos))
            if key in values:
                out.warnings.append(
                    f"{path}:{line}: duplicate key {key!r} (first set on line "
                    f"{first_line[key]}); the last one wins"
                )
            else:
                first_line[key] = line
            values[key] = written[1:-1] if written[:1] in ("'", '"') else written
            if expansions and "${" in written and written[0] != "'" and PD_VARIABLE.search(
                written
            ):
                out.warnings.append(_expansion_warning(path, line, key))
            if dotenv_expand and "$" in written and dotenv_expands(values[key]):
                out.warnings.append(_dotenv_expand_warning(path, line, key))
            line += 1
            continue
        head = head_match(text, pos)
        assert head is not None  # every part of _HEAD is optional
        key = head.group("key")
        pos = head.end()
        key_line = line
        vstart = vend = 0
        value: str | None = None
        quote = ""
        if key is None:
            if head.group("comment") is None and pos < n and text[pos] not in "\r\n":
                if text[pos] == "=":
                    raise DotenvError(path, line, "missing key before '='")
                raise DotenvError(path, line, _INVALID_KEY)
            pos = rest_match(text, pos).end()  # type: ignore[union-attr]
        elif head.group("eq") is None:
            rest = rest_match(text, pos).group()  # type: ignore[union-attr]
            if rest and rest[0] != "#":
                column = pos - start + 1
                if rest[0] == ":":
                    problem = (
                        f"expected '=' after key {_named(key)} ('KEY: value' is read by Node "
                        "dotenv and docker compose but is an error to python-dotenv)"
                    )
                elif text[pos - 1] in " \t" or not rest[0].isprintable():
                    problem = f"expected '=' after key {_named(key)}"
                else:
                    problem = f"invalid character in key at column {column}"
                raise DotenvError(path, line, problem)
            pos += len(rest)
            out.warnings.append(
                f"{path}:{line}: {_named(key)} has no '=' and assigns nothing (line ignored)"
            )
            key = None
        else:
            after_eq = pos
            raw = rest_match(text, pos).group()  # type: ignore[union-attr]
            stripped = raw.lstrip()
            vstart = after_eq + len(raw) - len(stripped)
            quote = stripped[:1]
            if quote in ("'", '"'):
                quoted = (single_match if quote == "'" else double_match)(text, vstart)
                if quoted is None:
                    kind = "single" if quote == "'" else "double"
                    raise DotenvError(path, line, f"unterminated {kind}-quoted value for {key!r}")
                body = quoted.group(1)
                vend = quoted.end()
                line += count_breaks(body)
                if "\r" in body:
                    body = RAW_BREAK.sub("\n", body)
                if "\\" in body:
                    if quote == "'":
                        body = _SINGLE_ESCAPE.sub("'", body)
                    else:
                        body = _DOUBLE_ESCAPE.sub(_decode_double, body)
                value = body
                tail = after_quote_match(text, vend)
                assert tail is not None
                pos = tail.end()
                if pos < n and text[pos] not in "\r\n":
                    raise DotenvError(
                        path, line, f"unexpected text after the closing quote of {key!r}"
                    )
            else:
                pos = after_eq + len(raw)
                if stripped[:1] == "#" and stripped != raw:
                    value = ""  # KEY= #note: python-dotenv and Node read it as empty
                    vstart = vend = after_eq
                    out.warnings.append(
                        f"{path}:{line}: {key!r} is empty to python-dotenv and Node dotenv "
                        "(whitespace, then '#', starts a comment) but docker compose reads the "
                        "text from '#' on as its value; Stagecraft follows the majority (write "
                        "KEY= alone, or quote the value)"
                    )
                else:
                    cut = inline_comment_search(stripped)
                    value = (stripped if cut is None else stripped[: cut.start()]).rstrip()
                    vend = vstart + len(value)
                    if value[:1] == "#":
                        out.warnings.append(
                            f"{path}:{line}: the value of {key!r} starts with '#': python-dotenv "
                            "and docker compose read it as written, Node dotenv as empty; "
                            "Stagecraft follows the majority (quote the value)"
                        )
        eol = eol_match(text, pos)
        if eol is not None:
            pos = eol.end()
            line += 1
        if key is None:
            continue
        assert value is not None
        if expansions and "${" in value and quote != "'" and PD_VARIABLE.search(value):
            out.warnings.append(_expansion_warning(path, key_line, key))
        if dotenv_expand and "$" in value and dotenv_expands(value):
            out.warnings.append(_dotenv_expand_warning(path, key_line, key))
        if key in locate:
            spans.setdefault(key, []).append((start, vstart, vend, pos))
        if key in values:
            out.warnings.append(
                f"{path}:{key_line}: duplicate key {key!r} (first set on line "
                f"{first_line[key]}); the last one wins"
            )
        else:
            first_line[key] = key_line
        values[key] = value
    return out


def _expansion_warning(path: str, line: int, key: str) -> str:
    return (
        f"{path}:{line}: {key!r} holds '${{...}}', which python-dotenv (interpolation on) "
        "and docker compose expand, each from its own environment, and Node dotenv does "
        "not; Stagecraft reads it literally"
    )


def _dotenv_expand_warning(path: str, line: int, key: str) -> str:
    return (
        f"{path}:{line}: {key!r} holds a '$' that dotenv-expand expands (or, for '$(...)', "
        "runs); Stagecraft reads it literally (a literal '$' is written '\\$' for it)"
    )
