"""The entry-point cache: the same answer as importlib.metadata, and never a stale one.

Each test controls ``sys.path`` completely (one or two directories of its
own), so what is on disk and how old it is are known.  The cache only trusts
files that last changed (modification *and* change time, which nothing can
set back) some time before it looked at them: two seconds in real use, 50 ms
here, and :func:`settle` waits that long.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from plugin_dists import write_dist

from stagecraft import discovery

GROUP = "stagecraft"


RACY_SECONDS = 0.05


def settle() -> None:
    """Wait until everything written so far is old enough for the cache to trust."""
    time.sleep(RACY_SECONDS + 0.02)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that is all of ``sys.path``, with a private cache directory."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.setattr(sys, "path", [str(root)])
    monkeypatch.setattr(discovery, "RACY_NS", int(RACY_SECONDS * 1e9))
    monkeypatch.setenv(discovery.ENV_CACHE_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(discovery.ENV_NO_CACHE, raising=False)
    return root


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each real scan (a cache miss) by group."""
    calls: list[str] = []
    real = discovery.scan

    def counting(group: str) -> tuple[discovery.EntryPointRecord, ...]:
        calls.append(group)
        return real(group)

    monkeypatch.setattr(discovery, "scan", counting)
    return calls


def add_plugin(site: Path, dist: str, name: str, version: str = "1.0") -> None:
    write_dist(site, dist, version, {name: f"{name}_module"}, {f"{name}_module": "X = 1\n"})


def cache_files(tmp_path: Path) -> list[Path]:
    directory = tmp_path / "cache"
    return sorted(directory.glob("*.marshal")) if directory.exists() else []


def from_metadata() -> list[tuple[str, str, str | None, str | None]]:
    return [
        (ep.name, ep.value, ep.dist.metadata["Name"] if ep.dist else None,
         ep.dist.version if ep.dist else None)
        for ep in metadata.entry_points(group=GROUP)
    ]


def test_second_lookup_comes_from_the_cache_and_matches_importlib_metadata(
    site: Path, tmp_path: Path, scans: list[str]
) -> None:
    add_plugin(site, "acme-store", "acme")
    add_plugin(site, "zulu-store", "zulu", "2.5")
    write_dist(site, "unrelated", "3.0", {}, {})
    settle()

    first = discovery.entry_points(GROUP)
    second = discovery.entry_points(GROUP)

    assert scans == [GROUP]  # one real scan, then the cache
    assert first == second
    assert [tuple(r) for r in second] == from_metadata()
    assert {r.name: r.dist_version for r in second} == {"acme": "1.0", "zulu": "2.5"}
    [cache] = cache_files(tmp_path)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700


def test_a_newly_installed_distribution_is_seen_at_once(
    site: Path, scans: list[str]
) -> None:
    add_plugin(site, "acme-store", "acme")
    settle()
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]

    add_plugin(site, "beta-store", "beta")  # new *.dist-info: the directory changed
    assert sorted(r.name for r in discovery.entry_points(GROUP)) == ["acme", "beta"]
    settle()
    assert sorted(r.name for r in discovery.entry_points(GROUP)) == ["acme", "beta"]
    scanned = len(scans)
    assert sorted(r.name for r in discovery.entry_points(GROUP)) == ["acme", "beta"]
    assert len(scans) == scanned  # served from the cache again


def test_an_uninstalled_distribution_disappears(site: Path) -> None:
    add_plugin(site, "acme-store", "acme")
    add_plugin(site, "beta-store", "beta")
    settle()
    assert len(discovery.entry_points(GROUP)) == 2

    info = site / "beta_store-1.0.dist-info"
    for child in info.iterdir():
        child.unlink()
    info.rmdir()
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]


@pytest.mark.parametrize("keep_size", [True, False])
def test_an_edit_that_puts_every_modification_time_back_is_seen(
    site: Path, keep_size: bool
) -> None:
    """As ``cp -p`` or ``touch -r`` leave it: only the change time tells (and the size, if)."""
    add_plugin(site, "acme-store", "acme")
    settle()
    assert [r.value for r in discovery.entry_points(GROUP)] == ["acme_module"]

    info = site / "acme_store-1.0.dist-info"
    paths = (site, info, info / "entry_points.txt")
    before = {path: path.stat().st_mtime_ns for path in paths}
    text = "[stagecraft]\nacme = acme_modulf\n" if keep_size else "[stagecraft]\nacme = other\n"
    (info / "entry_points.txt").write_text(text)
    for path, mtime in before.items():
        os.utime(path, ns=(mtime, mtime))
    assert {path: path.stat().st_mtime_ns for path in paths} == before
    settle()
    expected = "acme_modulf" if keep_size else "other"
    assert [r.value for r in discovery.entry_points(GROUP)] == [expected]


def test_an_upgrade_in_place_changes_the_version(site: Path) -> None:
    add_plugin(site, "acme-store", "acme")
    settle()
    assert discovery.entry_points(GROUP)[0].dist_version == "1.0"
    info = site / "acme_store-1.0.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-store\nVersion: 1.01\n")
    settle()
    assert discovery.entry_points(GROUP)[0].dist_version == "1.01"


def test_recent_changes_are_not_cached(
    site: Path, tmp_path: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fingerprint younger than RACY_NS could miss a change in the same clock tick."""
    monkeypatch.setattr(discovery, "RACY_NS", 60 * 10**9)  # however slow this machine is
    add_plugin(site, "acme-store", "acme")  # just written: recent
    discovery.entry_points(GROUP)
    discovery.entry_points(GROUP)
    assert scans == [GROUP, GROUP]
    assert cache_files(tmp_path) == []


def test_sys_path_is_part_of_the_key(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    add_plugin(site, "acme-store", "acme")
    add_plugin(other, "beta-store", "beta")
    settle()
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    monkeypatch.setattr(sys, "path", [str(site), str(other)])
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme", "beta"]
    monkeypatch.setattr(sys, "path", [str(other)])
    assert [r.name for r in discovery.entry_points(GROUP)] == ["beta"]
    assert len(cache_files(tmp_path)) == 3


def test_an_empty_path_entry_means_the_working_directory(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    add_plugin(here, "local-store", "local")
    settle()
    monkeypatch.chdir(here)
    monkeypatch.setattr(sys, "path", [""])
    assert [r.name for r in discovery.entry_points(GROUP)] == ["local"]
    monkeypatch.chdir(site)
    assert discovery.entry_points(GROUP) == ()


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b"\xe3\x01\x00\x00", None],
    ids=["empty", "garbage", "truncated", "other-format"],
)
def test_a_damaged_cache_file_is_ignored_and_rewritten(
    site: Path, tmp_path: Path, scans: list[str], content: bytes | None
) -> None:
    import marshal

    add_plugin(site, "acme-store", "acme")
    settle()
    discovery.entry_points(GROUP)
    [cache] = cache_files(tmp_path)
    cache.write_bytes(marshal.dumps((99, "x")) if content is None else content)

    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    assert scans == [GROUP, GROUP]  # rewritten by the second scan, used by the third call


def rewrite_cache(site: Path, tmp_path: Path, change: Callable[..., tuple[object, ...]]) -> None:
    """Cache one plugin, then replace the file's five fields with ``change(*fields)``."""
    import marshal

    add_plugin(site, "acme-store", "acme")
    settle()
    discovery.entry_points(GROUP)
    [cache] = cache_files(tmp_path)
    cache.write_bytes(marshal.dumps(change(*marshal.loads(cache.read_bytes()))))  # noqa: S302


def test_records_of_the_wrong_shape_are_ignored(site: Path, tmp_path: Path) -> None:
    rewrite_cache(site, tmp_path, lambda fmt, key, watched, stats, _records: (
        fmt, key, watched, stats, (("evil", 1, None, None),)))
    assert [tuple(r) for r in discovery.entry_points(GROUP)] == from_metadata()


@pytest.mark.parametrize("what", ["file", "directory"])
def test_a_cache_others_can_write_is_not_trusted(
    site: Path, tmp_path: Path, scans: list[str], what: str
) -> None:
    add_plugin(site, "acme-store", "acme")
    settle()
    discovery.entry_points(GROUP)
    [cache] = cache_files(tmp_path)
    (cache if what == "file" else cache.parent).chmod(0o666 if what == "file" else 0o777)
    discovery.entry_points(GROUP)
    discovery.entry_points(GROUP)
    if what == "file":  # ignored, then replaced by a private one, which is used
        assert scans == [GROUP, GROUP]
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    else:  # nothing is read from, or written into, a directory others can write
        assert scans == [GROUP, GROUP, GROUP]


def test_is_private_checks_owner_and_mode() -> None:
    def fake(uid: int, mode: int) -> os.stat_result:
        return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))

    me = os.geteuid()
    assert discovery.is_private(fake(me, stat.S_IFREG | 0o600))
    assert discovery.is_private(fake(me, stat.S_IFDIR | 0o755))
    assert not discovery.is_private(fake(me + 1, stat.S_IFREG | 0o600))
    assert not discovery.is_private(fake(me, stat.S_IFREG | 0o620))
    assert not discovery.is_private(fake(me, stat.S_IFDIR | 0o702))


def test_turned_off_by_the_environment(
    site: Path, tmp_path: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_plugin(site, "acme-store", "acme")
    settle()
    monkeypatch.setenv(discovery.ENV_NO_CACHE, "1")
    discovery.entry_points(GROUP)
    discovery.entry_points(GROUP)
    assert scans == [GROUP, GROUP]
    assert cache_files(tmp_path) == []


def test_cache_dir_defaults() -> None:
    assert discovery.cache_dir({"HOME": "/h"}).endswith(os.path.join(".cache", "stagecraft"))
    assert discovery.cache_dir({"XDG_CACHE_HOME": "/x"}) == os.path.join("/x", "stagecraft")
    assert discovery.cache_dir({"XDG_CACHE_HOME": "relative"}) != "relative/stagecraft"
    assert discovery.cache_dir({"STAGECRAFT_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == "/c"
    assert discovery.cache_dir({"STAGECRAFT_NO_CACHE": "1", "STAGECRAFT_CACHE_DIR": "/c"}) is None


def test_no_cache_without_a_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a relative '~/.cache' under whatever the working directory is."""
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert discovery.cache_dir({}) is None


def test_an_unusable_cache_directory_only_costs_the_scan(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv(discovery.ENV_CACHE_DIR, str(blocker / "cache"))
    add_plugin(site, "acme-store", "acme")
    settle()
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]


def test_another_distribution_finder_turns_the_cache_off(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scans: list[str]
) -> None:
    """A finder that lists distributions from elsewhere is not covered by the fingerprint."""

    class ZipAppFinder:
        @staticmethod
        def find_spec(*_args: object) -> None:
            return None

        @staticmethod
        def find_distributions(*_args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, ZipAppFinder])
    add_plugin(site, "acme-store", "acme")
    settle()
    discovery.entry_points(GROUP)
    discovery.entry_points(GROUP)
    assert scans == [GROUP, GROUP]
    assert cache_files(tmp_path) == []


def test_record_load_follows_entry_point_syntax(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ep_target_mod.py").write_text("class Outer:\n    class Inner:\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = discovery.EntryPointRecord("m", "ep_target_mod", None, None).load()
        assert module.__name__ == "ep_target_mod"
        inner = discovery.EntryPointRecord("m", "ep_target_mod:Outer.Inner [extra]", None, None)
        assert inner.load() is module.Outer.Inner
        with pytest.raises(ValueError, match="not 'module:attribute'"):
            discovery.EntryPointRecord("m", "not a value!", None, None).load()
    finally:
        sys.modules.pop("ep_target_mod", None)


def test_concurrent_commands_share_one_cache_file(tmp_path: Path) -> None:
    """Eight commands filling an empty cache at once: same answer, one file, no leftovers."""
    import subprocess

    from cli_helpers import STAGECRAFT, child_env

    env = {**child_env(), discovery.ENV_CACHE_DIR: str(tmp_path / "cache")}

    def run_all() -> list[str]:
        procs = [
            subprocess.Popen([str(STAGECRAFT), "--version"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(8)
        ]
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            outputs.append(out)
        return outputs

    first = run_all()
    assert len(set(first)) == 1
    assert "stagecraft-envfile" in first[0]
    assert [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".marshal")] == []
    assert len(cache_files(tmp_path)) == 1  # the console script's sys.path is old enough
    assert run_all() == first  # and served from it


def test_a_cache_that_watches_nothing_is_refused(site: Path, tmp_path: Path) -> None:
    """Otherwise a file with no fingerprint would match forever, whatever is installed."""
    rewrite_cache(site, tmp_path, lambda fmt, key, _watched, _stats, _records: (
        fmt, key, (), (), (("evil", "antigravity", None, None),)))
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]


def test_relative_entries_follow_symlinks_as_the_os_does(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``link/../site`` is a sibling of the link's target, not of the link."""
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real / "sub")
    target = real / "site"
    add_plugin(target, "acme-store", "acme")
    settle()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["link/../site"])
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    add_plugin(target, "beta-store", "beta")
    assert sorted(r.name for r in discovery.entry_points(GROUP)) == ["acme", "beta"]


def test_a_removed_working_directory_falls_back_to_the_scan(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    add_plugin(site, "acme-store", "acme")
    monkeypatch.chdir(gone)
    gone.rmdir()
    monkeypatch.setattr(sys, "path", ["", str(site)])
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]


def test_no_directories_are_made_in_a_tree_of_another_user(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root with another user's HOME (sudo -E): no root-owned ~/.cache for them."""
    add_plugin(site, "acme-store", "acme")
    settle()
    other_uid = os.geteuid() + 1
    monkeypatch.setattr(os, "geteuid", lambda: other_uid)
    monkeypatch.setenv(discovery.ENV_CACHE_DIR, str(tmp_path / "home" / ".cache" / "stagecraft"))
    assert [r.name for r in discovery.entry_points(GROUP)] == ["acme"]
    assert not (tmp_path / "home").exists()


def test_old_cache_files_and_abandoned_temporaries_are_pruned(
    site: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    now = time.time()
    files = {
        "entry-points-0000000000000001.marshal": now - 31 * 86_400,  # an old environment
        "entry-points-0000000000000002.marshal": now - 86_400,  # in use yesterday
        "entry-points-0000000000000003.marshal.99.1.tmp": now - 2 * 3_600,  # a killed writer
        "entry-points-0000000000000004.marshal.98.1.tmp": now,  # a writer at work
        "notes.txt": now - 365 * 86_400,  # not ours
    }
    for name, when in files.items():
        (cache / name).write_bytes(b"")
        os.utime(cache / name, (when, when))
    add_plugin(site, "acme-store", "acme")
    settle()
    discovery.entry_points(GROUP)  # a miss: writes its file, then prunes
    left = sorted(p.name for p in cache.iterdir())
    assert "entry-points-0000000000000001.marshal" not in left
    assert "entry-points-0000000000000003.marshal.99.1.tmp" not in left
    for name in ("entry-points-0000000000000002.marshal",
                 "entry-points-0000000000000004.marshal.98.1.tmp", "notes.txt"):
        assert name in left
    assert len(left) == 4
