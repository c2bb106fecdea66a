"""How the envfile provider writes: modes, symlinks, crashes and concurrent syncs."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from stagecraft.dotenv import load
from stagecraft.files import FileWriteError
from stagecraft.providers.secrets import Context, SyncOptions
from stagecraft_envfile import EnvfileStore

#: The store these tests drive (the plugin builds its own in the hook).
PROVIDER = EnvfileStore()


def sync(tmp_path: Path, source: str = "src.env", target: str = "out.env") -> None:
    PROVIDER.sync(Context(cwd=tmp_path), SyncOptions(source=source, target=target))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_target_is_0600_and_existing_mode_is_kept(tmp_path: Path) -> None:
    (tmp_path / "src.env").write_text("A=1\n")
    sync(tmp_path)
    assert mode(tmp_path / "out.env") == 0o600
    existing = tmp_path / "shared.env"
    existing.write_text("B=2\n")
    existing.chmod(0o640)
    sync(tmp_path, target="shared.env")
    assert existing.read_text() == "B=2\nA=1\n"
    assert mode(existing) == 0o640


def test_symlinked_target_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "src.env").write_text("A=1\n")
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (real_dir / "secrets.env").write_text("# real file\n")
    (tmp_path / "out.env").symlink_to(real_dir / "secrets.env")
    sync(tmp_path)
    assert (tmp_path / "out.env").is_symlink()
    assert (real_dir / "secrets.env").read_text() == "# real file\nA=1\n"
    assert sorted(p.name for p in real_dir.iterdir()) == ["secrets.env"]


def test_crash_between_write_and_rename_leaves_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src.env").write_text("A=new\n")
    target = tmp_path / "out.env"
    target.write_text("A=old\n# keep\n")

    def crash(*_args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(FileWriteError, match="file unchanged"):
        sync(tmp_path)
    assert target.read_text() == "A=old\n# keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.env", "src.env"]


def test_full_disk_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src.env").write_text("A=new\n")
    target = tmp_path / "out.env"
    target.write_text("A=old\n")

    def full(*_args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(FileWriteError, match="disk full"):
        sync(tmp_path)
    assert target.read_text() == "A=old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.env", "src.env"]


def test_read_only_directory_fails_cleanly(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root ignores directory permissions; a read-only bind is not available,
        # so use a directory the process cannot create files in: /proc.
        target = "/proc/stagecraft-test.env"
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = str(locked / "out.env")
    (tmp_path / "src.env").write_text("A=1\n")
    with pytest.raises(FileWriteError):
        sync(tmp_path, target=target)
    assert not Path(target).exists()


def test_source_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.env").mkdir()
    from stagecraft.files import FileReadError

    with pytest.raises(FileReadError, match="is a directory"):
        sync(tmp_path, source="dir.env")


def _worker(args: tuple[str, int, int]) -> None:
    directory, worker, rounds = args
    root = Path(directory)
    source = root / f"src{worker}.env"
    for round_no in range(rounds):
        source.write_text("".join(f"W{worker}_K{k}=round{round_no}\n" for k in range(5)))
        PROVIDER.sync(
            Context(cwd=root), SyncOptions(source=source.name, target="shared.env")
        )


def test_concurrent_syncs_lose_no_key(tmp_path: Path) -> None:
    workers, rounds = 6, 15
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_worker, [(str(tmp_path), w, rounds) for w in range(workers)])
    values = load(tmp_path / "shared.env").values()
    expected = {
        f"W{w}_K{k}": f"round{rounds - 1}" for w in range(workers) for k in range(5)
    }
    assert values == expected
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".stagecraft-tmp")]
