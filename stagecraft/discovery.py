"""Entry points of the ``stagecraft`` group, remembered between runs while nothing changed.

Why this module exists: :mod:`importlib.metadata` is the source of truth for
installed plugins, but importing it (it pulls in ``email``, ``zipfile``,
``csv``, ``socket``...) and reading every distribution's metadata costs about
as much as the rest of a small ``stagecraft secrets sync``.  Its answer can
only change when the files it reads change, so the answer is stored in a cache
file next to a *fingerprint* of those files and reused while the fingerprint
still matches.  On any doubt the real :mod:`importlib.metadata` runs.

The fingerprint is ``os.stat`` (modification and change times in ns, size,
inode) of:

* every ``sys.path`` entry (a directory's time changes whenever a
  distribution is installed into it or removed from it, since ``*.dist-info``
  directories are created and deleted; a zip file's whenever it is rewritten);
* in each directory, every ``*.dist-info`` / ``*.egg-info`` (and an egg's
  ``EGG-INFO``): its ``entry_points.txt``, ``METADATA`` and ``PKG-INFO``, so
  a file edited in place is noticed too.

The cache key holds the interpreter, ``sys.path`` (with ``''`` made absolute)
and the group, so each environment has its own file.

The cache is not used (and the real scan runs) when:

* ``STAGECRAFT_NO_CACHE`` is set to a non-empty value;
* a finder on ``sys.meta_path`` other than the standard path finder can
  provide distributions (the fingerprint would not cover what it sees);
* the cache directory or file is not owned by the current user or is writable
  by others: the file names modules that will be imported;
* anything changed less than two seconds before the scan: file times are
  coarse, and a change within the same tick would not be visible (the
  "racily clean" problem), so such a fingerprint is not trusted and not stored.

The change time (``st_ctime``) is there because nobody can set it: a tool
that copies files keeping their modification times (``cp -p``,
``shutil.copy2``) or an edit that puts the old time back still changes it.

The cache lives in ``$STAGECRAFT_CACHE_DIR``, else ``$XDG_CACHE_HOME/stagecraft``,
else ``~/.cache/stagecraft``; files not rewritten for 30 days are removed
when another is written.  A file is only used when its fingerprint covers
every ``sys.path`` entry (one that watched nothing would match forever).
It is written with :mod:`marshal`, the format of ``__pycache__`` files, which
needs no import and has the same trust model: a private file of the user's
own.  Errors reading or writing it are ignored.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import sys
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

ENV_CACHE_DIR = "STAGECRAFT_CACHE_DIR"
ENV_NO_CACHE = "STAGECRAFT_NO_CACHE"

#: Bump when the stored layout changes; older files are then ignored.
CACHE_FORMAT = 2
#: Files changed more recently than this before a scan make its fingerprint untrusted.
RACY_NS = 2_000_000_000

#: ``importlib.metadata.EntryPoint.pattern``: ``module[.sub][:attr[.attr]] [extras]``
#: (compiled, and cached by :mod:`re`, when a plugin is loaded, not at import).
_VALUE = r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"
_DIST_SUFFIXES = (".dist-info", ".egg-info")
_DIST_FILES = ("entry_points.txt", "METADATA", "PKG-INFO")

Stat = tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode


class EntryPointRecord(NamedTuple):
    """One entry point with its distribution, as :mod:`importlib.metadata` reported it."""

    name: str
    value: str
    dist_name: str | None
    dist_version: str | None

    def load(self) -> Any:
        """Import the object the entry point names, as ``EntryPoint.load()`` does."""
        import functools
        import importlib

        match = re.match(_VALUE, self.value)
        if match is None:
            raise ValueError(f"entry point value {self.value!r} is not 'module:attribute'")
        module = importlib.import_module(match.group("module"))
        attributes = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attributes, module)


def entry_points(group: str) -> tuple[EntryPointRecord, ...]:
    """The entry points of ``group`` in :mod:`importlib.metadata`'s order, cached when safe."""
    cache = _cache_file(group)
    if cache is None:
        return scan(group)
    path, key = cache
    cached = _read(path, key)
    if cached is not None:
        return cached
    now = time.time_ns()
    watched = _watched_paths(key[2])
    stats = tuple(_stat(p) for p in watched)  # taken before the scan: a later change shows
    records = scan(group)
    if all(s is None or max(s[0], s[1]) < now - RACY_NS for s in stats):
        _write(path, (CACHE_FORMAT, key, watched, stats, records))
    return records


def scan(group: str) -> tuple[EntryPointRecord, ...]:
    """Ask :mod:`importlib.metadata` itself (no cache)."""
    from importlib import metadata

    found = []
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        if dist is None:
            found.append(EntryPointRecord(ep.name, ep.value, None, None))
        else:
            found.append(EntryPointRecord(ep.name, ep.value, dist.metadata["Name"], dist.version))
    return tuple(found)


def cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """Where cache files go, or None when caching is turned off."""
    env = os.environ if environ is None else environ
    if env.get(ENV_NO_CACHE):
        return None
    configured = env.get(ENV_CACHE_DIR)
    if configured:
        return os.path.abspath(configured)
    xdg = env.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return os.path.join(xdg, "stagecraft")
    home = os.path.expanduser("~")
    if not os.path.isabs(home):  # no HOME and no password entry: nowhere sensible
        return None
    return os.path.join(home, ".cache", "stagecraft")


def is_private(st: os.stat_result) -> bool:
    """Owned by the current user and writable by no one else."""
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022


# -- internals ---------------------------------------------------------------------


def _cache_file(group: str) -> tuple[str, tuple[Any, ...]] | None:
    directory = cache_dir()
    if directory is None or not _only_path_finder():
        return None
    if not all(isinstance(entry, str) for entry in sys.path):
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed: importlib.metadata copes
        return None
    # Relative entries are joined to the working directory but not normalised:
    # "link/../site" is wherever the OS takes it, as importlib.metadata sees it.
    entries = tuple(
        entry if os.path.isabs(entry) else os.path.join(cwd, entry) if entry else cwd
        for entry in sys.path
    )
    key = (sys.implementation.cache_tag, sys.executable, entries, group)
    name = f"entry-points-{_fnv1a(repr(key).encode('utf-8', 'surrogateescape')):016x}.marshal"
    return os.path.join(directory, name), key


def _fnv1a(data: bytes) -> int:
    """64-bit FNV-1a: a file name per key without importing ``zlib`` or ``hashlib``.

    A collision only costs a cache miss: the file stores the whole key and is
    checked against it.
    """
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _only_path_finder() -> bool:
    """True when only the standard path finder can list distributions."""
    from importlib.machinery import PathFinder

    return all(
        finder is PathFinder or not hasattr(finder, "find_distributions")
        for finder in sys.meta_path
    )


def _stat(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def _watched_paths(entries: tuple[str, ...]) -> tuple[str, ...]:
    """Each ``sys.path`` entry, then the metadata files of every distribution in it."""
    watched: list[str] = []
    for entry in entries:
        watched.append(entry)
        try:
            with os.scandir(entry) as children:
                names = sorted(child.name for child in children)
        except (OSError, ValueError):
            continue  # a zip file, or missing: its own stat covers it
        egg = entry.lower().endswith(".egg")
        for name in names:
            lower = name.lower()
            if lower.endswith(_DIST_SUFFIXES) or (egg and lower == "egg-info"):
                dist = os.path.join(entry, name)
                watched.append(dist)
                watched.extend(os.path.join(dist, file) for file in _DIST_FILES)
    return tuple(watched)


def _read(path: str, key: tuple[Any, ...]) -> tuple[EntryPointRecord, ...] | None:
    try:
        with open(path, "rb") as stream:
            if not (is_private(os.fstat(stream.fileno()))
                    and is_private(os.stat(os.path.dirname(path)))):
                return None
            # Same trust model as __pycache__: a private file of the user's own,
            # checked above; the loaded structure is type-checked below.
            data = marshal.load(stream)  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 5
            and data[0] == CACHE_FORMAT and data[1] == key):
        return None
    _, _, watched, stats, records = data
    if not (isinstance(watched, tuple) and isinstance(stats, tuple)
            and len(watched) == len(stats) and all(isinstance(p, str) for p in watched)):
        return None
    if not _covers(key[2], watched):
        return None
    if tuple(_stat(p) for p in watched) != stats:
        return None
    return _records(records)


def _covers(entries: tuple[str, ...], watched: tuple[str, ...]) -> bool:
    """The file watches every ``sys.path`` entry, and nothing outside them.

    A file that watched nothing would match forever, whatever is installed.
    """
    inside = tuple(entry.rstrip(os.sep) + os.sep for entry in entries)
    named = set(entries)
    return named <= set(watched) and all(p in named or p.startswith(inside) for p in watched)


def _records(raw: object) -> tuple[EntryPointRecord, ...] | None:
    if not isinstance(raw, tuple):
        return None
    out = []
    for item in raw:
        if not (isinstance(item, tuple) and len(item) == 4
                and isinstance(item[0], str) and isinstance(item[1], str)
                and all(v is None or isinstance(v, str) for v in item[2:])):
            return None
        out.append(EntryPointRecord(*item))
    return tuple(out)


def _write(path: str, data: tuple[Any, ...]) -> None:
    directory = os.path.dirname(path)
    temp = f"{path}.{os.getpid()}.{time.monotonic_ns()}.tmp"
    try:
        if not _private_directory(directory):
            return
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as stream:
                marshal.dump((data[0], data[1], data[2], data[3],
                              tuple(tuple(r) for r in data[4])), stream)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _prune(directory, keep=path)
    except (OSError, ValueError):
        return


def _private_directory(directory: str) -> bool:
    """``directory`` exists, or was made (``0700``), and is private.

    Missing parents are made only inside a tree the current user owns: run
    as root with another user's ``HOME`` (``sudo -E``), this would otherwise
    leave a root-owned ``~/.cache`` in that user's home.
    """
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        ancestor = os.path.dirname(directory)
        while not os.path.exists(ancestor) and ancestor != os.path.dirname(ancestor):
            ancestor = os.path.dirname(ancestor)
        if os.stat(ancestor).st_uid != os.geteuid():
            return False
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.stat(directory)
    return os.path.isdir(directory) and is_private(st)


#: Cache files not rewritten for this long are removed (one file per
#: environment and ``sys.path``, so old virtualenvs and temporary
#: directories would otherwise pile up); so are temporary files of writers
#: that were killed, after an hour.
STALE_CACHE_NS = 30 * 86_400 * 1_000_000_000
STALE_TEMP_NS = 3_600 * 1_000_000_000


def _prune(directory: str, *, keep: str) -> None:
    now = time.time_ns()
    with os.scandir(directory) as children:
        for child in children:
            if child.path == keep or not child.name.startswith("entry-points-"):
                continue
            limit = STALE_TEMP_NS if child.name.endswith(".tmp") else STALE_CACHE_NS
            with contextlib.suppress(OSError):
                if now - child.stat(follow_symlinks=False).st_mtime_ns > limit:
                    os.unlink(child.path)
