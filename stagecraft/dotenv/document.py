"""The lossless document: a parsed .env file that renders back to its exact bytes.

A sync that changes one key leaves comments, blank lines, ``export`` prefixes,
line endings (CRLF, lone CR), a UTF-8 BOM and a missing final newline exactly
as they were.  Values are read once at parse time and nothing is kept per
line: edits are recorded by key, and writing finds the lines they touch in one
scan, because most documents are only read and a written one is written once.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Iterator, Mapping

from stagecraft.dotenv.fast_parse import locate
from stagecraft.dotenv.grammar import EOL, is_valid_key
from stagecraft.dotenv.readers.reader import ALL_READERS, Reader
from stagecraft.dotenv.writer import format_value
from stagecraft.errors import UserError
from stagecraft.redact import Structural

#: Readers for which a lone CR does not end a line (python-dotenv and Node take
#: it as one; compose-go and the shells keep it in the line).  A shell keeps the
#: CR of a CRLF too, in the value before it.
_LINE_READERS = frozenset({Reader.DOCKER_COMPOSE, Reader.SHELL})
_NO_CR, _CRLF, _LONE_CR = 0, 1, 2
_BOM = "\ufeff".encode()


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
                Structural(
                    f"{self.path}: cannot write {key!r}: the file ends lines with a lone carriage "
                    f"return, which is no line end to {names}; convert it to LF line ends")
            )
        if Reader.SHELL in chosen:
            raise UserError(
                Structural(
                    f"{self.path}: cannot write {key!r}: the file has CRLF line ends, and a shell "
                    "keeps the carriage return in the value before it; convert it to LF line ends")
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
            raise UserError(
                Structural(f"invalid key {key!r}: a key is ASCII letters, digits, '_', '.' or '-'")
            )
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
        spans = locate(text, self.path, self._changed.keys() | self._removed)
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
            found = EOL.search(text)
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


def new_document(path: str = "<new>") -> Document:
    """An empty document for a file that does not exist yet."""
    return Document(path)



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
