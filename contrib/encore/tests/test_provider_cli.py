"""The encore provider through the (fake) ``encore`` CLI."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stagecraft.engine import InterruptedSyncError, RefusedValuesError
from stagecraft.errors import EXIT_PROVIDER_ERROR, UserError
from stagecraft.providers.secrets import (
    Action,
    Context,
    MissingKeysError,
    PartialSyncError,
    SyncOptions,
    SyncResult,
)
from stagecraft_encore.cli_runner import AppNotFoundError, EncoreNotFoundError
from stagecraft_encore.config import Config
from stagecraft_encore.provider import EncoreProvider
from stagecraft_encore.targets import TargetError

if TYPE_CHECKING:
    from conftest import FakeEncore

WriteEnv = Callable[[Path, Mapping[str, str]], Path]
CANARY = "canary-7f3a9c-do-not-leak"


def sync(ctx: Context, **options: Any) -> SyncResult:
    return EncoreProvider().sync(ctx, SyncOptions(**options))


def max_overlap(calls: list[dict[str, Any]]) -> int:
    """The most calls that were running at the same moment."""
    events = sorted(
        [(c["start"], 1) for c in calls] + [(c["end"], -1) for c in calls],
        key=lambda event: (event[0], event[1]),  # ends before starts at equal times
    )
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text
        assert "canary" not in text


def test_values_of_every_shape_arrive_exactly(
    fake_encore: FakeEncore,
    app: Path,
    ctx: Context,
    write_env: WriteEnv,
    awkward_values: dict[str, str],
) -> None:
    assert awkward_values["CANARY"] == CANARY
    write_env(app / ".env", awkward_values)
    result = sync(ctx, source=".env", target="dev,local")
    assert (
        result.changes
        == SyncResult.from_actions((key, Action.ADDED) for key in awkward_values).changes
    )
    [listing] = fake_encore.calls_of("list")
    assert listing["argv"] == ["secret", "list", *awkward_values]
    calls = fake_encore.calls_of("set")
    assert len(calls) == len(awkward_values)
    by_key = {call["argv"][-1]: call for call in calls}
    for key, value in awkward_values.items():
        call = by_key[key]
        assert call["argv"] == ["secret", "set", "--type", "development,local", key]
        assert call["value"] == value
        assert call["cwd"] == str(app)
        assert call["exit"] == 0
    assert fake_encore.stored() == awkward_values

    again = sync(ctx, source=".env", target="development,local,dev")
    # Listed with this selection and recorded as written: nothing to send.
    assert again.unchanged == tuple(awkward_values)
    assert len(fake_encore.calls_of("set")) == len(awkward_values)
    assert len(fake_encore.calls_of("list")) == 2


def test_one_call_per_key_with_all_types_and_envs(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    fake_encore.envs("staging", "qa")
    write_env(app / ".env", {"A": "1", "B": "2", "C": "3"})
    result = sync(ctx, source=".env", target="dev,pr,local,env:staging,qa", keys=("C", "A"))
    assert result.added == ("C", "A")
    argvs = sorted(call["argv"] for call in fake_encore.calls_of("set"))
    assert argvs == [
        ["secret", "set", "--type", "development,preview,local", "--env", "staging,qa", key]
        for key in ("A", "C")
    ]
    # One group per key covering everything, so a second run updates it.
    again = sync(ctx, source=".env", target="local,dev,pr,env:qa,staging", record=False)
    assert (
        again.changes
        == SyncResult.from_actions(
            [("A", Action.UPDATED), ("B", Action.ADDED), ("C", Action.UPDATED)]
        ).changes
    )


def test_config_defaults_for_source_target_and_app_root(
    fake_encore: FakeEncore, tmp_path: Path, app: Path, write_env: WriteEnv
) -> None:
    config_dir = tmp_path / "project"
    config_dir.mkdir()
    write_env(config_dir / "secrets.env", {"K": "v"})
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    ctx = Context(cwd=elsewhere, config_dir=config_dir)
    config = Config(source_file="secrets.env", app_root="../app", types=["prod"], concurrency=2)
    assert sync(ctx, config=config).added == ("K",)
    [call] = fake_encore.calls_of("set")
    assert call["argv"] == ["secret", "set", "--type", "production", "K"]
    assert Path(call["cwd"]).resolve() == app.resolve()


def test_mapping_config_is_accepted(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"K": "v"})
    assert sync(ctx, config={"source_file": ".env", "envs": ["qa"]}).added == ("K",)
    assert fake_encore.calls_of("set")[0]["argv"] == ["secret", "set", "--env", "qa", "K"]


def test_missing_keys_fail_before_any_call(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1"})
    with pytest.raises(MissingKeysError, match=r"requested keys not found: B, C"):
        sync(ctx, source=".env", target="dev", keys=("A", "C", "B"))
    assert fake_encore.calls() == []


def test_unknown_type_fails_before_anything(fake_encore: FakeEncore, ctx: Context) -> None:
    with pytest.raises(TargetError, match=r"unknown environment type 'staging'"):
        sync(ctx, source="missing.env", target="dev,staging")
    assert fake_encore.calls() == []


def test_no_source_configured(fake_encore: FakeEncore, ctx: Context) -> None:
    with pytest.raises(Exception, match=r"no source env file: pass --from"):
        sync(ctx, target="dev")


def test_trailing_newlines_are_refused_up_front(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(
        app / ".env",
        {"OK": "fine", "NL": CANARY + "\n", "CR": CANARY + "\r", "MID": "a\nb"},
    )
    with pytest.raises(RefusedValuesError) as info:
        sync(ctx, source=".env", target="dev")
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == "encore:dev: refusing 2 key(s), nothing was written:"
    assert lines[1].startswith("  the value ends with a newline")  # shared: stated once
    assert lines[2:] == ["    CR", "    NL"]
    assert "MID" not in message
    assert "OK:" not in message
    assert_no_canary(message, repr(info.value))
    assert fake_encore.calls_of("set") == []


def test_invalid_key_names_are_refused(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"GOOD": "1", "my-key": "2", "_hidden": "3"})
    with pytest.raises(RefusedValuesError) as info:
        sync(ctx, source=".env", target="dev")
    lines = str(info.value).splitlines()
    assert lines[1].startswith("  not a valid Encore secret name")  # both keys' reason
    assert lines[2:] == ["    _hidden", "    my-key"]
    assert fake_encore.calls_of("set") == []


def test_dry_run_asks_encore_once_and_sets_nothing(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1", "B": "2"})
    fake_encore.add_group("B", ["type:development", "type:local"])
    result = sync(ctx, source=".env", target="dev,local", dry_run=True)
    assert result.added == ("A",)
    assert result.updated == ("B",)
    assert [c["argv"] for c in fake_encore.calls()] == [["secret", "list", "A", "B"]]
    assert list(fake_encore.state()["secrets"]) == ["B"]


def test_missing_binary(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1"})
    with pytest.raises(EncoreNotFoundError) as info:
        sync(ctx, source=".env", target="dev", config=Config(encore_bin="encore-not-installed"))
    assert info.value.exit_code == EXIT_PROVIDER_ERROR
    assert "`encore-not-installed` command was not found on PATH" in str(info.value)
    with pytest.raises(EncoreNotFoundError, match=r"not an executable file"):
        sync(ctx, source=".env", target="dev", config=Config(encore_bin="./bin/encore"))
    assert fake_encore.calls() == []


def test_binary_given_as_a_path(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1"})
    config = Config(encore_bin=str(fake_encore.bin_dir / "encore"))
    assert sync(ctx, source=".env", target="dev", config=config).added == ("A",)


def test_missing_encore_app(fake_encore: FakeEncore, tmp_path: Path, write_env: WriteEnv) -> None:
    bare = tmp_path / "not-an-app"
    bare.mkdir()
    write_env(bare / ".env", {"A": "1"})
    ctx = Context(cwd=bare, config_dir=bare)
    with pytest.raises(AppNotFoundError) as info:
        sync(ctx, source=".env", target="dev")
    assert info.value.exit_code == EXIT_PROVIDER_ERROR
    assert f"no encore.app found in {bare}" in str(info.value)
    assert fake_encore.calls() == []


def test_app_root_below_encore_app_is_found(
    fake_encore: FakeEncore, app: Path, write_env: WriteEnv
) -> None:
    service = app / "svc"
    service.mkdir()
    write_env(service / ".env", {"A": "1"})
    ctx = Context(cwd=service, config_dir=service)
    assert sync(ctx, source=".env", target="dev").added == ("A",)


def test_partial_failure_says_what_was_set(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    values = {f"K{i}": f"{CANARY}-{i}" for i in range(6)}
    write_env(app / ".env", values)
    fake_encore.fail_keys("K1", "K4")
    with pytest.raises(PartialSyncError) as info:
        sync(ctx, source=".env", target="dev", config=Config(concurrency=3))
    error = info.value
    assert error.exit_code == EXIT_PROVIDER_ERROR
    assert error.result.added == ("K0", "K2", "K3", "K5")
    assert error.failed == {
        "K1": "encore exited with status 1: error: unable to create secret: simulated API failure",
        "K4": "encore exited with status 1: error: unable to create secret: simulated API failure",
    }
    assert set(fake_encore.stored()) == {"K0", "K2", "K3", "K5"}
    assert str(error).startswith("encore:dev: sync failed: 2 of 6 key(s) not synced\n")
    assert "synced (4): K0, K2, K3, K5" in str(error)
    assert_no_canary(str(error), repr(error))


def test_cli_stderr_is_redacted(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"SECRET": CANARY, "OTHER": "x" * 8})
    fake_encore.fail_keys("SECRET")
    fake_encore.echo_values()
    with pytest.raises(PartialSyncError) as info:
        sync(ctx, source=".env", target="dev")
    assert "simulated API failure (value was '***')" in info.value.failed["SECRET"]
    assert_no_canary(str(info.value), repr(info.value))


def test_long_echoed_value_is_masked_before_the_message_is_shortened(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    # The fake's stderr ends with the value and two characters, so keeping its
    # last 2000 characters would cut the value: masking must come first.
    long_value = "".join(f"canary-{i:04}-" for i in range(300))
    write_env(app / ".env", {"SECRET": long_value})
    fake_encore.fail_keys("SECRET")
    fake_encore.echo_values()
    with pytest.raises(PartialSyncError) as info:
        sync(ctx, source=".env", target="dev")
    reason = info.value.failed["SECRET"]
    assert reason.endswith("simulated API failure (value was '***')")
    assert "canary-" not in str(info.value) + repr(info.value)


def test_selection_conflict_reported_by_set_without_list(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    """An older CLI (no `list`): the conflict shows only when `set` fails."""
    write_env(app / ".env", {"A": "1"})
    sync(ctx, source=".env", target="dev")
    fake_encore.no_list()
    with pytest.raises(PartialSyncError) as info:
        sync(ctx, source=".env", target="dev,local")
    assert (
        "the environment selection conflicts with other secret values" in (info.value.failed["A"])
    )
    assert info.value.result.changes == ()


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_is_bounded(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv, concurrency: int
) -> None:
    write_env(app / ".env", {f"K{i:02}": str(i) for i in range(7)})
    fake_encore.latency(0.12)
    result = sync(ctx, source=".env", target="dev", config=Config(concurrency=concurrency))
    assert len(result.added) == 7
    peak = max_overlap(fake_encore.calls_of("set"))
    assert peak <= concurrency
    if concurrency > 1:
        assert peak > 1


def test_cancelled_sync_sends_nothing(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": "1"})
    ctx.cancel()
    with pytest.raises(InterruptedSyncError, match="interrupted before anything was written"):
        sync(ctx, source=".env", target="dev")
    assert fake_encore.calls() == []


def test_values_are_registered_for_redaction(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"A": CANARY})
    sync(ctx, source=".env", target="dev", dry_run=True)
    assert ctx.redactor.redact(f"oops {CANARY}") == "oops ***"


def test_nothing_secret_in_logs_or_output(
    fake_encore: FakeEncore,
    ctx: Context,
    write_env: WriteEnv,
    awkward_values: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    write_env(ctx.cwd / ".env", awkward_values)
    fake_encore.fail_keys("CANARY")
    with caplog.at_level(logging.DEBUG), pytest.raises(PartialSyncError) as info:
        sync(ctx, source=".env", target="dev")
    out, err = capfd.readouterr()
    assert_no_canary(caplog.text, out, err, str(info.value), repr(info.value))
    assert "plan: 12 to write, 0 to remove" in caplog.text
    for call in fake_encore.calls():
        assert all(CANARY not in arg for arg in call["argv"])
    assert all(CANARY not in value for value in os.environ.values())


def test_missing_source_file_is_a_user_error(fake_encore: FakeEncore, ctx: Context) -> None:
    with pytest.raises(UserError, match=r"missing\.env: env file not found"):
        sync(ctx, source="missing.env", target="dev")
    assert fake_encore.calls() == []


def test_source_warnings_reach_the_log_without_values(
    fake_encore: FakeEncore, app: Path, ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    (app / ".env").write_text(f'A="{CANARY}"\nA="{CANARY}2"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        result = sync(ctx, source=".env", target="dev")
    assert result.added == ("A",)
    assert "duplicate key 'A'" in caplog.text
    assert_no_canary(caplog.text)
    assert fake_encore.stored() == {"A": CANARY + "2"}


def test_deadline_stops_further_calls(
    fake_encore: FakeEncore, app: Path, write_env: WriteEnv
) -> None:
    keys = [f"K{i}" for i in range(5)]
    write_env(app / ".env", dict.fromkeys(keys, "v"))
    fake_encore.latency(0.3)
    # The plan's `list` call takes one latency, the first `set` another.
    ctx = Context(cwd=app, config_dir=app, deadline=time.monotonic() + 0.75)
    with pytest.raises(PartialSyncError) as info:
        sync(ctx, source=".env", target="dev", config=Config(concurrency=1))
    error = info.value
    assert set(error.result.added) | set(error.failed) | set(error.unknown) == set(keys)
    assert len(error.failed) >= 3
    assert all(reason.startswith("not written: sync ran past its deadline")
               for reason in error.failed.values())
    # The call the deadline cut short was stopped: its key may or may not be set.
    assert all(reason.startswith("may or may not have been written: `encore secret set` did "
                                 "not finish within") for reason in error.unknown.values())
    assert set(error.result.added) <= set(fake_encore.stored())
    assert set(fake_encore.stored()) <= set(error.result.added) | set(error.unknown)
    assert len(fake_encore.calls_of("set")) <= 2
