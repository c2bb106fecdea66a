"""Atomic, locked, permission-safe writes of files that hold secrets.

Every provider that writes a file goes through :func:`locked_update`:

* the whole read-modify-write holds an exclusive ``flock`` on the target's
  directory, so concurrent syncs into one file never lose each other's keys
  (the lock is on the directory because the atomic rename replaces the
  file's inode, and a lock on a replaced inode protects nothing);
* the new content goes to a temporary file in the same directory, created
  ``0600``, which is fsynced and renamed over the target, and the directory
  is fsynced, so a crash leaves either the old or the new file, never a mix;
* a new file gets mode ``0600``; an existing file keeps its mode, and its
  owner and group (see :func:`check_replaceable`);
* an existing file whose mode lacks the owner's write bit is refused: its
  owner marked it read-only, and the rename would replace it anyway;
* a symlinked target is followed: the real file is replaced, the link stays;
* nothing is written when the content did not change (the mtime stays);
* temporary files left by a killed earlier run are removed, under the lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from stagecraft.errors import (
    FileReadError,
    FileWriteError,
    StagecraftError,
    TargetRefusedError,
)
from stagecraft.redact import Structural

NEW_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
TEMP_SUFFIX = ".stagecraft-tmp"

ErrorT = TypeVar("ErrorT", bound=StagecraftError)


def os_failure(error: type[ErrorT], path: Path | str, doing: str, exc: OSError) -> ErrorT:
    """``error`` saying ``PATH: cannot DOING: REASON`` for an OS call on ``path`` that failed.

    The one wording of a failed file operation: a path and the system's
    reason, composed by the core (never a value), so shown as it is.
    """
    return error(Structural(f"{path}: cannot {doing}: {exc.strerror or type(exc).__name__}"))


def _user_name(uid: int) -> str:
    try:
        import pwd  # only refusals need it

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _group_name(gid: int) -> str:
    try:
        import grp

        return f"{grp.getgrgid(gid).gr_name} (gid {gid})"
    except (ImportError, KeyError):
        return f"gid {gid}"


def check_replaceable(path: Path, status: os.stat_result, *, euid: int | None = None) -> None:
    """Refuse to replace an existing file when its mode, owner or group would be lost.

    * Its mode lacks the owner's write bit (``chmod 444``): the owner marked
      it read-only; replacing it needs only the directory's write bit, so
      without this check it would be replaced anyway.
    * Not running as root (``euid``, default the process's): the new file
      would belong to the user running stagecraft, so a file owned by
      someone else, or with a group that user is not in, is refused before
      anything is written.  As root the owner and group are kept (see
      :func:`atomic_write`).
    """
    mode = stat.S_IMODE(status.st_mode)
    if not mode & stat.S_IWUSR:
        raise TargetRefusedError(
            Structural(
                f"{path}: target is read-only (mode {mode:04o}), so stagecraft will not replace "
                f"it; make it writable (chmod u+w {path}) and sync again, or choose another target")
        )
    euid = os.geteuid() if euid is None else euid
    if euid == 0:
        return
    if status.st_uid != euid:
        raise TargetRefusedError(
            Structural(
                f"{path}: target is owned by {_user_name(status.st_uid)}, "
                f"not by {_user_name(euid)} who runs stagecraft; replacing it would change "
                "its owner; run stagecraft as its owner (or as root, which keeps owner and group)")
        )
    if status.st_gid != os.getegid() and status.st_gid not in os.getgroups():
        raise TargetRefusedError(
            Structural(f"{path}: target's group is {_group_name(status.st_gid)}, which "
            f"{_user_name(euid)} is not a member of; replacing it would change its group; "
            "run stagecraft as a member of that group (or as root)")
        )


def exposure(path: Path) -> str | None:
    """A warning when the file at ``path`` may be read by others than its owner, else None.

    An existing target keeps its mode (replacing it must not change who may
    read it, see :func:`atomic_write`), so a ``0644`` file stays readable by
    everyone once it holds secrets: the user is told, with the fix.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    who = [name for bits, name in ((0o070, "its group"), (0o007, "every user")) if mode & bits]
    if not who:
        return None
    return (
        f"{path}: holds secrets but is open to {' and '.join(who)} (mode {mode:04o}); "
        f"the mode was kept; restrict it with: chmod 600 {path}"
    )


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each ``0700``.

    ``Path.mkdir(mode=0o700, parents=True)`` gives that mode to the last
    directory only; the parents get ``0777`` less the umask, which lets
    every user list the names of the secrets below.
    """
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise os_failure(FileWriteError, new, "create directory", exc) from None


def real_path(path: Path) -> Path:
    """The file a path names, following symlinks (the link itself is kept)."""
    return Path(os.path.realpath(path))


def read_bytes(path: Path, *, what: str = "file") -> bytes:
    """Read a whole file, turning OS errors into one clear :class:`FileReadError`."""
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise FileReadError(Structural(f"{path}: {what} is a directory, not a file")) from None
    except FileNotFoundError:
        raise FileReadError(Structural(f"{path}: {what} not found")) from None
    except OSError as exc:
        raise os_failure(FileReadError, path, f"read {what}", exc) from None


def _existing(path: Path) -> os.stat_result | None:
    """The target's status, None if it does not exist; refuses anything but a regular file.

    Reading a FIFO would block forever, and replacing a device node (think
    ``--to /dev/null``) would put the secrets in a new regular file.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_failure(FileWriteError, path, "inspect target", exc) from None
    if stat.S_ISDIR(status.st_mode):
        raise FileWriteError(Structural(f"{path}: target is a directory, not a file"))
    if not stat.S_ISREG(status.st_mode):
        raise FileWriteError(Structural(f"{path}: target is not a regular file"))
    return status


def _read_existing(path: Path) -> bytes | None:
    if _existing(path) is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_failure(FileWriteError, path, "read target", exc) from None


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (blocks until it is free)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise FileWriteError(Structural(f"{directory}: directory does not exist")) from None
    except OSError as exc:
        raise os_failure(FileWriteError, directory, "open directory", exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove_stale_temporaries(target: Path) -> None:
    """Delete temporary files an interrupted write to ``target`` left behind.

    Only call this while holding the directory lock, so no live writer's
    temporary file is removed.
    """
    for stale in target.parent.glob(f".{glob_escape(target.name)}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def glob_escape(text: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)


def atomic_write(target: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``target`` with ``data`` atomically (temp file, fsync, rename, fsync dir).

    A symlinked ``target`` is followed (see :func:`real_path`): the file it
    points to is replaced and the link stays.  The new file gets ``mode``,
    else the existing file's mode, else ``0600``.  On any failure the
    temporary file is removed and ``target`` is untouched.
    """
    # Checked as given first: a link to /dev/stdout resolves to a name under
    # /proc/N/fd that does not exist as a file, and would look like a new file.
    _existing(target)
    # Callers are told to pass the real path, but one that forgets would
    # silently turn a symlink into a regular file: follow it here as well.
    target = real_path(target)
    directory = target.parent
    existing = _existing(target)
    if existing is not None:
        check_replaceable(target, existing)
    if mode is None:
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else NEW_FILE_MODE
    try:
        fd, temp_name = _create_temporary(target)
    except OSError as exc:
        raise os_failure(FileWriteError, target, f"create a file in {directory}", exc) from None
    try:
        try:
            if existing is not None:
                _keep_owner(fd, existing)
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            reason = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
            raise FileWriteError(
                Structural(f"{target}: write failed, file unchanged: {reason}")
            ) from None
        raise
    fsync_directory(directory)


def _keep_owner(fd: int, existing: os.stat_result) -> None:
    """Give the temporary file the existing target's owner and group.

    As root, both are set (a file ``chown``-ed to the application that reads
    it stays readable by it).  Otherwise :func:`check_replaceable` made sure
    the owner is the user running, and the group one the user may set.
    Done before ``fchmod``: changing the owner can clear mode bits.
    """
    current = os.fstat(fd)
    if (current.st_uid, current.st_gid) == (existing.st_uid, existing.st_gid):
        return
    uid = existing.st_uid if os.geteuid() == 0 else -1
    os.fchown(fd, uid, existing.st_gid)


def _create_temporary(target: Path) -> tuple[int, str]:
    """A new ``0600`` file next to ``target``, named so stale ones can be found.

    ``tempfile.mkstemp`` would do, but importing :mod:`tempfile` (with
    :mod:`shutil`, :mod:`random` and the compression modules) costs more
    start-up time than this loop.
    """
    while True:
        name = str(target.parent / f".{target.name}.{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE), name
        except FileExistsError:
            continue


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not support fsync on directories
    finally:
        os.close(fd)


class LockedFile:
    """A file being updated under :func:`locked_update`."""

    def __init__(self, path: Path, real: Path, original: bytes | None, dry_run: bool) -> None:
        self.path = path
        self.real = real
        self.original = original
        self.dry_run = dry_run
        self.written = False

    def __repr__(self) -> str:
        return f"<LockedFile {str(self.path)!r} exists={self.exists}>"

    @property
    def exists(self) -> bool:
        return self.original is not None

    def write(self, data: bytes) -> bool:
        """Replace the file with ``data`` unless it is unchanged or this is a dry run.

        Returns True when the file was written.
        """
        if data == self.original or self.dry_run:
            return False
        atomic_write(self.real, data)
        self.original = data
        self.written = True
        return True


@contextlib.contextmanager
def locked_update(path: Path, *, dry_run: bool = False) -> Iterator[LockedFile]:
    """Lock ``path`` for a read-modify-write and yield its current content.

    A dry run reads without taking the lock or writing anything.
    """
    _existing(path)  # as given, before resolving (see atomic_write)
    real = real_path(path)
    if dry_run:
        yield LockedFile(path, real, _read_existing(real), dry_run=True)
        return
    with directory_lock(real.parent):
        remove_stale_temporaries(real)
        yield LockedFile(path, real, _read_existing(real), dry_run=False)
