"""Reading an env file into a :class:`~stagecraft.dotenv.document.Document`.

The fast path reads most files; the full parser reads the rest and words
every warning.  Errors name the file and line, never a value.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterable

from stagecraft.dotenv.document import Document
from stagecraft.dotenv.fast_parse import parse_fast
from stagecraft.dotenv.full_parse import parse_full
from stagecraft.dotenv.grammar import count_breaks
from stagecraft.dotenv.readers.reader import Reader
from stagecraft.errors import DotenvError
from stagecraft.files import read_bytes


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
    values = parse_fast(text) if simple else None
    if values is not None:
        return Document(path, data, values=_unescape_dollars(values) if expand else values)
    parsed = parse_full(text, path, expansions=expansions, dotenv_expand=expand)
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


def _line_of(data: bytes | str, index: int) -> int:
    prefix = data[:index]
    if isinstance(prefix, bytes):
        return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1
    return count_breaks(prefix) + 1
