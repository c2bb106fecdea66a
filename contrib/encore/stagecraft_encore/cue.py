"""Reading and writing Encore's local override file, ``.secrets.local.cue``.

Encore evaluates the whole file as CUE, so a rewrite must never drop or
alter anything the user wrote.  This module therefore understands a small,
exact subset and refuses everything else:

* blank lines and ``//`` comment lines, kept byte for byte;
* one field per line, ``"KEY": "value"`` or ``KEY: "value"`` (a bare label
  must be an identifier and not a CUE keyword), where the value is a
  double-quoted string that decodes as JSON, optionally followed by a
  ``// comment`` (kept when the value is rewritten).  JSON string escapes are a
  subset of CUE's with the same meaning, so a line that decodes as JSON is
  read by Encore exactly the same way.

Anything else (a package clause, braces, commas, ``\"\"\"`` or ``#"..."#``
strings, references, non-string values, duplicate keys, lone surrogates)
is refused with a message naming the file and line.

The writer emits ``json.dumps(key) + ": " + json.dumps(value)`` per secret
(ASCII escapes), which Encore reads back exactly.  Lines that are not
changed keep their original text and line ending, new keys are appended at
the end with the file's line ending.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

import attrs

from stagecraft.providers.secrets import Action
from stagecraft_encore.errors import CueFormatError

#: A CUE identifier as Encore reads secret names (ASCII only, conservatively).
IDENTIFIER = re.compile(r"[A-Za-z$][A-Za-z0-9_$]*")

#: Words a bare label may not be (CUE keywords and predeclared values).
KEYWORDS = frozenset(
    {"package", "import", "for", "in", "if", "let", "true", "false", "null", "func"}
)

# A double-quoted string: no raw quote, backslash or control character
# except as part of an escape; json.loads checks the escapes themselves.
# A line's ending is split off before matching; the optional ``\r`` is a
# lone one on a last line without ``\n`` (whitespace to CUE).
_STRING = r'"(?:[^"\\\x00-\x1f]|\\.)*"'
# What follows the value: blanks, then perhaps a comment (which may hold anything,
# quotes included: CUE ends a comment at the end of the line only).
_FIELD = re.compile(
    rf"(?P<field>[ \t]*(?P<label>{_STRING}|[A-Za-z$][A-Za-z0-9_$]*)[ \t]*:[ \t]*"
    rf"(?P<value>{_STRING}))(?P<rest>[ \t]*(?://[^\r]*)?\r?)"
)
_COMMENT = re.compile(r"[ \t]*//.*")
_BLANK = re.compile(r"[ \t]*\r?")


def is_identifier(name: str) -> bool:
    """Whether ``name`` can name an Encore secret in the override file."""
    return IDENTIFIER.fullmatch(name) is not None


def encode_line(key: str, value: str) -> str:
    """The line the writer emits for one secret."""
    return json.dumps(key, ensure_ascii=True) + ": " + json.dumps(value, ensure_ascii=True)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@attrs.define
class _Line:
    """One line of the file: its text, its line ending and, for a field, its key and value.

    A field's text holds its value, so neither is in the repr.
    """

    text: str = attrs.field(repr=False)
    eol: str
    key: str | None = None
    value: str | None = attrs.field(default=None, repr=False)
    #: What follows a field's value on its line (blanks, a ``//`` comment), kept on rewrite.
    rest: str = ""


@attrs.define
class CueDocument:
    """The override file as lines; fields can be looked up and set.

    Each line keeps its own ending (``\\n``, ``\\r\\n`` or none, for a last
    line without a newline), so rewriting one line leaves the others byte
    for byte; a new line takes the file's first ending (``\\n`` for a new file).
    """

    name: str
    lines: list[_Line] = attrs.field(factory=list, repr=False)
    newline: str = "\n"

    def __repr__(self) -> str:
        return f"<CueDocument {self.name!r} keys={self.keys()!r}>"

    def keys(self) -> list[str]:
        return [line.key for line in self.lines if line.key is not None]

    def values(self) -> dict[str, str]:
        """Secret name to value, in file order."""
        return {
            line.key: line.value
            for line in self.lines
            if line.key is not None and line.value is not None
        }

    def _find(self, key: str) -> _Line | None:
        for line in self.lines:
            if line.key == key:
                return line
        return None

    def set(self, key: str, value: str) -> Action:
        """Set one secret: replace its line in place, or append a new line."""
        existing = self._find(key)
        if existing is not None:
            if existing.value == value:
                return Action.UNCHANGED
            existing.text = encode_line(key, value) + existing.rest
            existing.value = value
            return Action.UPDATED
        if self.lines and not self.lines[-1].eol:
            self.lines[-1].eol = self.newline
        self.lines.append(_Line(encode_line(key, value), self.newline, key, value))
        return Action.ADDED

    def render(self) -> str:
        """The file's text; identical to what was parsed when nothing changed."""
        return "".join(line.text + line.eol for line in self.lines)


def parse(text: str, *, name: str = ".secrets.local.cue") -> CueDocument:
    """Read the subset described in the module docstring, or raise :class:`CueFormatError`."""
    doc = CueDocument(name)
    seen: dict[str, int] = {}
    for number, (raw, eol) in enumerate(_split_lines(text), start=1):
        if number == 1 and eol:
            doc.newline = eol
        where = f"{name}:{number}"
        if _BLANK.fullmatch(raw) or _COMMENT.fullmatch(raw):
            if "\x00" in raw or "\ufeff" in raw:
                raise CueFormatError(f"{where}: NUL or byte-order mark in the file")
            doc.lines.append(_Line(raw, eol))
            continue
        match = _FIELD.fullmatch(raw)
        if match is None:
            raise CueFormatError(
                f"{where}: cannot read this line, so the file is left unchanged; "
                'only `"KEY": "value"` lines (a `// comment` may follow the value), '
                "`//` comments and blank lines are supported"
            )
        if "\x00" in match["rest"] or "\ufeff" in match["rest"]:
            raise CueFormatError(f"{where}: NUL or byte-order mark in the file")
        label = match["label"]
        if label.startswith('"'):
            key = _decode(label, where, what="label")
        elif label in KEYWORDS:
            raise CueFormatError(f"{where}: bare label {label!r} is a CUE keyword; quote it")
        else:
            key = label
        value = _decode(match["value"], where, what=f"value of {key!r}")
        if "\ufeff" in match["value"]:
            raise CueFormatError(f"{where}: byte-order mark inside the value of {key!r}")
        if key in seen:
            raise CueFormatError(f"{where}: {key!r} is already set on line {seen[key]}")
        seen[key] = number
        doc.lines.append(_Line(raw, eol, key, value, match["rest"]))
    return doc


def _split_lines(text: str) -> Iterator[tuple[str, str]]:
    """Each line without its ending, and the ending: ``\\r\\n``, ``\\n`` or ``""`` at the end.

    Only ``\\n`` ends a line, as in CUE; a ``\\r`` elsewhere stays in the text.
    """
    pieces = text.split("\n")
    last = pieces.pop()
    for piece in pieces:
        if piece.endswith("\r"):
            yield piece[:-1], "\r\n"
        else:
            yield piece, "\n"
    if last:
        yield last, ""


def _decode(token: str, where: str, *, what: str) -> str:
    try:
        decoded = json.loads(token)
    except ValueError:
        # The message of json's error could quote the text: do not pass it on.
        raise CueFormatError(
            f"{where}: the {what} uses an escape this reader does not support "
            '(only \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)'
        ) from None
    if not isinstance(decoded, str) or _has_lone_surrogate(decoded):
        raise CueFormatError(f"{where}: the {what} is not a valid string")
    return decoded


def merge(doc: CueDocument, values: Mapping[str, str]) -> list[tuple[str, Action]]:
    """Set every value in ``values`` (in order); returns what happened to each key."""
    return [(key, doc.set(key, value)) for key, value in values.items()]


def iter_refusals(values: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """Keys the writer cannot store faithfully, each with the reason."""
    for key, value in values.items():
        if not is_identifier(key):
            yield key, "not a valid Encore secret name (letter or $, then letters, digits, _ or $)"
        elif _has_lone_surrogate(value):
            yield key, "the value is not valid Unicode text (lone surrogate)"
