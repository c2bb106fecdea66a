"""Lossless .env documents: parse, read, edit one key, write back.

The public face of the env-file model; each concept has its own module:

* :mod:`~stagecraft.dotenv.document`: :class:`Document`, which keeps every byte
  of the file it was parsed from, so a sync that changes one key leaves the
  rest of the file exactly as it was;
* :mod:`~stagecraft.dotenv.reading`: :func:`parse` and :func:`load`, through
  the fast path (:mod:`~stagecraft.dotenv.fast_parse`) or the full parser
  (:mod:`~stagecraft.dotenv.full_parse`, which states the reading rules);
* :mod:`~stagecraft.dotenv.writer`: :func:`format_value`, the spelling every
  chosen :class:`Reader` reads back unchanged (it states the writing rules);
* :mod:`~stagecraft.dotenv.readers`: a model of each program that reads env
  files (python-dotenv, Node dotenv, docker compose, a shell, dotenv-expand);
* :class:`DotenvError` and :class:`UnwritableValueError`, defined with every
  other error in :mod:`stagecraft.errors`.
"""

from __future__ import annotations

from stagecraft.dotenv.document import Document, new_document
from stagecraft.dotenv.grammar import is_valid_key
from stagecraft.dotenv.readers.reader import ALL_READERS, DEFAULT_READERS, Reader
from stagecraft.dotenv.reading import load, parse
from stagecraft.dotenv.writer import format_value
from stagecraft.errors import DotenvError, UnwritableValueError

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
