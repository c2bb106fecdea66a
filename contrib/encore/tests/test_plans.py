"""Plans through the CLI: one ``encore secret list``, conflicts before any ``set``, the record."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stagecraft.errors import EXIT_PROVIDER_ERROR, EXIT_USER_ERROR
from stagecraft.providers.secrets import (
    Context,
    PartialSyncError,
    SyncOptions,
    SyncResult,
)
from stagecraft.testing import RunStagecraft
from stagecraft_encore import cli_runner
from stagecraft_encore.errors import ListOutputError, SecretListError, SelectionConflictError
from stagecraft_encore.provider import EncoreStore

if TYPE_CHECKING:
    from conftest import FakeEncore

pytest_plugins = ["stagecraft.testing"]

WriteEnv = Callable[[Path, Mapping[str, str]], Path]
CANARY = "canary-7f3a9c-do-not-leak"
RECORD = Path(".local/state/stagecraft/written.json")
KEY = Path(".config/stagecraft/record.key")


def sync(ctx: Context, **options: Any) -> SyncResult:
    return EncoreStore().sync(ctx, SyncOptions(**options))


def actions(result: SyncResult) -> dict[str, str]:
    return {change.key: change.action.value for change in result.changes}


# ------------------------------------------------------------- plans from `list`


def test_dry_run_classifies_from_one_list_call(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"NEW": "1", "SAME": "2", "OTHER_TYPE": "3"})
    fake_encore.add_group("SAME", ["type:development", "type:local"])
    fake_encore.add_group("OTHER_TYPE", ["type:production"])  # no shared selector
    result = sync(ctx, source=".env", target="local,dev", dry_run=True)
    assert actions(result) == {"NEW": "added", "SAME": "updated", "OTHER_TYPE": "added"}
    assert [c["argv"] for c in fake_encore.calls()] == [
        ["secret", "list", "NEW", "SAME", "OTHER_TYPE"]
    ]
    assert fake_encore.calls()[0]["cwd"] == str(app)


def test_conflict_stops_before_any_set_dry_run_too(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1", "B": "2", "C": "3"})
    a_group = fake_encore.add_group("A", ["type:development"])
    fake_encore.add_group("C", ["type:local", "type:production", "env:eu"])
    for dry_run in (True, False):
        with pytest.raises(SelectionConflictError) as info:
            sync(ctx, source=".env", target="dev,local", dry_run=dry_run)
        error = info.value
        assert error.exit_code == EXIT_USER_ERROR
        lines = str(error).splitlines()
        assert lines[0] == (
            "encore: development,local: 2 key(s) already have a secret group that overlaps "
            "this selection (type:development, type:local) without matching it, so "
            "`encore secret set` would fail; nothing was set:"
        )
        assert lines[1] == (
            f"  A: group {a_group} covers type:development "
            "(to update it, sync with --to development)"
        )
        assert lines[2].startswith("  C: group secgrp_000000000002 covers env:eu, "
                                   "type:local, type:production (to update it, sync with "
                                   "--to production,local,env:eu)")
        assert "`encore secret delete GROUP_ID`" in lines[3]
    assert fake_encore.calls_of("set") == []
    assert len(fake_encore.calls_of("list")) == 2


def test_conflict_through_the_command_exits_1(
    fake_encore: FakeEncore, app: Path, write_env: WriteEnv, run_stagecraft: RunStagecraft
) -> None:
    write_env(app / ".env.local", {"A": "1"})
    fake_encore.add_group("A", ["type:development"])
    result = run_stagecraft("secrets", "sync", "--provider", "encore", "--from", ".env.local",
                            "--to", "dev,local", "--dry-run", cwd=app)
    assert result.exit_code == 1
    assert "A: group secgrp_000000000001 covers type:development" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_encore.calls_of("set") == []


def test_archived_group_counts_as_updated_with_a_warning(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_env(app / ".env", {"A": "1"})
    group = fake_encore.add_group("A", ["type:development"], archived=True)
    with caplog.at_level(logging.WARNING):
        assert sync(ctx, source=".env", target="dev").updated == ("A",)
    assert f"A: its group for development ({group}) is archived" in caplog.text


def test_older_cli_without_list_falls_back_with_a_warning(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_env(app / ".env", {"A": "1", "B": "2"})
    fake_encore.add_group("A", ["type:development"])
    fake_encore.no_list()
    with caplog.at_level(logging.WARNING):
        assert sync(ctx, source=".env", target="dev", dry_run=True).updated == ("A", "B")
    assert "has no `encore secret list KEY...` (an older version)" in caplog.text
    # The record cannot help without knowing what exists: still updated after a sync.
    assert actions(sync(ctx, source=".env", target="dev")) == {"A": "updated", "B": "added"}
    assert sync(ctx, source=".env", target="dev", dry_run=True).updated == ("A", "B")


def test_list_failure_is_a_provider_error_before_any_set(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": CANARY})
    fake_encore.list_error(f"unable to list secrets: {CANARY} 502 Bad Gateway")
    with pytest.raises(SecretListError) as info:
        sync(ctx, source=".env", target="dev")
    assert info.value.exit_code == EXIT_PROVIDER_ERROR
    assert str(info.value) == (
        "`encore secret list` failed, nothing was set: encore exited with status 1: "
        "error: unable to list secrets: *** 502 Bad Gateway"
    )
    assert fake_encore.calls_of("set") == []


def test_output_not_understood_is_refused_naming_the_version(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_env(app / ".env", {"A": "1"})
    monkeypatch.setenv("FAKE_ENCORE_VERSION", "v2.0.0")
    fake_encore.list_output('[{"id": "secgrp_1", "key": "A"}]\n')
    with pytest.raises(ListOutputError) as info:
        sync(ctx, source=".env", target="dev", dry_run=True)
    assert info.value.exit_code == EXIT_PROVIDER_ERROR
    assert str(info.value).startswith(
        "cannot read the output of `encore secret list` (encore version v2.0.0): "
        "line 1: not the header"
    )
    assert fake_encore.calls_of("set") == []
    # Offline, `encore version` prints its version and then fails its update check.
    monkeypatch.setenv("FAKE_ENCORE_OFFLINE", "1")
    with pytest.raises(ListOutputError, match=r"\(encore version v2\.0\.0\): line 1"):
        sync(ctx, source=".env", target="dev", dry_run=True)
    monkeypatch.setenv("FAKE_ENCORE_VERSION", "")
    fake_encore.list_output("ID   Secret Key   Environment(s)\nsecgrp_1   A   type:dev\n")
    with pytest.raises(ListOutputError, match=r"\(encore version unknown\): line 2: "
                       "environments are not"):
        sync(ctx, source=".env", target="dev", dry_run=True)


def test_many_keys_are_listed_in_chunks(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_runner, "LIST_CHUNK_KEYS", 3)
    keys = [f"K{i}" for i in range(7)]
    write_env(app / ".env", dict.fromkeys(keys, "v"))
    fake_encore.add_group("K6", ["type:development"])
    result = sync(ctx, source=".env", target="dev", dry_run=True)
    assert actions(result) == {**dict.fromkeys(keys[:6], "added"), "K6": "updated"}
    assert [c["argv"][2:] for c in fake_encore.calls_of("list")] == [
        ["K0", "K1", "K2"], ["K3", "K4", "K5"], ["K6"]
    ]


def test_chunks_respect_the_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_runner, "LIST_CHUNK_BYTES", 10)
    assert list(cli_runner.list_chunks(["AAAA", "BBBB", "CCCC", "D"])) == [
        ["AAAA", "BBBB"], ["CCCC", "D"]
    ]


# ------------------------------------------------------------------- the record


def test_check_right_after_a_sync_then_after_one_source_change(
    fake_encore: FakeEncore, app: Path, write_env: WriteEnv, run_stagecraft: RunStagecraft
) -> None:
    values = {f"K{i:02}": f"value-{i}" for i in range(6)}
    write_env(app / ".env.local", values)
    args = ("secrets", "sync", "--provider", "encore", "--from", ".env.local", "--to", "dev")
    assert run_stagecraft(*args, cwd=app).exit_code == 0
    sets = len(fake_encore.calls_of("set"))
    assert sets == 6

    check = run_stagecraft(*args, "--check", cwd=app)
    assert check.exit_code == 0, check.stderr
    assert check.stdout.splitlines() == [f"= {key}" for key in values]

    write_env(app / ".env.local", {**values, "K03": "changed"})
    check = run_stagecraft(*args, "--check", cwd=app)
    assert check.exit_code == 4
    assert [line for line in check.stdout.splitlines() if not line.startswith("=")] == ["~ K03"]
    assert len(fake_encore.calls_of("set")) == sets  # checks never set


def test_no_record_flag_neither_reads_nor_writes(
    fake_encore: FakeEncore, app: Path, home: Path, write_env: WriteEnv,
    run_stagecraft: RunStagecraft,
) -> None:
    write_env(app / ".env.local", {"A": "1"})
    args = ("secrets", "sync", "--provider", "encore", "--from", ".env.local", "--to", "dev")
    assert run_stagecraft(*args, "--no-record", cwd=app).exit_code == 0
    assert not (home / RECORD).exists()
    assert not (home / KEY).exists()
    assert run_stagecraft(*args, cwd=app).exit_code == 0
    assert run_stagecraft(*args, "--check", cwd=app).exit_code == 0
    check = run_stagecraft(*args, "--check", "--no-record", cwd=app)
    assert check.exit_code == 4
    assert check.stdout.splitlines() == ["~ A"]


def test_group_deleted_remotely_is_added_whatever_the_record_says(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1", "B": "2"})
    sync(ctx, source=".env", target="dev")
    assert sync(ctx, source=".env", target="dev", dry_run=True).unchanged == ("A", "B")
    fake_encore.edit_state(lambda state: state["secrets"].pop("A"))
    assert actions(sync(ctx, source=".env", target="dev", dry_run=True)) == {
        "A": "added", "B": "unchanged"
    }
    assert actions(sync(ctx, source=".env", target="dev")) == {"A": "added", "B": "unchanged"}
    assert fake_encore.stored() == {"A": "1", "B": "2"}


def test_record_is_per_app_and_selection(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1"})
    sync(ctx, source=".env", target="dev,local,env:eu")
    # Same selection spelt differently: same entry.
    again = sync(ctx, source=".env", target="local,development,env:eu", dry_run=True)
    assert again.unchanged == ("A",)
    # Another app id (same directory): not this machine's write.
    (app / "encore.app").write_text('{"id": "other-app"}\n', encoding="utf-8")
    assert sync(ctx, source=".env", target="dev,local,env:eu", dry_run=True).updated == ("A",)


def test_failed_write_forgets_the_old_fingerprint(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "v1"})
    sync(ctx, source=".env", target="dev")
    write_env(app / ".env", {"A": "v2"})
    fake_encore.fail_keys("A")
    with pytest.raises(PartialSyncError):
        sync(ctx, source=".env", target="dev")
    # The failed `set` may have stored v2: v1 matching the old entry proves nothing now.
    write_env(app / ".env", {"A": "v1"})
    assert sync(ctx, source=".env", target="dev", dry_run=True).updated == ("A",)


def test_damaged_record_is_ignored_with_a_warning(
    fake_encore: FakeEncore, app: Path, ctx: Context, home: Path, write_env: WriteEnv,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_env(app / ".env", {"A": "1", "B": "2"})
    sync(ctx, source=".env", target="dev")
    record = home / RECORD
    document = json.loads(record.read_text(encoding="utf-8"))
    for damage in (b"{not json", b'{"version": 1, "stores": {"encore": {"x": {"A": "zz"}}}}',
                   json.dumps({**document, "version": 99}).encode()):
        record.write_bytes(damage)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert sync(ctx, source=".env", target="dev", dry_run=True).updated == ("A", "B")
        assert f"write record: {record} is damaged and is ignored" in caplog.text
    # The next sync starts a new record.
    sync(ctx, source=".env", target="dev")
    assert sync(ctx, source=".env", target="dev", dry_run=True).unchanged == ("A", "B")


def test_key_readable_by_others_is_not_trusted(
    fake_encore: FakeEncore, app: Path, ctx: Context, home: Path, write_env: WriteEnv,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_env(app / ".env", {"A": "1"})
    sync(ctx, source=".env", target="dev")
    key = home / KEY
    assert oct(key.stat().st_mode & 0o777) == oct(0o600)
    assert len(key.read_bytes()) >= 32
    assert oct((home / RECORD).stat().st_mode & 0o777) == oct(0o600)
    key.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert sync(ctx, source=".env", target="dev", dry_run=True).updated == ("A",)
    assert "is readable by others or not a regular file, so it is not trusted" in caplog.text


def test_concurrent_syncs_lose_no_record_entries(
    fake_encore: FakeEncore, app: Path, write_env: WriteEnv
) -> None:
    keys = [f"K{i}" for i in range(8)]
    write_env(app / ".env", {key: f"v{key}" for key in keys})
    errors: list[BaseException] = []

    def one(key: str) -> None:
        try:
            ctx = Context(cwd=app, config_dir=app)
            sync(ctx, source=".env", target="dev", keys=(key,))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ctx = Context(cwd=app, config_dir=app)
    assert sync(ctx, source=".env", target="dev", dry_run=True).unchanged == tuple(keys)


def _plain_forms(value: str) -> set[str]:
    """A value and its unkeyed hashes as they could appear in a file (hex and base64)."""
    raw = value.encode("utf-8")
    forms = {value} if len(value) >= 4 else set()
    for algorithm in ("sha256", "sha1", "md5"):
        digest = hashlib.new(algorithm, raw).digest()
        forms |= {digest.hex(), digest.hex().upper(), base64.b64encode(digest).decode(),
                  base64.urlsafe_b64encode(digest).decode().rstrip("=")}
    if len(raw) >= 6:
        forms.add(base64.b64encode(raw).decode().rstrip("="))
    return forms


def test_canary_scan_finds_no_value_nor_plain_hash(
    fake_encore: FakeEncore, tmp_path: Path, app: Path, home: Path, write_env: WriteEnv,
    awkward_values: dict[str, str], run_stagecraft: RunStagecraft,
) -> None:
    source = write_env(app / ".env.local", awkward_values)
    args = ("secrets", "sync", "--provider", "encore", "--from", ".env.local", "--to", "dev")
    assert run_stagecraft(*args, cwd=app).exit_code == 0
    assert run_stagecraft(*args, "--check", cwd=app).exit_code == 0
    forms = set().union(*(_plain_forms(v) for v in awkward_values.values()))
    fake_files = {fake_encore.state_file, fake_encore.log, fake_encore.bin_dir}
    scanned = 0
    for root in (home, app):
        for path in root.rglob("*"):
            if not path.is_file() or path == source or any(
                path == f or f in path.parents for f in fake_files
            ):
                continue
            text = path.read_bytes().decode("latin-1")
            scanned += 1
            for form in forms:
                assert form not in text, f"{path} holds a value or a plain hash of one"
    assert scanned >= 3  # the key, the record, encore.app
    assert (home / RECORD).is_file()


def test_app_without_id_is_recorded_by_its_path(tmp_path: Path) -> None:
    from stagecraft_encore.cli_store import app_identity

    first, second = tmp_path / "a", tmp_path / "b"
    for directory, text in ((first, "{}\n"), (second, "// a comment: not JSON\n{}")):
        directory.mkdir()
        (directory / "encore.app").write_text(text, encoding="utf-8")
    assert app_identity(first / "encore.app") == f"path={first.resolve() / 'encore.app'}"
    assert app_identity(second / "encore.app") == f"path={second.resolve() / 'encore.app'}"
    (first / "encore.app").write_text(
        '{\n\t// linked with `encore app link`\n\t"id":   "shop-9f2",\n}\n', encoding="utf-8"
    )
    assert app_identity(first / "encore.app") == "id=shop-9f2"
