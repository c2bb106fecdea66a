"""The encore provider writing the local override file, ``.secrets.local.cue``."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from stagecraft.engine import RefusedValuesError
from stagecraft.errors import UserError
from stagecraft.providers.secrets import Action, Context, SyncOptions, SyncResult
from stagecraft_encore import cue
from stagecraft_encore.provider import EncoreProvider

if TYPE_CHECKING:
    from conftest import FakeEncore

WriteEnv = Callable[[Path, Mapping[str, str]], Path]
CANARY = "canary-7f3a9c-do-not-leak"
CUE = ".secrets.local.cue"


def sync(ctx: Context, **options: Any) -> SyncResult:
    return EncoreProvider().sync(ctx, SyncOptions(**options))


def decode_independently(text: str) -> dict[str, str]:
    """Each line as `json: json`, without the provider's reader."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(": ")
        assert sep, line
        values[json.loads(label)] = json.loads(value)
    return values


def test_values_of_every_shape_land_exactly(
    app: Path, ctx: Context, write_env: WriteEnv, awkward_values: dict[str, str]
) -> None:
    values = {
        **awkward_values,
        "PEM": "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n",
        "CRLF_END": "x\r\n",
    }
    write_env(app / ".env", values)
    result = sync(ctx, source=".env", target=CUE)
    assert result.added == tuple(values)
    path = app / CUE
    text = path.read_text("ascii")
    assert cue.parse(text).values() == values
    assert decode_independently(text) == values
    assert list(decode_independently(text)) == list(values)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert '"INTERP": "literal \\\\(x) and \\\\n not a newline"' in text.splitlines()


def test_merge_keeps_existing_lines_and_order(app: Path, ctx: Context, write_env: WriteEnv) -> None:
    path = app / CUE
    path.write_text(
        '// my overrides\nGitHubAPIToken: "old"\n\n"Keep": "mine"\n"Same": "s"\n',
        encoding="utf-8",
    )
    path.chmod(0o640)
    write_env(app / ".env", {"New": "n", "Same": "s", "GitHubAPIToken": "fresh"})
    result = sync(ctx, source=".env", target=CUE)
    assert (
        result.changes
        == SyncResult.from_actions(
            [("New", Action.ADDED), ("Same", Action.UNCHANGED), ("GitHubAPIToken", Action.UPDATED)]
        ).changes
    )
    assert path.read_text("utf-8") == (
        '// my overrides\n"GitHubAPIToken": "fresh"\n\n"Keep": "mine"\n"Same": "s"\n"New": "n"\n'
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_crlf_file_stays_crlf(app: Path, ctx: Context, write_env: WriteEnv) -> None:
    path = app / CUE
    path.write_bytes(b'// from Windows\r\n"Old": "1"\r\n"Same": "s"\r\n')
    write_env(app / ".env", {"Old": "2", "Same": "s", "New": "n"})
    sync(ctx, source=".env", target=CUE)
    assert path.read_bytes() == (
        b'// from Windows\r\n"Old": "2"\r\n"Same": "s"\r\n"New": "n"\r\n'
    )


def test_unchanged_file_is_not_rewritten(app: Path, ctx: Context, write_env: WriteEnv) -> None:
    write_env(app / ".env", {"A": "1", "B": "2"})
    sync(ctx, source=".env", target=CUE)
    path = app / CUE
    before = path.stat()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 10_000_000_000))
    before = path.stat()
    result = sync(ctx, source=".env", target=CUE, keys=("B",))
    assert result.unchanged == ("B",)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_unreadable_file_is_refused_and_untouched(
    app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    path = app / CUE
    original = 'package secrets\n\n"A": "x"\n'
    path.write_text(original, encoding="utf-8")
    write_env(app / ".env", {"A": CANARY})
    with pytest.raises(cue.CueFormatError) as info:
        sync(ctx, source=".env", target=CUE)
    assert str(info.value).startswith(f"{path}:1: cannot read this line")
    assert CANARY not in str(info.value)
    assert path.read_text("utf-8") == original
    assert sorted(p.name for p in app.iterdir()) == [".env", CUE, "encore.app"]


def test_non_utf8_file_is_refused(app: Path, ctx: Context, write_env: WriteEnv) -> None:
    path = app / CUE
    path.write_bytes(b'"A": "\xff"\n')
    write_env(app / ".env", {"A": "1"})
    with pytest.raises(cue.CueFormatError, match=r"not UTF-8 text \(byte 6\)"):
        sync(ctx, source=".env", target=CUE)
    assert path.read_bytes() == b'"A": "\xff"\n'


def test_dry_run_writes_nothing(app: Path, ctx: Context, write_env: WriteEnv) -> None:
    write_env(app / ".env", {"A": "1"})
    assert sync(ctx, source=".env", target=CUE, dry_run=True).added == ("A",)
    assert not (app / CUE).exists()


def test_path_is_relative_to_app_root(tmp_path: Path, app: Path, write_env: WriteEnv) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    write_env(cwd / "in.env", {"A": "1"})
    ctx = Context(cwd=cwd, config_dir=app)
    sync(ctx, source="in.env", target=CUE)
    assert (app / CUE).is_file()
    assert not (cwd / CUE).exists()


def test_bad_key_names_are_refused(app: Path, ctx: Context, write_env: WriteEnv) -> None:
    write_env(app / ".env", {"OK": "1", "my.key": "2"})
    with pytest.raises(RefusedValuesError, match=r"my\.key: not a valid Encore secret name"):
        sync(ctx, source=".env", target=CUE)
    assert not (app / CUE).exists()


def test_no_encore_cli_needed(
    app: Path, ctx: Context, write_env: WriteEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    write_env(app / ".env", {"A": "1"})
    assert sync(ctx, source=".env", target=CUE).added == ("A",)


def test_warns_about_another_file_name(
    app: Path, ctx: Context, write_env: WriteEnv, caplog: pytest.LogCaptureFixture
) -> None:
    write_env(app / ".env", {"A": "1"})
    with caplog.at_level(logging.WARNING):
        sync(ctx, source=".env", target="other.cue")
    assert "`encore run` will not read it" in caplog.text


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_git_warning(
    app: Path, ctx: Context, write_env: WriteEnv, caplog: pytest.LogCaptureFixture
) -> None:
    write_env(app / ".env", {"A": CANARY})
    with caplog.at_level(logging.WARNING):
        sync(ctx, source=".env", target=CUE)
    assert "not ignored by git" not in caplog.text  # not a work tree: silent

    git(app, "init", "-q")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        sync(ctx, source=".env", target=CUE)
    assert f"{app / CUE} holds secrets but is not ignored by git" in caplog.text
    assert CANARY not in caplog.text

    (app / ".gitignore").write_text(f"{CUE}\n", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        sync(ctx, source=".env", target=CUE)
    assert "not ignored by git" not in caplog.text


def test_fake_encore_not_called(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1"})
    sync(ctx, source=".env", target=CUE)
    assert fake_encore.calls() == []


def test_the_override_file_can_be_a_source_but_cli_environments_cannot(
    app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    from stagecraft.providers.secrets import Registry
    from stagecraft_envfile.provider import EnvfileStore

    write_env(app / ".env", {"A": "1", "B": "two words"})
    sync(ctx, source=".env", target=CUE)
    registry = Registry()
    registry.register(EncoreProvider())
    ctx = attrs.evolve(ctx, registry=registry)
    result = EnvfileStore().sync(ctx, SyncOptions(source=f"encore:{CUE}", target="out.env"))
    assert result.added == ("A", "B")
    assert (app / "out.env").read_text("utf-8") == 'A=1\nB=two words\n'
    with pytest.raises(UserError) as refused:
        EnvfileStore().sync(ctx, SyncOptions(source="encore:dev,local", target="out.env"))
    assert str(refused.value) == "encore: this store is write-only and cannot be a source"
