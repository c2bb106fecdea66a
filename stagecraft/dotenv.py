"""Lossless .env documents: parse, read, edit one key, write back.

A :class:`Document` keeps every byte of the file it was parsed from, so a sync
that changes one key leaves comments, blank lines, ``export`` prefixes, line
endings (CRLF, lone CR), a UTF-8 BOM and a missing final newline exactly as they
were.  Values are read once at parse time and nothing is kept per line: edits
are recorded by key, and writing finds the lines they touch in one scan,
because most documents are only read and a written one is written once.

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
  With ``readers`` naming dotenv-expand, ``\\$`` reads as ``$`` (see :func:`parse`).
* A key assigned twice: the last one wins, and a warning names the key and line.
* Errors (:class:`DotenvError`, ``PATH:LINE: ...``, never quoting a value): an
  invalid key, an unterminated quote (reported at the line where it opened), text
  after a closing quote, invalid UTF-8 (the line of the bad byte).

Writing rules
-------------
:func:`format_value` picks, for a value and the readers that will read the file
(:class:`Reader`: the three above, by default, plus ``shell`` and
``dotenv-expand``), the first form that every chosen reader *and this parser*
read back exactly: plain; for a value with line breaks, ``"..."`` with only the
breaks escaped as ``\\n``/``\\r`` (the only escapes Node decodes); ``'raw'`` (may
span lines); the double-quoted forms (escaped breaks, or raw ones for shells);
then forms only some readers accept (``"..."`` with ``\\\\`` and ``\\"`` escapes;
``'...'`` with ``\\'``).  For dotenv-expand every ``$`` is written ``\\$``.  Each
candidate is checked against a model of each reader, written from its source
(python-dotenv, Node dotenv, dotenv-expand, POSIX sh) or, for compose-go, from
what it was observed to do, and checked against the real programs by the tests.
So the rules follow from the models rather than being listed by hand; for
example, with the default readers:

* plain is used unless the value has a line break, leading or trailing
  whitespace, a leading quote or backtick, ``#`` (Node cuts at any ``#``), a
  ``$`` before a name character or ``{`` (compose expands it outside single
  quotes), or control characters;
* single quotes carry anything without ``'`` and not ending in a backslash
  (that makes python-dotenv and compose look further for the closing quote);
* Node keeps ``\\"`` and ``\\\\`` with their backslash, so a value holding ``"``
  cannot be double-quoted for Node;
* python-dotenv expands ``${NAME}`` (with the closing brace) in every quoting
  style with no escape, so such a value cannot be written for it at all.

When no form works, :class:`UnwritableValueError` names the key and the reason
(never the value): the reader that cannot carry it alone, or that no single
spelling serves all of them.  Targeting fewer readers widens what can be written.
"""

from __future__ import annotations

import enum
import pathlib
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, cast

from stagecraft.errors import UserError
from stagecraft.files import read_bytes

__all__ = [
    "ALL_READERS",
    "DEFAULT_READERS",
    "Document",
    "DotenvError",
    "Reader",
    "UnwritableValueError",
    "format_value",
    "is_valid_key",
    "load",
    "new_document",
    "parse",
]


class Reader(str, enum.Enum):
    """A program that will read a file Stagecraft writes."""

    PYTHON_DOTENV = "python-dotenv"  # dotenv_values()/load_dotenv(), interpolation on or off
    NODE_DOTENV = "node-dotenv"
    DOCKER_COMPOSE = "docker-compose"  # compose v2: compose-go's dotenv parser
    SHELL = "shell"  # POSIX sh (bash, dash) running `set -a; . FILE`
    DOTENV_EXPAND = "dotenv-expand"  # Node dotenv, then dotenv-expand (Vite, @next/env)


#: The readers a file is written for unless told otherwise.
DEFAULT_READERS: frozenset[Reader] = frozenset(
    {Reader.PYTHON_DOTENV, Reader.NODE_DOTENV, Reader.DOCKER_COMPOSE}
)
#: The default readers, under the name they had before shells and dotenv-expand were
#: modelled; kept so existing callers mean what they meant.
ALL_READERS: frozenset[Reader] = DEFAULT_READERS


class DotenvError(UserError):
    """A .env file is malformed.  The message is ``PATH:LINE: what is wrong``."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class UnwritableValueError(UserError):
    """No quoting carries a value unchanged to every chosen reader.

    The message names the key and the reason, never the value.
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"cannot write {key!r} to an env file: {reason}")
        self.key = key
        self.reason = reason


class _LazyPattern:
    """A regular expression compiled on first use.

    The full grammar (files the fast path cannot read) and the reader models
    (the slow path of :func:`format_value`) hold two dozen patterns that most
    commands never use; compiling them at import would cost every command a
    few milliseconds of start-up.  Hot loops bind the compiled methods once.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)
        return getattr(compiled, name)


def _lazy_re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))


# --------------------------------------------------------------------------- grammar

_KEY = r"[A-Za-z0-9_.-]+"
_KEY_RE = re.compile(_KEY)
_WS = r"[^\S\r\n]"  # whitespace that does not end a line

# Fast path: one regex scan, running in C, reads each item of a file made only
# of simple items; the items following each other line by line proves that the
# file holds nothing else (otherwise the full parser runs).  A simple item is a
# blank line, a comment, or KEY=VALUE where VALUE is empty, plain without any
# '#', or quoted without backslashes (a quoted value may span lines), optionally
# followed by whitespace and a comment (an empty value never is: ``KEY= #x`` reads
# as ``#x``).  Every simple item reads the same under the full rules.  Blank lines
# and comments have no key group.
_ITEM = re.compile(
    rf"^[ \t]*(?:(?:export[ \t]+)?({_KEY})[ \t]*=[ \t]*"
    r"""([^\s'"#](?:[^\r\n#]*[^\s#])?|"[^"\\]*"|'[^'\\]*'|(?![ \t]*#))"""
    r"(?:[ \t]+#[^\r\n]*)?|#[^\r\n]*)?[ \t]*\r?$",
    re.MULTILINE,
)
# A simple single-line assignment, one line at a time, for the full parser's loop.
_SIMPLE_LINE = _lazy_re(
    rf"[ \t]*(?:export[ \t]+)?({_KEY})[ \t]*=[ \t]*"
    r"""([^\s'"#](?:[^\r\n#]*[^\s#])?|"[^"\\\r\n]*"|'[^'\\\r\n]*'|(?![ \t]*#))"""
    r"(?:[ \t]+#[^\r\n]*)?[ \t]*(?:\r\n|\n|\r|\Z)"
)

# Full grammar, used when the fast path does not apply.
_HEAD = _lazy_re(
    rf"{_WS}*(?:(?P<comment>#)|(?:export{_WS}+(?=[A-Za-z0-9_.-]))?(?P<key>{_KEY}){_WS}*(?P<eq>=)?)?"
)
_EOL = _lazy_re(r"\r\n|\r|\n")
_REST = _lazy_re(r"[^\r\n]*")
_SINGLE = _lazy_re(r"'((?:\\[\s\S]|[^'\\])*)'")
_DOUBLE = _lazy_re(r'"((?:\\[\s\S]|[^"\\])*)"')
_AFTER_QUOTE = _lazy_re(rf"{_WS}*(?:#[^\r\n]*)?")
_INLINE_COMMENT = _lazy_re(r"\s#")
_RAW_BREAK = _lazy_re(r"\r\n?")
_SINGLE_ESCAPE = _lazy_re(r"\\'")
_DOUBLE_ESCAPE = _lazy_re(r"\\([\s\S])")
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


def is_valid_key(key: str) -> bool:
    """True when ``key`` is a key this parser accepts."""
    return _KEY_RE.fullmatch(key) is not None


def _decode_double(match: re.Match[str]) -> str:
    return _DOUBLE_DECODED.get(match.group(1), match.group(0))


def _count_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


#: Where one assignment sits in a document's text: (line start, value start,
#: value end, line end after its line break).  The value span includes quotes.
_Span = tuple[int, int, int, int]


class _Parsed:
    __slots__ = ("spans", "values", "warnings")

    def __init__(self) -> None:
        self.spans: dict[str, list[_Span]] = {}
        self.values: dict[str, str] = {}
        self.warnings: list[str] = []


def _parse_full(
    text: str,
    path: str,
    *,
    locate: AbstractSet[str] = frozenset(),
    expansions: bool = True,
    dotenv_expand: bool = False,
) -> _Parsed:
    """Parse with every rule; record where each assignment of a key in ``locate`` is.

    ``expansions``: warn about ``${...}`` that python-dotenv and compose expand;
    ``dotenv_expand``: warn about a ``$`` that dotenv-expand expands or runs.
    """
    out = _Parsed()
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
    eol_match = _EOL.match
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
            if expansions and "${" in written and written[0] != "'" and _PD_VARIABLE.search(
                written
            ):
                out.warnings.append(_expansion_warning(path, line, key))
            if dotenv_expand and "$" in written and _dotenv_expands(values[key]):
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
                line += _count_breaks(body)
                if "\r" in body:
                    body = _RAW_BREAK.sub("\n", body)
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
        if expansions and "${" in value and quote != "'" and _PD_VARIABLE.search(value):
            out.warnings.append(_expansion_warning(path, key_line, key))
        if dotenv_expand and "$" in value and _dotenv_expands(value):
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


def _dotenv_expands(value: str) -> bool:
    return _DE_EXPANDS.search(value) is not None or _runs_command(value)


def _dotenv_expand_warning(path: str, line: int, key: str) -> str:
    return (
        f"{path}:{line}: {key!r} holds a '$' that dotenv-expand expands (or, for '$(...)', "
        "runs); Stagecraft reads it literally (a literal '$' is written '\\$' for it)"
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


#: A line without '=' may be a stray piece of a secret (the body of an
#: unquoted PEM key, say) rather than a key, so messages name it only when it
#: is short enough to be a key.
_MAX_NAMED = 32


def _named(word: str) -> str:
    return repr(word) if len(word) <= _MAX_NAMED else f"<{len(word)} characters>"


def _parse_fast(text: str) -> dict[str, str] | None:
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
                    written = _RAW_BREAK.sub("\n", written)
            values[key] = written
    except _NotSimple:
        return None
    return values


def _locate(text: str, path: str, keys: AbstractSet[str]) -> dict[str, list[_Span]]:
    """Every assignment of each of ``keys`` in ``text``, in order: one scan, no values kept."""
    spans: dict[str, list[_Span]] = {}
    try:
        for item in _simple_items(text):
            key = item.group(1)
            if key in keys:
                end = min(item.end() + 1, len(text))
                spans.setdefault(key, []).append((item.start(), item.start(2), item.end(2), end))
    except _NotSimple:
        return _parse_full(text, path, locate=keys).spans
    return spans


def _line_of(data: bytes | str, index: int) -> int:
    prefix = data[:index]
    if isinstance(prefix, bytes):
        return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1
    return _count_breaks(prefix) + 1


def _ends_with_break(text: str, edits: list[tuple[int, int, str]]) -> bool:
    """Whether ``text`` with ``edits`` applied ends with a line break (or is empty)."""
    end = len(text)
    for start, stop, new in reversed(edits):
        if stop != end:
            break
        if new:
            return new.endswith(("\n", "\r"))
        end = start
    return end == 0 or text[end - 1] in "\r\n"


def _byte_offsets(
    text: str, edits: list[tuple[int, int, str]], base: int
) -> Iterator[tuple[int, int, str]]:
    """``edits`` (sorted, in ``text`` offsets) in offsets of the UTF-8 bytes after ``base``."""
    char, byte = 0, base
    for start, end, new in edits:
        byte += len(text[char:start].encode("utf-8"))
        first = byte
        byte += len(text[start:end].encode("utf-8"))
        char = end
        yield first, byte, new


# --------------------------------------------------------------------------- document

#: Readers for which a lone CR does not end a line (python-dotenv and Node take
#: it as one; compose-go and the shells keep it in the line).  A shell keeps the
#: CR of a CRLF too, in the value before it.
_LINE_READERS = frozenset({Reader.DOCKER_COMPOSE, Reader.SHELL})
_NO_CR, _CRLF, _LONE_CR = 0, 1, 2


class Document:
    """A parsed .env file that renders back to its exact bytes until edited.

    It keeps the bytes it was parsed from and the values, nothing per line:
    edits are recorded by key, and only writing (:meth:`to_bytes`) finds the
    lines they touch, in one scan, and splices the new text between the
    untouched bytes.  Never shows values in its repr; ``values()`` is the only
    way to read them in bulk.
    """

    __slots__ = (
        "_appended",
        "_changed",
        "_crs",
        "_data",
        "_edited",
        "_removed",
        "_values",
        "path",
        "warnings",
    )

    def __init__(
        self,
        path: str,
        data: bytes = b"",
        *,
        values: dict[str, str] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.path = path
        self.warnings: list[str] = warnings if warnings is not None else []
        self._data = data  # the UTF-8 content parsed, BOM included
        self._values: dict[str, str] = values if values is not None else {}
        self._changed: dict[str, str] = {}  # key in data -> new text after "KEY="
        self._removed: set[str] = set()  # keys whose every line in data goes
        self._appended: dict[str, str] = {}  # key not (or no longer) in data -> text
        self._edited = False
        self._crs: int | None = None

    def __repr__(self) -> str:
        return f"<Document {self.path!r} keys={len(self._values)}>"

    # ------------------------------------------------------------------ reading

    def values(self) -> dict[str, str]:
        """Effective values: the last assignment of each key, in first-appearance order."""
        return dict(self._values)

    def view(self) -> Mapping[str, str]:
        """The effective values as a read-only view: no copy, and it follows later edits."""
        return types.MappingProxyType(self._values)

    def items(self) -> Iterator[tuple[str, str]]:
        """Iterate over (key, value) pairs without copying them all, as values() does."""
        return iter(self._values.items())

    def keys(self) -> list[str]:
        return list(self._values)

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def _carriage_returns(self) -> int:
        """Whether the original bytes hold no CR, only CRLFs, or a lone CR (computed once)."""
        if self._crs is None:
            data = self._data
            if b"\r" not in data:
                self._crs = _NO_CR
            else:
                self._crs = _LONE_CR if re.search(b"\r(?!\n)", data) else _CRLF
        return self._crs

    def _check_line_ends(self, key: str, chosen: frozenset[Reader]) -> None:
        """Refuse to write into a file whose line ends a chosen reader misreads."""
        if self._carriage_returns() == _LONE_CR:
            names = " and ".join(sorted(reader.value for reader in chosen & _LINE_READERS))
            raise UserError(
                f"{self.path}: cannot write {key!r}: the file ends lines with a lone carriage "
                f"return, which is no line end to {names}; convert it to LF line ends"
            )
        if Reader.SHELL in chosen:
            raise UserError(
                f"{self.path}: cannot write {key!r}: the file has CRLF line ends, and a shell "
                "keeps the carriage return in the value before it; convert it to LF line ends"
            )

    @property
    def modified(self) -> bool:
        """True once an edit changed the document."""
        return self._edited

    # ------------------------------------------------------------------ editing

    def set(self, key: str, value: str, *, readers: Iterable[Reader] = ALL_READERS) -> bool:
        """Give ``key`` the value ``value``; True if the document changed.

        An existing key is rewritten in place (its last, effective, occurrence; the
        ``export`` prefix, spacing and inline comment stay); a new key is appended.
        Raises :class:`UnwritableValueError` when no quoting suits ``readers``.
        """
        current = self._values.get(key) if isinstance(key, str) else None
        if current is not None and current == value:
            # Keep the caller's equal string rather than ours: after a sync most
            # of a target's values equal the source's, and sharing them saves
            # holding every unchanged value twice.
            self._values[key] = value
            return False
        if not isinstance(key, str) or not is_valid_key(key):
            raise UserError(f"invalid key {key!r}: a key is ASCII letters, digits, '_', '.' or '-'")
        chosen = frozenset(Reader(reader) for reader in readers)
        if chosen & _LINE_READERS and self._carriage_returns() != _NO_CR:
            self._check_line_ends(key, chosen)
        written = format_value(key, value, chosen)
        if current is None or key in self._appended:
            self._appended[key] = written
        else:
            self._changed[key] = written
        self._values[key] = value
        self._edited = True
        return True

    def remove(self, key: str) -> bool:
        """Remove every assignment of ``key``; True if there was one."""
        if key not in self._values:
            return False
        del self._values[key]
        if self._appended.pop(key, None) is None:
            self._changed.pop(key, None)
            self._removed.add(key)
        self._edited = True
        return True

    # ------------------------------------------------------------------ writing

    def _edits(self, text: str) -> tuple[list[tuple[int, int, str]], str]:
        """The edits as sorted ``(start, end, new text)`` spans of ``text``, and the tail.

        ``text`` is the document's text without its BOM.  A rewritten value keeps
        the text before it on its line (``export``, spacing) and its inline
        comment; the tail holds the appended keys.
        """
        spans = _locate(text, self.path, self._changed.keys() | self._removed)
        edits: list[tuple[int, int, str]] = []
        for key, written in self._changed.items():
            _start, vstart, vend, end = spans[key][-1]
            after = text[vend:end].rstrip("\r\n")
            comment = after.strip()
            new = f"{written} {comment}" if comment and written else written
            edits.append((vstart, vend + len(after), new))
        for key in self._removed:
            edits.extend((start, end, "") for start, _vstart, _vend, end in spans.get(key, ()))
        edits.sort()
        tail = ""
        if self._appended:
            found = _EOL.search(text)
            newline = found.group() if found else "\n"
            tail = "".join(f"{key}={written}{newline}" for key, written in self._appended.items())
            if not _ends_with_break(text, edits):
                tail = newline + tail
        return edits, tail

    def to_bytes(self) -> bytes:
        """The file content: the exact original bytes while unedited."""
        if not self._edited:
            return self._data
        text = self._data.decode("utf-8")
        bom = text.startswith("\ufeff")
        if bom:
            text = text[1:]
        edits, tail = self._edits(text)
        if not self._data.isascii():
            edits = list(_byte_offsets(text, edits, len(_BOM) if bom else 0))
        del text  # the splice below copies only the bytes, once
        original = memoryview(self._data)
        parts: list[bytes | memoryview] = []
        pos = 0
        for start, end, new in edits:
            parts.append(original[pos:start])
            parts.append(new.encode("utf-8"))
            pos = end
        parts.append(original[pos:])
        parts.append(tail.encode("utf-8"))
        return b"".join(parts)

    def render(self) -> str:
        """The document's text (a BOM it had is kept as ``\\ufeff``)."""
        return self.to_bytes().decode("utf-8")


_BOM = "\ufeff".encode()


def new_document(path: str = "<new>") -> Document:
    """An empty document for a file that does not exist yet."""
    return Document(path)


def parse(
    data: bytes | str,
    *,
    path: str = "<string>",
    warn: Callable[[str], None] | None = None,
    readers: Iterable[Reader] = (),
) -> Document:
    """Parse .env content.  Raises :class:`DotenvError` on malformed input.

    ``readers`` are the programs the file is written for.  With
    ``dotenv-expand`` among them, ``\\$`` reads as ``$``, as it does for
    dotenv-expand: that is how Stagecraft writes a ``$`` for it, so a file it
    wrote reads back as the values it was given.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DotenvError(path, _line_of(data, exc.start), "invalid UTF-8") from None
    else:
        text = data
        try:
            data = text.encode("utf-8")  # lone surrogates cannot be written back
        except UnicodeEncodeError as exc:
            raise DotenvError(
                path, _line_of(text, exc.start), "text that cannot be encoded as UTF-8"
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    chosen = frozenset(readers)
    expand = Reader.DOTENV_EXPAND in chosen
    # A ${...} that python-dotenv and compose expand gets a warning (when they may
    # read the file), which only the full parser words.
    expansions = not chosen or bool(chosen & {Reader.PYTHON_DOTENV, Reader.DOCKER_COMPOSE})
    simple = not (expansions and "${" in text) and not (expand and "$" in text)
    values = _parse_fast(text) if simple else None
    if values is not None:
        return Document(path, data, values=_unescape_dollars(values) if expand else values)
    parsed = _parse_full(text, path, expansions=expansions, dotenv_expand=expand)
    if warn is not None:
        for message in parsed.warnings:
            warn(message)
    values = _unescape_dollars(parsed.values) if expand else parsed.values
    return Document(path, data, values=values, warnings=parsed.warnings)


def _unescape_dollars(values: dict[str, str]) -> dict[str, str]:
    return {key: value.replace("\\$", "$") for key, value in values.items()}


def load(
    path: pathlib.Path,
    *,
    warn: Callable[[str], None] | None = None,
    readers: Iterable[Reader] = (),
) -> Document:
    """Read and parse a .env file; errors name the path.  See :func:`parse`."""
    return parse(read_bytes(path, what="env file"), path=str(path), warn=warn, readers=readers)


# --------------------------------------------------------------------------- writing
#
# Models of how each reader decodes the text after "KEY=".  Each returns the value
# the reader would produce, or None when it would fail, decode something else,
# expand or run something, or read past the end of the line (swallowing the next
# one).  _PROBE follows the value with lines that end in each quote character, so a
# reader that does not stop at the end of our value finds a closing quote there
# and shows it.  The models are written from the readers' source and checked
# against the real programs by tests/test_dotenv_roundtrip.py; compose-go cannot
# run here, so its model follows the facts observed with it and, where those
# leave a case open, calls it unreadable.

_PROBE = "\n#'\n#\"\n#`\nNEXT='\"`'\"`\n"

_PD_SINGLE = _lazy_re(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_PD_DOUBLE = _lazy_re(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_PD_SINGLE_ESCAPES = _lazy_re(r"\\[\\']")
_PD_DOUBLE_ESCAPES = _lazy_re(r"\\[\\'\"abfnrtv]")
_PD_SPACE = _lazy_re(r"[^\S\r\n]*")
_PD_COMMENT = _lazy_re(r"\s+#.*")
#: What python-dotenv's interpolation replaces: ``${NAME}`` or ``${NAME:-default}``
#: with the closing brace; a ``${`` without one stays as written.
_PD_VARIABLE = _lazy_re(r"\$\{[^}:]*(?::-[^}]*)?\}")
_PD_CODES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _pd_unescape(match: re.Match[str]) -> str:
    char = match.group()[1]
    return _PD_CODES.get(char, char)


def _read_python_dotenv(form: str) -> str | None:
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
        match = (_PD_SINGLE if quote == "'" else _PD_DOUBLE).match(stripped + _PROBE)
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
    if "${" in value and _PD_VARIABLE.search(value) is not None:
        return None
    return value


_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_S = f"[{_JS_SPACE}]"
_JS_END = r"(?=[\n\r\u2028\u2029]|\Z)"
_JS_START = r"(?:(?<=[\n\r\u2028\u2029])|\A)"
_ND_LINE = _lazy_re(
    rf"{_JS_S}*(?:export{_JS_S}+)?([A-Za-z0-9_.-]+)(?:{_JS_S}*={_JS_S}*?|:{_JS_S}+?)"
    rf"({_JS_S}*'(?:\\'|[^'])*'|{_JS_S}*\"(?:\\\"|[^\"])*\"|{_JS_S}*`(?:\\`|[^`])*`|[^#\r\n]+)?"
    rf"{_JS_S}*(?:#[^\n\r\u2028\u2029]*)?{_JS_END}"
)
_ND_UNQUOTE = _lazy_re(rf"{_JS_START}(['\"`])([\s\S]*)\1{_JS_END}")
_JS_TRIM = _lazy_re(rf"^{_JS_S}+|{_JS_S}+\Z")


def _read_node_dotenv(form: str) -> str | None:
    """Node dotenv 16-18 ``parse`` (the default, regex-based parser)."""
    line = "K=" + form
    text = _RAW_BREAK.sub("\n", line + _PROBE)
    match = _ND_LINE.match(text)
    if match is None or match.group(1) != "K":
        return None
    if match.group(2) is not None and match.end(2) > len(_RAW_BREAK.sub("\n", line)):
        return None  # the value ran into the following lines
    value = _JS_TRIM.sub("", match.group(2) or "")
    quote = value[:1]
    value = _ND_UNQUOTE.sub(r"\2", value)
    if quote == '"':
        value = value.replace("\\n", "\n").replace("\\r", "\r")
    return value


#: Characters compose-go trims before a value (its isSpace) and after an
#: unquoted one (Go's unicode.IsSpace).
_GO_LEFT_SPACE = "\t\v\f\r \x85\xa0"
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000"
)
_DC_CODES = {**_PD_CODES, "\\": "\\"}
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


def _read_docker_compose(form: str) -> str | None:
    """compose-go's dotenv parser (docker compose v2), as observed (v2.13.0)."""
    text = form.lstrip(_GO_LEFT_SPACE)
    quote = text[:1]
    if quote in ("'", '"'):
        scanned = _go_quoted(text + _PROBE, quote)
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


#: Plain words a shell assigns as written: no quoting, expansion, globbing,
#: tilde, comment or command character.
_SHELL_PLAIN = _lazy_re(r"[A-Za-z0-9_./:+=@%,^-]*")
_SHELL_NAME = _lazy_re(r"[A-Za-z_][A-Za-z0-9_]*")
#: Names bash keeps for itself (read-only, or a value it recomputes on every
#: read or command), so an assignment in the file does not read back.
_SHELL_RESERVED = frozenset(
    {
        "_", "BASHOPTS", "BASHPID", "BASH_ALIASES", "BASH_ARGC", "BASH_ARGV", "BASH_ARGV0",
        "BASH_CMDS", "BASH_COMMAND", "BASH_LINENO", "BASH_SOURCE", "BASH_SUBSHELL",
        "BASH_VERSINFO", "BASH_VERSION", "COMP_WORDBREAKS", "DIRSTACK", "EPOCHREALTIME",
        "EPOCHSECONDS", "EUID", "FUNCNAME", "GROUPS", "HISTCMD", "LINENO", "OLDPWD", "OPTIND",
        "PPID", "PWD", "RANDOM", "SECONDS", "SHELLOPTS", "SHLVL", "SRANDOM", "UID",
    }
)


def _read_shell(form: str) -> str | None:
    """POSIX sh (bash, dash) running the line ``K=form`` under ``set -a``.

    Only forms that are read without running or expanding anything: a plain
    word of safe characters, ``'...'`` (literal, no ``'`` inside), or ``"..."``
    without ``$`` or backticks (``\\$ \\` \\" \\\\`` and backslash-newline are
    the only escapes; any other backslash stays).
    """
    if "\x00" in form:
        return None  # a shell drops NUL bytes
    quote = form[:1]
    if quote == "'":
        return form[1:-1] if form.find("'", 1) == len(form) - 1 else None
    if quote != '"':
        return form if _SHELL_PLAIN.fullmatch(form) else None
    out: list[str] = []
    index, end = 1, len(form)
    while index < end:
        char = form[index]
        if char == "\\" and index + 1 < end:
            following = form[index + 1]
            if following in '$`"\\':
                out.append(following)
                index += 2
                continue
            if following == "\n":
                index += 2
                continue
        elif char in "$`":
            return None
        elif char == '"':
            return "".join(out) if index == end - 1 else None
        out.append(char)
        index += 1
    return None


_UNESCAPED_DOLLAR = _lazy_re(r"(?<!\\)\$")
#: What either dotenv-expand expands: $NAME, ${...}, or (the older one) $ and a word.
_DE_EXPANDS = _lazy_re(r"(?<!\\)\$[\w{]")


def _runs_command(text: str) -> bool:
    """Whether dotenv-expand 1000.x finds a ``$(...)`` to run in ``text``.

    It looks for ``$(`` whatever precedes it (a backslash does not stop it) and
    runs the text up to the matching ``)``, tracking quotes and nested parentheses.
    """
    start = text.find("$(")
    while start != -1:
        levels: list[str | None] = [None]  # the open quote at each nesting level
        index, end = start + 2, len(text)
        while index < end:
            quote, char = levels[-1], text[index]
            if quote == "'":
                if char == "'":
                    levels[-1] = None
                index += 1
            elif quote is not None:
                if char == "\\":
                    index += 2
                    continue
                if char == quote:
                    levels[-1] = None
                elif char == "$" and text[index + 1 : index + 2] == "(":
                    levels.append(None)
                    index += 1
                index += 1
            elif char == "\\":
                index += 2
            else:
                if char in "'\"`":
                    levels[-1] = char
                elif char == "(":
                    levels.append(None)
                elif char == ")":
                    levels.pop()
                    if not levels:
                        return True
                index += 1
        start = text.find("$(", start + 2)
    return False


def _read_dotenv_expand(form: str) -> str | None:
    """Node dotenv, then dotenv-expand (1000.x, and the older copy in @next/env).

    Every ``$`` must reach dotenv-expand escaped as ``\\$``: both versions
    expand ``$NAME`` and ``${...}`` (the older one any ``$`` followed by a word
    character), and both then turn every ``\\$`` into ``$``.  1000.x also runs
    ``$(...)`` as a command, escaped or not: such a value is unreadable.
    """
    value = _read_node_dotenv(form)
    if value is None or "$" not in value:
        return value
    if _UNESCAPED_DOLLAR.search(value) is not None or _runs_command(value):
        return None
    return value.replace("\\$", "$")


_MODELS: dict[Reader, Callable[[str], str | None]] = {
    Reader.PYTHON_DOTENV: _read_python_dotenv,
    Reader.NODE_DOTENV: _read_node_dotenv,
    Reader.DOCKER_COMPOSE: _read_docker_compose,
    Reader.SHELL: _read_shell,
    Reader.DOTENV_EXPAND: _read_dotenv_expand,
}


def _read_ours(form: str, readers: AbstractSet[Reader] = frozenset()) -> str | None:
    """This parser's reading of ``K=form`` (as :func:`parse` with ``readers``)."""
    try:
        parsed = _parse_full(f"K={form}\nN=1\n", "<value>", expansions=False)
    except DotenvError:
        return None
    if parsed.values.get("N") != "1" or len(parsed.values) != 2 or parsed.warnings:
        return None
    value = parsed.values.get("K")
    if value is not None and Reader.DOTENV_EXPAND in readers:
        value = value.replace("\\$", "$")
    return value


def _plain_is_tidy(value: str) -> bool:
    """Plain text that no reader could mistake: printable, no line separators."""
    import unicodedata  # only this slow path needs it

    for char in value:
        if char != "\t" and unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs"):
            return False
    return True


def _spellings(text: str) -> Iterator[str]:
    """Forms of ``text`` to try, most readable first.  Line breaks go escaped on
    one line when possible, so line-based tools and CRLF files see one line per
    key; raw ones are for shells, which do not decode ``\\n``."""
    if _plain_is_tidy(text):
        yield text
    breaks = text.replace("\r", "\\r").replace("\n", "\\n")
    if breaks != text:
        yield f'"{breaks}"'
    yield f"'{text}'"
    yield f'"{breaks}"'
    yield f'"{text}"'
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    yield '"' + escaped.replace("\r", "\\r").replace("\n", "\\n") + '"'
    yield f'"{escaped}"'
    yield "'" + text.replace("'", "\\'") + "'"
    yield "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _candidates(value: str, readers: AbstractSet[Reader] = DEFAULT_READERS) -> list[str]:
    """Distinct forms to try for ``value``.  For dotenv-expand every ``$`` is
    written ``\\$`` (the only way it passes unexpanded)."""
    text = value
    if Reader.DOTENV_EXPAND in readers and "$" in value:
        text = value.replace("$", "\\$")
    return list(dict.fromkeys(_spellings(text)))


def _first_form(value: str, readers: AbstractSet[Reader]) -> str | None:
    """The first candidate every reader in ``readers`` and this parser read as ``value``."""
    models = [_MODELS[reader] for reader in sorted(readers)]
    for form in _candidates(value, readers):
        if _read_ours(form, readers) == value and all(model(form) == value for model in models):
            return form
    return None


def _why(value: str, reader: Reader) -> str:
    """Why ``reader`` alone (with this parser) cannot carry ``value``."""
    multiline = "\n" in value or "\r" in value
    if reader is Reader.PYTHON_DOTENV and _PD_VARIABLE.search(value) is not None:
        return "python-dotenv expands '${...}' in every quoting style and has no escape for it"
    if reader is Reader.DOTENV_EXPAND and _runs_command(value.replace("$", "\\$")):
        return "dotenv-expand runs '$(...)' as a command, escaped or not"
    if reader is Reader.SHELL:
        if "\r" in value:
            return (
                "a shell keeps a carriage return only written raw, and this parser reads "
                "a raw one as a line break"
            )
        if "'" in value and ("$" in value or "`" in value):
            return (
                "a shell expands '$' and '`' outside single quotes, and single quotes "
                "cannot hold the value's single quote"
            )
    if reader is Reader.DOCKER_COMPOSE and "'" in value and "$" in value:
        return (
            "docker compose expands '$' outside single quotes, and single quotes cannot "
            "hold the value's single quote"
        )
    node_like = reader in (Reader.NODE_DOTENV, Reader.DOTENV_EXPAND)
    if node_like and multiline and "'" in value and '"' in value:
        return (
            f"{reader.value} has no escape for quotes, and a value that spans lines and "
            "holds both quote kinds needs one"
        )
    if value.endswith("\\"):
        return (
            f"it ends with a backslash and needs quotes, which {reader.value} would not "
            "close there"
        )
    return f"{reader.value} reads no plain or quoted spelling of it back unchanged"


def _reason(value: str, readers: frozenset[Reader]) -> str:
    if "\x00" in value:
        return "it contains a NUL character, which no environment variable can hold"
    if _SURROGATE.search(value) is not None:
        return "it is not valid Unicode text (lone surrogate)"
    alone = [reader for reader in sorted(readers) if _first_form(value, {reader}) is None]
    if alone:
        return "; ".join(_why(value, reader) for reader in alone)
    names = ", ".join(reader.value for reader in sorted(readers))
    reason = f"{names} can each read it back, but no single spelling reads the same in all"
    if "$" in value and Reader.DOTENV_EXPAND in readers and len(readers) > 1:
        reason += (
            " (dotenv-expand needs each '$' written as '\\$', which the others keep "
            "with its backslash, except docker compose and a shell in double quotes)"
        )
    return reason


def shell_key_problem(key: str) -> str | None:
    """Why a shell cannot assign ``key`` from an env file, or None when it can."""
    if _SHELL_NAME.fullmatch(key) is None:
        return (
            "a shell cannot assign it: a shell variable name is letters, digits and '_', "
            "not starting with a digit"
        )
    if key in _SHELL_RESERVED:
        return (
            "bash keeps this variable for itself (read-only or recomputed), so it would "
            "not read back"
        )
    return None


#: Values made only of these characters (most secrets: tokens, URLs, base64)
#: are written plain: every default reader model and this parser read them
#: back unchanged (tests/test_dotenv_readers.py checks each character and mixes
#: of them against the models), so the models need not run for them.  The
#: shell and dotenv-expand have a narrower set (no glob, tilde or '$').
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./:+=@%,~^*!?&()\[\]{}<>|;-]+")
_SHELL_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./:+=@%,^-]+")
_SURROGATE = _lazy_re("[\ud800-\udfff]")


def format_value(key: str, value: str, readers: Iterable[Reader] = DEFAULT_READERS) -> str:
    """The text to write after ``KEY=`` so every reader in ``readers`` reads ``value``.

    Raises :class:`UnwritableValueError` (naming the key and why, not the value).
    """
    chosen = frozenset(Reader(reader) for reader in readers)
    if Reader.SHELL in chosen:
        problem = shell_key_problem(key)
        if problem is not None:
            raise UnwritableValueError(key, problem)
        if _SHELL_PLAIN_SAFE.fullmatch(value):
            return value
    elif _PLAIN_SAFE.fullmatch(value):
        return value
    if "\x00" not in value and _SURROGATE.search(value) is None:
        form = _first_form(value, chosen)
        if form is not None:
            return form
    raise UnwritableValueError(key, _reason(value, chosen))
