"""Parsing ``--to`` and the config's default target."""

from __future__ import annotations

import pytest

from stagecraft.errors import UserError
from stagecraft_encore.targets import (
    CliTarget,
    CueTarget,
    TargetError,
    default_target,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "types", "envs"),
    [
        ("dev", ("development",), ()),
        ("dev,local", ("development", "local"), ()),
        ("dev,preview,local", ("development", "preview", "local"), ()),
        ("prod,pr,ephemeral,development", ("production", "preview", "development"), ()),
        ("local,local,dev,development", ("local", "development"), ()),
        ("env:staging", (), ("staging",)),
        ("env:staging,qa", (), ("staging", "qa")),
        ("env:staging,env:qa,staging", (), ("staging", "qa")),
        ("dev,env:staging", ("development",), ("staging",)),
        ("prod,local,env:eu-1,us-2", ("production", "local"), ("eu-1", "us-2")),
    ],
)
def test_cli_targets(text: str, types: tuple[str, ...], envs: tuple[str, ...]) -> None:
    assert parse_target(text) == CliTarget(types, envs)


@pytest.mark.parametrize(
    "text", [".secrets.local.cue", "sub/x.cue", "/abs/o.cue", "other.CUE", "app/.secrets.local.cue"]
)
def test_cue_targets(text: str) -> None:
    assert parse_target(text) == CueTarget(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Dev", "unknown environment type 'Dev'"),
        ("dev,staging", "unknown environment type 'staging'"),
        ("", "empty environment type"),
        ("dev,", "empty environment type"),
        ("env:", "empty environment name"),
        ("env:a,,b", "empty environment name"),
        ("env: a", "invalid environment name ' a'"),
        ("env:-x", "invalid environment name '-x'"),
    ],
)
def test_bad_targets(text: str, fragment: str) -> None:
    with pytest.raises(TargetError) as info:
        parse_target(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, UserError)


@pytest.mark.parametrize(
    ("text", "hint"),
    [(".secrets.local.CUE", ".secrets.local.cue"), ("app/.Secrets.Local.cue",
                                                    "app/.secrets.local.cue")],
)
def test_the_override_file_name_is_case_sensitive(text: str, hint: str) -> None:
    """Encore opens exactly `.secrets.local.cue`: another case is a file it never reads."""
    with pytest.raises(TargetError) as info:
        parse_target(text)
    assert str(info.value) == (
        f"encore: {text!r}: Encore reads only '.secrets.local.cue', and the name is "
        f"case-sensitive; write --to {hint}"
    )


def test_unknown_type_lists_known_types() -> None:
    with pytest.raises(TargetError, match=r"known: development, production, preview, local, dev"):
        parse_target("staging")


def test_default_target_uses_config() -> None:
    assert default_target(["dev", "local"], ["qa"]) == CliTarget(("development", "local"), ("qa",))


def test_default_target_needs_something() -> None:
    with pytest.raises(TargetError, match=r"no target: pass --to"):
        default_target([], [])


def test_describe_round_trips() -> None:
    target = parse_target("dev,pr,env:qa,eu")
    assert target.describe() == "development,preview,env:qa,eu"
    assert parse_target(target.describe()) == target
