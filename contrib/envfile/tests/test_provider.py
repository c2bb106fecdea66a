"""The envfile provider through its Python interface: merge rules, errors, dry run."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from stagecraft.dotenv import DotenvError
from stagecraft.engine import RefusedValuesError
from stagecraft.errors import UserError
from stagecraft.providers.secrets import Action, Context, MissingKeysError, SyncOptions
from stagecraft_envfile import EnvfileProvider
from stagecraft_envfile.config import Config

TARGET = (
    "# staging secrets\n"
    "LOG_LEVEL=info\n"
    "export API_KEY=old-value   # rotated monthly\n"
    "\n"
    "KEEP='untouched value'\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_merges_into_target_keeping_everything_else(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path
) -> None:
    write(tmp_path / ".env.local", "API_KEY=new-value\nNEW_KEY=fresh\nLOG_LEVEL=info\n")
    write(tmp_path / ".env.staging", TARGET)

    result = provider.sync(ctx, SyncOptions(source=".env.local", target=".env.staging"))

    assert [(c.key, c.action) for c in result.changes] == [
        ("API_KEY", Action.UPDATED),
        ("NEW_KEY", Action.ADDED),
        ("LOG_LEVEL", Action.UNCHANGED),
    ]
    assert (tmp_path / ".env.staging").read_text() == (
        "# staging secrets\n"
        "LOG_LEVEL=info\n"
        "export API_KEY=new-value # rotated monthly\n"
        "\n"
        "KEEP='untouched value'\n"
        "NEW_KEY=fresh\n"
    )


def test_selected_keys_only(provider: EnvfileProvider, ctx: Context, tmp_path: Path) -> None:
    write(tmp_path / "src.env", "A=1\nB=2\nC=3\n")
    result = provider.sync(ctx, SyncOptions(source="src.env", target="out.env", keys=("C", "A")))
    assert result.added == ("C", "A")
    assert (tmp_path / "out.env").read_text() == "C=3\nA=1\n"


def test_missing_keys_fail_before_writing(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path
) -> None:
    write(tmp_path / "src.env", "A=1\n")
    target = write(tmp_path / "out.env", TARGET)
    with pytest.raises(MissingKeysError) as info:
        provider.sync(ctx, SyncOptions(source="src.env", target="out.env", keys=("A", "Z", "Y")))
    assert str(info.value).endswith("requested keys not found: Y, Z")
    assert target.read_text() == TARGET


def test_second_sync_is_unchanged_and_leaves_mtime(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path
) -> None:
    write(tmp_path / "src.env", 'A=1\nB="two words"\n')
    opts = SyncOptions(source="src.env", target="out.env")
    provider.sync(ctx, opts)
    target = tmp_path / "out.env"
    os.utime(target, (1_000_000, 1_000_000))
    result = provider.sync(ctx, opts)
    assert result.unchanged == ("A", "B")
    assert not result.changed
    assert target.stat().st_mtime == 1_000_000


def test_dry_run_reports_and_writes_nothing(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path
) -> None:
    write(tmp_path / "src.env", "API_KEY=new-value\nNEW_KEY=x\n")
    target = write(tmp_path / "out.env", TARGET)
    result = provider.sync(ctx, SyncOptions(source="src.env", target="out.env", dry_run=True))
    assert result.updated == ("API_KEY",)
    assert result.added == ("NEW_KEY",)
    assert target.read_text() == TARGET
    fresh = provider.sync(ctx, SyncOptions(source="src.env", target="new.env", dry_run=True))
    assert fresh.added == ("API_KEY", "NEW_KEY")
    assert not (tmp_path / "new.env").exists()


def test_config_paths_resolve_against_config_dir(
    provider: EnvfileProvider, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    elsewhere = tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    write(project / ".env.local", "A=1\n")
    ctx = Context(cwd=elsewhere, config_dir=project)
    config = Config(source_file=".env.local", target_file=".env.staging")
    provider.sync(ctx, SyncOptions(config=config))
    assert (project / ".env.staging").read_text() == "A=1\n"
    assert list(elsewhere.iterdir()) == []


def test_command_line_paths_resolve_against_cwd(provider: EnvfileProvider, tmp_path: Path) -> None:
    project = tmp_path / "project"
    work = tmp_path / "work"
    project.mkdir()
    work.mkdir()
    write(work / "mine.env", "A=1\n")
    ctx = Context(cwd=work, config_dir=project)
    provider.sync(ctx, SyncOptions(source="mine.env", target="out.env"))
    assert (work / "out.env").read_text() == "A=1\n"


def test_missing_paths_say_how_to_give_them(provider: EnvfileProvider, ctx: Context) -> None:
    with pytest.raises(UserError, match=r"pass --from or set .*envfile.source_file"):
        provider.sync(ctx, SyncOptions(target="out.env"))
    with pytest.raises(UserError, match=r"pass --to or set secrets.providers.envfile.target_file"):
        provider.sync(ctx, SyncOptions(source="in.env"))


def test_create_target_false(provider: EnvfileProvider, ctx: Context, tmp_path: Path) -> None:
    write(tmp_path / "src.env", "A=1\n")
    with pytest.raises(UserError, match="target does not exist and create_target is false"):
        provider.sync(
            ctx, SyncOptions(config=Config(create_target=False), source="src.env", target="x.env")
        )
    assert not (tmp_path / "x.env").exists()


def test_same_file_is_refused(provider: EnvfileProvider, ctx: Context, tmp_path: Path) -> None:
    write(tmp_path / "a.env", "A=1\n")
    (tmp_path / "link.env").symlink_to(tmp_path / "a.env")
    with pytest.raises(UserError, match="source and target are the same file"):
        provider.sync(ctx, SyncOptions(source="a.env", target="link.env"))


@pytest.mark.parametrize(
    ("where", "text", "line"),
    [
        ("source", "A=1\na@b=2\n", 2),
        ("source", 'A=1\nB="unterminated\nC=3\n', 2),
        ("target", "X=1\n\nY='a' b\n", 3),
    ],
)
def test_malformed_files_name_file_and_line(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path, where: str, text: str, line: int
) -> None:
    source = write(tmp_path / "src.env", "A=1\n" if where == "target" else text)
    target = write(tmp_path / "out.env", text if where == "target" else "X=1\n")
    before = target.read_bytes()
    with pytest.raises(DotenvError) as info:
        provider.sync(ctx, SyncOptions(source="src.env", target="out.env"))
    bad = target if where == "target" else source
    assert str(info.value).startswith(f"{bad}:{line}:")
    assert target.read_bytes() == before


def test_unwritable_value_is_refused_naming_the_key(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path
) -> None:
    canary = "canary-${HOME}-d41d8cd9"
    write(tmp_path / "src.env", f"OK=1\nTEMPLATE='{canary}'\n")
    target = write(tmp_path / "out.env", "X=1\n")
    with pytest.raises(RefusedValuesError) as info:
        provider.sync(ctx, SyncOptions(source="src.env", target="out.env"))
    assert "TEMPLATE" in str(info.value)
    assert canary not in str(info.value)
    assert target.read_text() == "X=1\n"
    # Narrowing the readers to docker compose makes the value writable.
    narrowed = Config(readers=["docker-compose"])
    provider.sync(ctx, SyncOptions(config=narrowed, source="src.env", target="out.env"))
    from stagecraft.dotenv import load

    assert load(target).values()["TEMPLATE"] == canary


def test_unknown_reader_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="unknown reader"):
        Config(readers=["bash"])


def test_no_value_in_logs_or_reprs(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "canary-7f3a9b2c-value"
    write(tmp_path / "src.env", f"SECRET={canary}\nJUSTAKEY\nSECRET={canary}\n")
    caplog.set_level(logging.DEBUG)
    opts = SyncOptions(source="src.env", target="out.env")
    result = provider.sync(ctx, opts)
    assert canary in (tmp_path / "out.env").read_text()
    seen = caplog.text + repr(result) + str(result) + repr(provider) + repr(opts) + repr(ctx)
    assert canary not in seen
    assert "src.env:2: <8 characters> has no '='" in caplog.text  # named by line, not echoed
    assert ctx.redactor.redact(f"oops {canary}") == "oops ***"


def test_every_value_of_both_files_is_masked(
    provider: EnvfileProvider, ctx: Context, tmp_path: Path
) -> None:
    """Target values the sync replaces or keeps are registered too, not only the source's."""
    write(tmp_path / "src.env", "SAME=canary-same-1111\nNEW=canary-new-2222\n")
    write(
        tmp_path / "out.env",
        "SAME=canary-same-1111\nNEW=canary-old-3333\nOTHER=canary-kept-4444\n",
    )
    provider.sync(ctx, SyncOptions(source="src.env", target="out.env"))
    for canary in ("canary-same-1111", "canary-new-2222", "canary-old-3333", "canary-kept-4444"):
        assert ctx.redactor.redact(f"x {canary} y") == "x *** y"
