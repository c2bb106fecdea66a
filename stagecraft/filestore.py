"""A base for stores that keep their secrets in one file (env files, JSON, CUE).

A file store says only how its format is parsed, read, edited and
rendered; this class does the rest the same way for every format:

* the location is a path, relative to the working directory (a trailing
  ``/`` names a directory and is refused);
* one sync is one locked read-modify-write (:func:`stagecraft.files.locked_update`):
  the lock is held from the read the plan is made from to the atomic
  replace, so a concurrent sync cannot slip in between;
* the file is rendered and written once, after every change, atomically,
  ``0600`` when new, mode kept, and not at all when nothing changed or on a
  dry run.

Subclasses implement :meth:`FileStore.parse`, :meth:`FileStore.values`,
:meth:`FileStore.set`, :meth:`FileStore.remove` (for ``--prune``) and
:meth:`FileStore.render`.  A file that holds its format encoded (an
encrypted env file) adds :meth:`FileStore.decode` and :meth:`FileStore.encode`:
the decoded text lives only in memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from stagecraft.context import Context
from stagecraft.errors import UserError, printable
from stagecraft.files import LockedFile, exposure, locked_update, read_bytes, real_path
from stagecraft.redact import Structural
from stagecraft.store import NoSuchLocationError, SecretStore, StoreSession

__all__ = ["FileStore"]

D = TypeVar("D")

#: Keys edited between two checks for cancellation: a Ctrl-C during the edit of a
#: large file stops within a fraction of a second, before anything is written.
CHECK_EVERY = 2048


class FileStore(SecretStore[Any], Generic[D]):
    """A store whose location is a file; ``D`` is the parsed document's type.

    A file store that declares ``Config`` has it typed by taking
    ``ctx: Context[Config]`` in its methods.  A format that cannot remove a
    key declares ``can_delete = False``.
    """

    location_help = "PATH (a file, relative to the working directory)"
    can_delete = True

    # -- the format: what a subclass implements --------------------------------

    def parse(self, ctx: Context, path: Path, data: bytes | None) -> D:
        """The document in ``data`` (None: the file does not exist yet)."""
        raise NotImplementedError

    def values(self, document: D) -> Mapping[str, str]:
        """Every key of ``document`` with its value."""
        raise NotImplementedError

    def set(self, ctx: Context, document: D, key: str, value: str) -> None:
        """Give ``key`` its new value in ``document``."""
        raise NotImplementedError

    def remove(self, document: D, key: str) -> None:
        """Remove ``key`` from ``document`` (only stores that prune implement it)."""
        raise NotImplementedError

    def render(self, document: D) -> bytes:
        """The file's new content."""
        raise NotImplementedError

    def share(self, document: D, key: str, value: str) -> None:
        """``document`` holds a value equal to ``value`` for ``key``: keep ``value`` instead.

        Optional: a format that can swap in the caller's equal string lets a
        large sync hold each unchanged value once.  It must not count as an edit.
        """

    def may_create(self, ctx: Context, path: Path) -> bool:
        """Whether a missing target may be created (default: yes)."""
        return True

    def decode(self, ctx: Context, path: Path, data: bytes) -> bytes:
        """The format's bytes held in the file's ``data``, before :meth:`parse` (default: as is).

        For a format kept encoded on disk (encrypted): decoding happens in
        memory, and :meth:`encode` turns what :meth:`render` gives back into
        the file's bytes, just before the atomic write, so the decoded text
        never reaches the disk.
        """
        return data

    def encode(self, ctx: Context, path: Path, data: bytes) -> bytes:
        """The file's new bytes for the rendered ``data`` (default: as is); see :meth:`decode`."""
        return data

    # -- the store, in terms of the format ------------------------------------------

    def path(self, ctx: Context, location: str) -> Path:
        """The file a location names; ``--to`` paths are relative to the working directory."""
        if location.endswith("/"):
            raise UserError(
                Structural(f"{self.id}: {printable(location)} names a directory, not a file")
            )
        return ctx.resolve(location)

    def normalise_location(self, ctx: Context, location: str) -> str:
        return f"file:{real_path(self.path(ctx, location))}"

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        path = self.path(ctx, location)
        if not path.exists():
            raise NoSuchLocationError(self.id, location, f"no file {path}")
        data = self.decode(ctx, path, read_bytes(path, what=f"{self.id} file"))
        values = self.values(self.parse(ctx, path, data))
        if keys is None:
            return values
        return {key: values[key] for key in keys if key in values}

    def shown_location(self, ctx: Context, location: str) -> str:
        return str(self.path(ctx, location))

    @contextlib.contextmanager
    def session(
        self, ctx: Context, location: str, *, dry_run: bool
    ) -> Iterator[StoreSession[Any]]:
        path = self.path(ctx, location)
        with locked_update(path, dry_run=dry_run) as file:
            if file.original is None and not self.may_create(ctx, path):
                raise UserError(
                    Structural(f"{path}: target does not exist (and may not be created)")
                )
            session = _FileSession(self, ctx, location, path, file)
            yield session
            session.save()


class _FileSession(StoreSession[Any], Generic[D]):
    """The document of one locked file, edited in memory and written once."""

    store: FileStore[D]

    def __init__(
        self, store: FileStore[D], ctx: Context, location: str, path: Path,
        file: LockedFile,
    ) -> None:
        super().__init__(store, ctx, location)
        self.path = path
        self.file = file
        self._document: D | None = None
        self._edited = False

    @property
    def document(self) -> D:
        if self._document is None:
            original = self.file.original
            data = None if original is None else self.store.decode(self.ctx, self.path, original)
            self._document = self.store.parse(self.ctx, self.path, data)
        return self._document

    def read(self, keys: Collection[str] | None) -> Mapping[str, str]:
        if self.file.original is None:
            raise NoSuchLocationError(self.store.id, self.location, f"no file {self.path}")
        values = self.store.values(self.document)
        if keys is None:
            return values
        return {key: values[key] for key in keys if key in values}

    def write(self, values: Mapping[str, str]) -> None:
        document = self.document
        for count, (key, value) in enumerate(values.items()):
            if count % CHECK_EVERY == 0:
                self.ctx.check()  # a Ctrl-C during a large edit: nothing is written
            self.store.set(self.ctx, document, key, value)
        self._edited = True

    def write_one(self, key: str, value: str) -> Any:
        self.write({key: value})
        return None

    def unchanged(self, values: Mapping[str, str]) -> None:
        if self._document is not None:
            for key, value in values.items():
                self.store.share(self._document, key, value)

    def delete(self, keys: Collection[str]) -> None:
        document = self.document
        for count, key in enumerate(keys):
            if count % CHECK_EVERY == 0:
                self.ctx.check()
            self.store.remove(document, key)
        self._edited = True

    def save(self) -> None:
        """Render and write the file once, if anything was edited (never on a dry run).

        The document is dropped then: what follows the write (the write
        record's update) does not hold a large file's document as well.
        """
        if self._edited and self._document is not None:
            rendered = self.store.render(self._document)
            if self.file.write(self.store.encode(self.ctx, self.path, rendered)):
                warning = exposure(self.path)
                if warning is not None:
                    self.ctx.logger.warning("%s", warning)
        self._document = None
