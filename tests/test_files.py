"""files.py: atomic, locked, permission-safe writes."""

from __future__ import annotations

import errno
import grp  # noqa: F401 - imported before a child becomes `nobody`, who may not reach it
import multiprocessing
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stagecraft import files
from stagecraft.files import (
    FileReadError,
    FileWriteError,
    TargetRefusedError,
    atomic_write,
    locked_update,
    read_bytes,
)

NOBODY = 65534


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(files.TEMP_SUFFIX))


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_new_file_is_0600(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    with locked_update(target) as file:
        assert not file.exists
        assert file.original is None
        assert file.write(b"A=1\n") is True
    assert target.read_bytes() == b"A=1\n"
    assert _mode(target) == 0o600
    assert _leftovers(tmp_path) == []


def test_existing_mode_is_kept(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    target.write_bytes(b"A=1\n")
    target.chmod(0o640)
    with locked_update(target) as file:
        assert file.original == b"A=1\n"
        file.write(b"A=2\n")
    assert target.read_bytes() == b"A=2\n"
    assert _mode(target) == 0o640


def test_explicit_mode_wins(tmp_path: Path) -> None:
    target = tmp_path / "x"
    atomic_write(target, b"data", mode=0o400)
    assert _mode(target) == 0o400


@pytest.mark.parametrize("through", ["locked_update", "atomic_write"])
def test_symlink_is_followed_and_stays_a_link(tmp_path: Path, through: str) -> None:
    real = tmp_path / "real" / ".env"
    real.parent.mkdir()
    real.write_bytes(b"OLD=1\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    if through == "locked_update":
        with locked_update(link) as file:
            assert file.original == b"OLD=1\n"
            file.write(b"NEW=1\n")
    else:
        atomic_write(link, b"NEW=1\n")
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_bytes() == b"NEW=1\n"
    assert _leftovers(tmp_path) == []


def test_dangling_symlink_creates_the_link_target(tmp_path: Path) -> None:
    real = tmp_path / "made.env"
    link = tmp_path / "link.env"
    link.symlink_to(real)
    with locked_update(link) as file:
        assert not file.exists
        file.write(b"A=1\n")
    assert link.is_symlink()
    assert real.read_bytes() == b"A=1\n"
    assert _mode(real) == 0o600


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    target.write_bytes(b"A=1\n")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    inode = target.stat().st_ino
    with locked_update(target) as file:
        assert file.write(b"A=1\n") is False
        assert file.written is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert target.stat().st_ino == inode


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    with locked_update(target, dry_run=True) as file:
        assert file.write(b"A=1\n") is False
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def _disk_full(fd: int, data: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_failing_write_leaves_target_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / ".env"
    original = b"KEEP=me\nOTHER=1\n"
    target.write_bytes(original)
    target.chmod(0o600)
    monkeypatch.setattr(os, "write", _disk_full)
    with pytest.raises(FileWriteError) as info, locked_update(target) as file:
        file.write(b"KEEP=changed\n")
    monkeypatch.undo()
    assert str(info.value) == f"{target}: write failed, file unchanged: disk full"
    assert info.value.exit_code == 2
    assert target.read_bytes() == original
    assert _leftovers(tmp_path) == []


def test_interrupted_write_cleans_up_and_reraises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int, data: object) -> int:
        raise KeyboardInterrupt

    target = tmp_path / ".env"
    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"A=1\n")
    monkeypatch.undo()
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_stale_temporaries_are_removed_on_the_next_locked_update(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    stale = tmp_path / f".{target.name}.abc123{files.TEMP_SUFFIX}"
    stale.write_bytes(b"SECRET=half-written")
    unrelated = tmp_path / f".other.abc{files.TEMP_SUFFIX}"
    unrelated.write_bytes(b"")
    with locked_update(target) as file:
        file.write(b"A=1\n")
    assert not stale.exists()
    assert unrelated.exists()  # belongs to another file's writer


def test_stale_temporaries_of_names_with_glob_characters(tmp_path: Path) -> None:
    target = tmp_path / "x[1]*.env"
    stale = tmp_path / f".{target.name}.zz{files.TEMP_SUFFIX}"
    stale.write_bytes(b"")
    with locked_update(target):
        pass
    assert not stale.exists()


def test_directory_as_target_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "adir"
    target.mkdir()
    with (
        pytest.raises(FileWriteError, match=r": target is a directory, not a file$"),
        locked_update(target),
    ):
        pass
    with pytest.raises(FileWriteError, match=r": target is a directory, not a file$"):
        atomic_write(target, b"x")
    assert target.is_dir()
    assert _leftovers(tmp_path) == []


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / ".env"
    with pytest.raises(FileWriteError) as info, locked_update(target):
        pass
    assert str(info.value) == f"{tmp_path / 'missing'}: directory does not exist"


def test_read_bytes_errors(tmp_path: Path) -> None:
    with pytest.raises(FileReadError) as info:
        read_bytes(tmp_path, what="source file")
    assert str(info.value) == f"{tmp_path}: source file is a directory, not a file"
    assert info.value.exit_code == 1
    with pytest.raises(FileReadError, match=r"\.env\.local: source file not found$"):
        read_bytes(tmp_path / ".env.local", what="source file")
    (tmp_path / "ok").write_bytes(b"A=1")
    assert read_bytes(tmp_path / "ok") == b"A=1"


def _write_as_unprivileged(target: Path, how: str) -> tuple[int, str]:
    """Try the write in a forked child; as root, the child first becomes ``nobody``.

    root ignores directory permissions, so only an ordinary user can see a
    read-only directory refuse the write.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 0
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            try:
                if how == "locked":
                    with locked_update(target) as file:
                        file.write(b"NEW=1\n")
                else:
                    atomic_write(target, b"NEW=1\n")
            except FileWriteError as exc:
                os.write(write_end, str(exc).encode())
                code = 7
            except TargetRefusedError as exc:
                os.write(write_end, str(exc).encode())
                code = 8
        except BaseException as exc:
            os.write(write_end, repr(exc).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), message


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory `nobody` can reach (pytest's tmp_path lives under a 0700 parent)."""
    base = Path(tempfile.mkdtemp(prefix="stagecraft-ro-"))
    base.chmod(0o755)
    yield base
    for path in [base, *base.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(base)


@pytest.mark.parametrize("how", ["locked", "atomic"])
def test_read_only_directory_is_a_write_error(world_readable_dir: Path, how: str) -> None:
    directory = world_readable_dir / "ro"
    directory.mkdir()
    target = directory / ".env"
    target.write_bytes(b"OLD=1\n")
    target.chmod(0o644)
    if os.geteuid() == 0:
        os.chown(target, NOBODY, NOBODY)  # its own file: only the directory refuses
    directory.chmod(0o555)
    code, message = _write_as_unprivileged(target, how)
    assert (code, message) == (
        7, f"{target}: cannot create a file in {directory}: Permission denied"
    )
    assert target.read_bytes() == b"OLD=1\n"
    assert _leftovers(directory) == []


# ---------------------------------------------------------------- ownership (issue 12)


def _owner(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_uid, status.st_gid


def test_owner_and_group_of_an_existing_target_are_kept_as_root(tmp_path: Path) -> None:
    """As root, a file chown-ed to the application stays the application's."""
    target = tmp_path / "app.env"
    target.write_bytes(b"OLD=1\n")
    target.chmod(0o600)
    if os.geteuid() != 0:  # an ordinary user cannot give a file away: the refusal instead
        with pytest.raises(TargetRefusedError, match="replacing it would change its owner"):
            files.check_replaceable(target, target.stat(), euid=os.geteuid() + 1)
        return
    os.chown(target, NOBODY, NOBODY)
    with locked_update(target) as file:
        assert file.write(b"NEW=1\n")
    assert target.read_bytes() == b"NEW=1\n"
    assert _owner(target) == (NOBODY, NOBODY)
    assert _mode(target) == 0o600
    assert _leftovers(tmp_path) == []


@pytest.fixture
def shared_dir(world_readable_dir: Path) -> Path:
    """A directory `nobody` may create files in."""
    directory = world_readable_dir / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    return directory


@pytest.mark.parametrize("how", ["locked", "atomic"])
def test_someone_elses_target_is_refused_when_not_root(shared_dir: Path, how: str) -> None:
    target = shared_dir / ".env"
    target.write_bytes(b"OLD=1\n")
    target.chmod(0o666)  # nobody could even write it in place: ownership is what counts
    os.chown(target, 0, 0)
    code, message = _write_as_unprivileged(target, how)
    assert code == 8, message
    assert message == (
        f"{target}: target is owned by root (uid 0), not by nobody (uid 65534) who runs "
        "stagecraft; replacing it would change its owner; run stagecraft as its owner "
        "(or as root, which keeps owner and group)"
    )
    assert target.read_bytes() == b"OLD=1\n"
    assert _owner(target) == (0, 0)
    assert _leftovers(shared_dir) == []


def test_a_group_the_user_is_not_in_is_refused_when_not_root(shared_dir: Path) -> None:
    target = shared_dir / ".env"
    target.write_bytes(b"OLD=1\n")
    target.chmod(0o660)
    os.chown(target, NOBODY, 0)
    code, message = _write_as_unprivileged(target, "locked")
    assert code == 8, message
    assert "target's group is root (gid 0), which nobody (uid 65534) is not a member of" in (
        message
    )
    assert target.read_bytes() == b"OLD=1\n"


def test_own_target_is_replaced_when_not_root(shared_dir: Path) -> None:
    target = shared_dir / ".env"
    target.write_bytes(b"OLD=1\n")
    target.chmod(0o640)
    os.chown(target, NOBODY, NOBODY)
    code, message = _write_as_unprivileged(target, "locked")
    assert (code, message) == (0, "")
    assert target.read_bytes() == b"NEW=1\n"
    assert _owner(target) == (NOBODY, NOBODY)
    assert _mode(target) == 0o640


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o040])
def test_a_target_its_owner_cannot_write_is_refused(tmp_path: Path, mode: int) -> None:
    target = tmp_path / ".env.staging"
    target.write_bytes(b"OLD=1\n")
    target.chmod(mode)
    with pytest.raises(TargetRefusedError) as info, locked_update(target) as file:
        file.write(b"NEW=1\n")
    assert str(info.value) == (
        f"{target}: target is read-only (mode {mode:04o}), so stagecraft will not replace it; "
        f"make it writable (chmod u+w {target}) and sync again, or choose another target"
    )
    assert info.value.exit_code == 1
    assert target.read_bytes() == b"OLD=1\n"
    assert _mode(target) == mode
    assert _leftovers(tmp_path) == []


def test_a_read_only_target_is_refused_for_its_owner_too(shared_dir: Path) -> None:
    """The case of the issue: an ordinary user's own `chmod 444` file."""
    target = shared_dir / ".env.staging"
    target.write_bytes(b"OLD=1\n")
    target.chmod(0o444)
    os.chown(target, NOBODY, NOBODY)
    code, message = _write_as_unprivileged(target, "atomic")
    assert code == 8, message
    assert "target is read-only (mode 0444)" in message
    assert target.read_bytes() == b"OLD=1\n"


def test_unchanged_content_and_dry_runs_leave_a_read_only_target_alone(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    target.write_bytes(b"A=1\n")
    target.chmod(0o444)
    with locked_update(target) as file:
        assert file.write(b"A=1\n") is False
    with locked_update(target, dry_run=True) as file:
        assert file.write(b"A=2\n") is False


# ---------------------------------------------------------------- concurrency

WRITERS = 4
APPENDS = 40


def _append_many(target: str, writer: int) -> None:
    for n in range(APPENDS):
        with locked_update(Path(target)) as file:
            current = file.original or b""
            file.write(current + f"w{writer}-{n}\n".encode())


def test_concurrent_locked_updates_lose_nothing(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_append_many, args=(str(target), w)) for w in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS
    lines = target.read_text().splitlines()
    assert sorted(lines) == sorted(f"w{w}-{n}" for w in range(WRITERS) for n in range(APPENDS))
    for w in range(WRITERS):  # each writer's lines stay in its own order
        mine = [line for line in lines if line.startswith(f"w{w}-")]
        assert mine == [f"w{w}-{n}" for n in range(APPENDS)]
    assert _mode(target) == 0o600
    assert _leftovers(tmp_path) == []
