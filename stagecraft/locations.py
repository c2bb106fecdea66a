"""``--from`` / ``--to``: which store and which place in it.

A location is written ``ID:LOCATION`` (``vault:secret/app``,
``envfile:.env.staging``, ``encore:dev,local``) where ``ID`` is a registered
store.  Without a prefix the v1 meanings hold: ``--to`` is a location in the
chosen provider (``--provider`` or ``secrets.provider``) and ``--from`` is an
env file.  So that a typo in the prefix is not taken for a file name,
``word:rest`` whose word names no store is an error with a did-you-mean --
unless the whole text is an existing path, or the word belongs to the
target store's own grammar (:attr:`~stagecraft.store_base.StoreBase.reserved_prefixes`,
Encore's ``env:staging``).  A path holding a colon is written ``./a:b.env``.
A bare location that is exactly a store id (``--to vault``) is an error too:
it is almost always a forgotten ``:LOCATION``, and taken as a file name it
would write every secret in plain text to ``./vault``.  ``./vault`` is the file.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from stagecraft import dotenv
from stagecraft.context import Context
from stagecraft.errors import (
    BareStoreIdError,
    UnknownStoreError,
    UserError,
    did_you_mean,
    printable,
)
from stagecraft.providers.registry import Registry
from stagecraft.redact import Structural
from stagecraft.store_base import StoreBase

__all__ = [
    "ENV_FILE", "STDIN", "BareStoreIdError", "EnvFileSource", "Endpoint", "UnknownStoreError",
    "split",
]

#: ``ID:`` as a store id can be spelled (the registry's id rules).
_PREFIX = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*):(.*)", re.DOTALL)


class Endpoint(NamedTuple):
    """One side of a sync: a store and a location in it."""

    store: StoreBase[Any]
    location: str

    def __str__(self) -> str:
        return f"{self.store.id}:{self.location}"

    def shown(self, ctx: Context) -> str:
        """The location as reports (``--json``) name it, by one rule whether it was given
        or a default: a file as an absolute path (``-``, standard input, as it is), any
        other location (a Vault path, an Encore environment) as written."""
        return self.store.shown_location(ctx, self.location)


def split(
    text: str, registry: Registry, *, cwd: Path, reserved: Collection[str] = ()
) -> tuple[str | None, str]:
    """``("vault", "secret/app")`` for ``vault:secret/app``; ``(None, text)`` without a prefix.

    Raises :class:`UnknownStoreError` for a prefix that names no store (see
    the module docstring for when a colon is not a prefix), and
    :class:`BareStoreIdError` for a ``text`` that is a store id and nothing more.
    """
    match = _PREFIX.fullmatch(text)
    if match is None:
        if registry.has(text):
            raise BareStoreIdError(
                Structural(f"{printable(text)}: names the store {text!r}, not a location in it; "
                f"write {printable(text)}:LOCATION for a place in that store, "
                f"or ./{printable(text)} for a file of that name")
            )
        return None, text
    word, rest = match.group(1), match.group(2)
    if registry.has(word):
        return word, rest
    if word in reserved or (cwd / text).exists():
        return None, text
    available = registry.ids()
    raise UnknownStoreError(
        Structural(f"{printable(text)}: {word!r} is not a store id{did_you_mean(word, available)} "
        f"(stores: {', '.join(available) or 'none loaded'}); "
        f"for a file whose name holds a colon, write ./{printable(text)}")
    )


class EnvFileSource(StoreBase[None]):
    """``--from FILE`` without a prefix: an env file read by the core's own reader.

    Not registered: it only reads, so any store can be fed from a plain env
    file whether or not the envfile distribution is installed.  ``-`` is
    standard input (``sops -d prod.env | stagecraft secrets sync --from -``),
    so decrypted values need not touch the disk; the engine registers them
    for masking like those of any source.
    """

    id = "env file"

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        if location == STDIN:
            values = _stdin_values(ctx)
            return values if keys is None else {k: values[k] for k in keys if k in values}
        path = ctx.resolve(location)
        if location.endswith("/"):
            raise UserError(Structural(f"{path}: names a directory; the source is an env file"))
        values = dotenv.load(path, warn=ctx.logger.warning).values()
        if keys is None:
            return values
        return {key: values[key] for key in keys if key in values}

    def shown_location(self, ctx: Context, location: str) -> str:
        return location if location == STDIN else str(ctx.resolve(location))

    def normalise_location(self, ctx: Context, location: str) -> str:
        if location == STDIN:
            return "stdin:"
        from stagecraft.files import real_path

        return f"file:{real_path(ctx.resolve(location))}"


#: ``--from -``: the env file arrives on standard input.
STDIN = "-"


def _stdin_values(ctx: Context) -> Mapping[str, str]:
    import sys

    stream = sys.stdin
    if stream is None:
        raise UserError(
            Structural("--from -: there is no standard input to read the env file from")
        )
    try:
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    except (OSError, ValueError) as exc:
        raise UserError(f"--from -: cannot read standard input: {exc}") from None
    return dotenv.parse(data, path="<stdin>", warn=ctx.logger.warning).values()


ENV_FILE = EnvFileSource()
