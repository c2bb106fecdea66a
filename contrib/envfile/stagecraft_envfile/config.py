"""The ``secrets.providers.envfile`` section of ``stagecraft.yml``."""

from __future__ import annotations

import functools
from typing import Any

import attrs

from stagecraft.dotenv.readers.reader import DEFAULT_READERS, Reader

#: Reader names as written in stagecraft.yml, in a stable order for messages.
READER_NAMES = tuple(sorted(reader.value for reader in Reader))
#: The readers a target is written for when the config names none.
DEFAULT_READER_NAMES = tuple(sorted(reader.value for reader in DEFAULT_READERS))


def _check_readers(_instance: Any, _attribute: attrs.Attribute[Any], value: list[str]) -> None:
    unknown = [name for name in value if name not in READER_NAMES]
    if unknown:
        raise ValueError(
            f"unknown reader(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(READER_NAMES)}"
        )
    if not value:
        raise ValueError(f"list at least one reader ({', '.join(READER_NAMES)})")


@attrs.frozen
class Config:
    """Options of the envfile provider.

    * ``source_file`` / ``target_file``: used when ``--from`` / ``--to`` are
      absent; relative to the directory of ``stagecraft.yml``.
    * ``create_target``: create the target when it does not exist (else fail).
    * ``readers``: the programs that must read the written file back exactly:
      ``python-dotenv``, ``node-dotenv``, ``docker-compose`` (compose v2) -- the
      default, all three -- and ``shell`` (``set -a; . FILE`` in bash or dash)
      and ``dotenv-expand`` (Node dotenv then dotenv-expand: Vite, Next.js).
      A value is written only in a form every listed reader reads the same;
      fewer readers allow more values (``${X}`` only without python-dotenv).
    """

    source_file: str | None = None
    target_file: str | None = None
    create_target: bool = True
    readers: list[str] = attrs.field(
        factory=lambda: list(DEFAULT_READER_NAMES), validator=_check_readers
    )

    @property
    def reader_set(self) -> frozenset[Reader]:
        """The readers as a set; the store asks for it once per key, so it is built once
        per list of names."""
        return _reader_set(tuple(self.readers))


@functools.cache
def _reader_set(names: tuple[str, ...]) -> frozenset[Reader]:
    return frozenset(Reader(name) for name in names)
