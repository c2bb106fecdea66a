"""Permissions and paths: modes of written files, symlinks, and writes that cannot happen.

* a new target is created 0600 whatever the umask; an existing one keeps its mode;
* a symlinked target: the real file is replaced, the link stays a link;
* a target in a read-only directory, a source that is a directory, a target
  on a full disk, a target that is a directory or in a missing directory:
  each fails with one clear message, and nothing in the project changes.

The tests run as root, which ignores directory permissions, so the
read-only directory case runs the command as the unprivileged ``nobody``
user (``setpriv``) in a directory it cannot write; a second case uses
``/proc``, where not even root can create a file.  The full disk is
simulated by a local plugin that makes every ``os.write`` to a file fail
with ENOSPC inside the stagecraft process.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import reliability_helpers as h

from stagecraft_encore import cue

SOURCE = {"API_TOKEN": "perm-canary-token-8e8e", "DB_URL": "postgres://u:p@db/x"}
ENVFILE = ("secrets", "sync", "--provider", "envfile", "--from", "source.env")
CUE = ("secrets", "sync", "--provider", "encore", "--from", "source.env",
       "--to", ".secrets.local.cue")
NOBODY = 65534


@pytest.fixture
def project() -> Iterator[Path]:
    """A project directory every user can enter (pytest's tmp_path is root-only)."""
    root = Path(tempfile.mkdtemp(prefix="stagecraft-perm-"))
    root.chmod(0o755)
    h.write_env(root / "source.env", SOURCE)
    (root / "source.env").chmod(0o644)
    (root / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")
    yield root
    shutil.rmtree(root)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run_with_umask(root: Path, *args: str, umask: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(h.command(*args), cwd=root, env=h.base_env(), capture_output=True,
                          text=True, check=False, timeout=60,
                          preexec_fn=lambda: os.umask(umask))


def _assert_clean_failure(result: h.Run, code: int, *needles: str) -> None:
    report = result.describe()
    assert result.code == code, report
    assert "Traceback" not in result.err, report
    errors = h.error_lines(result.err)
    assert len(errors) == 1, report
    for needle in needles:
        assert needle in errors[0], report
    assert result.out == "", report
    for value in SOURCE.values():
        assert value not in result.err, report


# ------------------------------------------------------------------ modes


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_new_targets_are_0600_whatever_the_umask(project: Path, umask: int) -> None:
    done = _run_with_umask(project, *ENVFILE, "--to", "new.env", umask=umask)
    assert done.returncode == 0, done.stderr
    assert _mode(project / "new.env") == 0o600
    done = _run_with_umask(project, *CUE, umask=umask)
    assert done.returncode == 0, done.stderr
    assert _mode(project / ".secrets.local.cue") == 0o600


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o660, 0o200])
def test_existing_modes_are_kept(project: Path, mode: int) -> None:
    target = project / "target.env"
    target.write_text("OLD=1\n", encoding="utf-8")
    target.chmod(mode)
    override = project / ".secrets.local.cue"
    override.write_text('Old: "1"\n', encoding="utf-8")
    override.chmod(mode)

    for args, name in (((*ENVFILE, "--to", "target.env"), "target.env"),
                       (CUE, ".secrets.local.cue")):
        result = h.run(*args, cwd=project)
        assert result.code == 0, result.describe()
        warnings = [line for line in result.err.splitlines() if "warning:" in line]
        if mode & 0o077:  # others may read it: kept, but the user is told how to fix it
            assert len(warnings) == 1, result.describe()
            assert name in warnings[0], result.describe()
            assert f"(mode {mode:04o})" in warnings[0], result.describe()
            assert "chmod 600" in warnings[0], result.describe()
        else:
            assert warnings == [], result.describe()
        # Nothing changes on a second run: nothing is written, so no warning either.
        again = h.run(*args, cwd=project)
        assert again.code == 0, again.describe()
        assert "warning:" not in again.err, again.describe()
    assert h.read_env(target) == {"OLD": "1", **SOURCE}
    assert cue.parse(override.read_text(encoding="utf-8")).values() == {"Old": "1", **SOURCE}
    assert _mode(target) == mode
    assert _mode(override) == mode


def test_a_symlinked_target_is_followed_and_the_link_kept(project: Path) -> None:
    real_dir = project / "secrets"
    real_dir.mkdir()
    real = real_dir / "real.env"
    real.write_text("# real file\nOLD=1\n", encoding="utf-8")
    real.chmod(0o640)
    link = project / "target.env"
    link.symlink_to(Path("secrets") / "real.env")

    result = h.run(*ENVFILE, "--to", "target.env", cwd=project)
    assert result.code == 0, result.describe()
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("secrets") / "real.env")
    assert h.read_env(real) == {"OLD": "1", **SOURCE}
    assert real.read_text(encoding="utf-8").startswith("# real file\nOLD=1\n")
    assert _mode(real) == 0o640
    assert h.temporaries(project) == []
    assert h.temporaries(real_dir) == []


def test_a_dangling_symlink_creates_the_file_it_names(project: Path) -> None:
    (project / "secrets").mkdir()
    link = project / "target.env"
    link.symlink_to(Path("secrets") / "new.env")

    result = h.run(*ENVFILE, "--to", "target.env", cwd=project)
    assert result.code == 0, result.describe()
    assert link.is_symlink()
    assert h.read_env(project / "secrets" / "new.env") == SOURCE
    assert _mode(project / "secrets" / "new.env") == 0o600


# ------------------------------------------------------------------ failures


def _as_nobody(root: Path, *args: str) -> h.Run:
    command = h.command(*args)
    if os.geteuid() == 0:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   *command]
    env = h.base_env({"HOME": str(root)})
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    return h.Run(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("args", [(*ENVFILE, "--to", "ro/target.env"), (*ENVFILE, "--to",
                                  "ro/new.env")], ids=["existing", "new"])
def test_a_target_in_a_read_only_directory_fails_cleanly(project: Path,
                                                         args: tuple[str, ...]) -> None:
    readonly = project / "ro"
    readonly.mkdir()
    (readonly / "target.env").write_text("OLD=1\n", encoding="utf-8")
    (readonly / "target.env").chmod(0o644)
    if os.geteuid() == 0:
        os.chown(readonly / "target.env", NOBODY, NOBODY)  # only the directory refuses
    readonly.chmod(0o555)
    before = h.snapshot(project)

    result = _as_nobody(project, *args)
    _assert_clean_failure(result, 2, "cannot create a file in")
    assert h.snapshot(project) == before


def test_a_target_under_proc_fails_cleanly(project: Path) -> None:
    before = h.snapshot(project)
    result = h.run(*ENVFILE, "--to", "/proc/stagecraft-reliability.env", cwd=project)
    _assert_clean_failure(result, 2, "/proc")
    assert h.snapshot(project) == before
    assert not Path("/proc/stagecraft-reliability.env").exists()


@pytest.mark.parametrize("provider_args", [
    ("--provider", "envfile", "--to", "target.env"),
    ("--provider", "encore", "--to", ".secrets.local.cue"),
], ids=["envfile", "encore"])
def test_a_source_that_is_a_directory_fails_cleanly(project: Path,
                                                    provider_args: tuple[str, ...]) -> None:
    (project / "srcdir").mkdir()
    (project / "target.env").write_text("OLD=1\n", encoding="utf-8")
    before = h.snapshot(project)
    result = h.run("secrets", "sync", "--from", "srcdir", *provider_args, cwd=project)
    _assert_clean_failure(result, 1, "srcdir", "directory")
    assert h.snapshot(project) == before


@pytest.mark.parametrize("args", [(*ENVFILE, "--to", "target.env"), CUE],
                         ids=["envfile", "encore"])
def test_a_full_disk_fails_cleanly(project: Path, args: tuple[str, ...]) -> None:
    (project / "target.env").write_text("# keep\nOLD=1\n", encoding="utf-8")
    (project / ".secrets.local.cue").write_text('// keep\nOld: "1"\n', encoding="utf-8")
    (project / "diskfull").mkdir()
    (project / "diskfull" / "diskfull.py").write_text(h.DISK_FULL_PLUGIN, encoding="utf-8")
    before = h.snapshot(project)

    result = h.run("--plugins-dir", "diskfull", *args, cwd=project)
    _assert_clean_failure(result, 2, "disk full", "unchanged")
    after = h.snapshot(project)
    after = {name: data for name, data in after.items() if "__pycache__" not in name}
    assert after == before
    assert h.temporaries(project) == []


@pytest.mark.parametrize(("target", "needle"), [
    ("adir", "directory"),
    ("missing/target.env", "does not exist"),
    ("loop.env", "symbolic links"),
    ("source.env/target.env", "Not a directory"),
    ("x" * 300 + ".env", "name too long"),
], ids=["target-is-a-directory", "missing-directory", "symlink-loop", "path-through-a-file",
        "name-too-long"])
def test_unwritable_target_paths_fail_cleanly(project: Path, target: str, needle: str) -> None:
    (project / "adir").mkdir()
    (project / "loop.env").symlink_to("loop.env")
    before = h.snapshot(project)
    result = h.run(*ENVFILE, "--to", target, cwd=project)
    _assert_clean_failure(result, 2, needle)
    assert h.snapshot(project) == before


# ------------------------------------------------------------------ ownership (issue 12)


@pytest.mark.parametrize(("args", "name"), [((*ENVFILE, "--to", "app.env"), "app.env"),
                                           (CUE, ".secrets.local.cue")], ids=["envfile", "encore"])
def test_root_keeps_the_owner_and_group_of_an_existing_target(project: Path,
                                                              args: tuple[str, ...],
                                                              name: str) -> None:
    """`chown nobody app.env; chmod 600 app.env; stagecraft secrets sync ...` as root."""
    target = project / name
    if args[3] == "encore":
        target.write_text('Old: "1"\n', encoding="utf-8")
    else:
        target.write_text("OLD=1\n", encoding="utf-8")
    target.chmod(0o600)
    if os.geteuid() == 0:
        os.chown(target, NOBODY, NOBODY)
    owner = (target.stat().st_uid, target.stat().st_gid)

    result = h.run(*args, cwd=project)
    assert result.code == 0, result.describe()
    assert (target.stat().st_uid, target.stat().st_gid) == owner
    assert _mode(target) == 0o600
    assert "perm-canary-token-8e8e" in target.read_text(encoding="utf-8")
    assert h.temporaries(project) == []


def _shared(project: Path) -> Path:
    shared = project / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    return shared


def test_someone_elses_target_is_refused_before_anything_is_written(project: Path) -> None:
    shared = _shared(project)
    target = shared / "target.env"
    target.write_text("OLD=1\n", encoding="utf-8")
    target.chmod(0o666)
    os.chown(target, 0, 0)
    before = h.snapshot(project)

    result = _as_nobody(project, *ENVFILE, "--to", "shared/target.env")
    _assert_clean_failure(result, 1, str(target), "is owned by", "uid 0",
                          "run stagecraft as its owner")
    assert h.snapshot(project) == before
    assert h.temporaries(shared) == []


@pytest.mark.parametrize(("args", "name"), [
    ((*ENVFILE, "--to", "shared/.env.staging"), "shared/.env.staging"),
    (CUE, ".secrets.local.cue"),
], ids=["envfile", "encore"])
def test_a_read_only_target_is_refused_for_its_own_user(project: Path, args: tuple[str, ...],
                                                        name: str) -> None:
    """`chmod 444 .env.staging; stagecraft secrets sync` as an ordinary user."""
    _shared(project)
    target = project / name
    target.write_text("OLD=1\n" if args[3] == "envfile" else 'Old: "1"\n', encoding="utf-8")
    target.chmod(0o444)
    if os.geteuid() == 0:
        os.chown(target, NOBODY, NOBODY)
    before = h.snapshot(project)

    result = _as_nobody(project, *args)
    _assert_clean_failure(result, 1, "target is read-only (mode 0444)", "chmod u+w")
    assert h.snapshot(project) == before
