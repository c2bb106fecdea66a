"""A hung ``encore`` never hangs the sync: every call is stopped after ``call_timeout``.

The stopped call's whole process group is killed by its id; a ``set``
stopped that way may or may not have reached Encore, so its key is reported
unknown, while a stopped ``list`` (the plan) means nothing was set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from stagecraft.config import structure_plain
from stagecraft.errors import ConfigError, ProviderError
from stagecraft.providers.secrets import Context, PartialSyncError, SyncOptions
from stagecraft_encore.config import Config, InvalidConfigError
from stagecraft_encore.provider import EncoreStore

if TYPE_CHECKING:
    from conftest import FakeEncore

WriteEnv = Callable[[Path, Mapping[str, str]], Path]


def test_a_hung_set_is_stopped_and_its_key_reported_unknown(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"API_KEY": "hung-canary-1"})
    fake_encore.no_list()  # no plan call: the `set` is the one that hangs
    fake_encore.latency(300)
    with pytest.raises(PartialSyncError) as info:
        EncoreStore().sync(ctx, SyncOptions(source=".env", target="dev",
                                            config=Config(call_timeout=0.5)))
    error = info.value
    assert error.failed == {}
    assert error.unknown == {"API_KEY": (
        "may or may not have been written: `encore secret set` did not finish within 0.5 s "
        "(call_timeout in secrets.providers.encore) and was stopped; it may or may not be set")}
    [(pid, key)] = fake_encore.started()
    assert key == "API_KEY"
    assert fake_encore.ended(pid), "the hung `encore secret set` was left running"
    assert fake_encore.stored() == {}


def test_a_hung_plan_call_fails_the_sync_before_any_set(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv
) -> None:
    write_env(app / ".env", {"API_KEY": "hung-canary-2"})
    fake_encore.latency(300)
    with pytest.raises(ProviderError) as info:
        EncoreStore().sync(ctx, SyncOptions(source=".env", target="dev",
                                            config=Config(call_timeout=0.5)))
    assert str(info.value) == (
        "`encore secret list` did not finish within 0.5 s (call_timeout in "
        "secrets.providers.encore) and was stopped; nothing was set")
    assert fake_encore.calls_of("set") == []
    assert fake_encore.started() == []


def test_the_default_call_timeout_bounds_every_call() -> None:
    assert Config().call_timeout == 60.0


@pytest.mark.parametrize("value", [0, -1, True, "soon"])
def test_call_timeout_must_be_a_positive_number(value: object) -> None:
    with pytest.raises(InvalidConfigError, match="call_timeout must be a number of seconds > 0"):
        Config(call_timeout=value)  # type: ignore[arg-type]


def test_call_timeout_from_the_config_file(
    fake_encore: FakeEncore, app: Path, write_env: WriteEnv, tmp_path: Path,
) -> None:
    from stagecraft import cli

    write_env(app / ".env", {"API_KEY": "hung-canary-3"})
    (app / "stagecraft.yml").write_text(
        "secrets:\n  provider: encore\n  providers:\n    encore:\n      call_timeout: 0.25\n"
        "      types: [dev]\n", encoding="utf-8")
    fake_encore.no_list()
    fake_encore.latency(300)
    cwd = os.getcwd()
    os.chdir(app)
    try:
        code = cli.main(["secrets", "sync", "--from", ".env"])
    finally:
        os.chdir(cwd)
    assert code == 2
    [(pid, _key)] = fake_encore.started()
    assert fake_encore.ended(pid)
    with pytest.raises(ConfigError, match="call_timeout"):
        structure_plain({"call_timeout": 0}, Config, "encore")
