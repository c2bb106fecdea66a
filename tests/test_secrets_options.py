"""SyncOptions (frozen, validated keys, select) and SyncResult (per-key changes, no values)."""

from __future__ import annotations

import attrs
import pytest

from stagecraft.errors import UserError
from stagecraft.providers.secrets import (
    Action,
    Change,
    InvalidOptionsError,
    MissingKeysError,
    PartialSyncError,
    SyncOptions,
    SyncResult,
)

# ---------------------------------------------------------------- SyncOptions


def test_defaults() -> None:
    options = SyncOptions()
    assert options.config is None
    assert options.source == ""
    assert options.target == ""
    assert options.keys == ()
    assert options.dry_run is False


def test_is_frozen() -> None:
    options = SyncOptions(keys=("A",))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.keys = ("B",)  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.dry_run = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (["B", "A"], ("B", "A")),
        (("A",), ("A",)),
        ("SOLO", ("SOLO",)),
        ((key for key in ["X", "Y"]), ("X", "Y")),
    ],
)
def test_keys_become_a_tuple_in_given_order(given: object, kept: tuple[str, ...]) -> None:
    options = SyncOptions(keys=given)  # type: ignore[arg-type]
    assert options.keys == kept
    assert isinstance(options.keys, tuple)


@pytest.mark.parametrize("bad", [[""], ["A", "  "], ["A", 3]])
def test_empty_or_non_string_keys_are_rejected(bad: list[object]) -> None:
    with pytest.raises(InvalidOptionsError) as info:
        SyncOptions(keys=bad)  # type: ignore[arg-type]
    assert str(info.value) == "key names must be non-empty strings"
    assert isinstance(info.value, UserError)
    assert isinstance(info.value, ValueError)


def test_duplicate_keys_are_rejected_naming_each_once() -> None:
    with pytest.raises(InvalidOptionsError) as info:
        SyncOptions(keys=["A", "B", "A", "C", "B", "A"])
    assert str(info.value) == "key requested more than once: A, B"


def test_evolve_revalidates() -> None:
    with pytest.raises(InvalidOptionsError):
        attrs.evolve(SyncOptions(keys=("A",)), keys=("A", "A"))


def test_select_all_when_no_keys_requested() -> None:
    assert SyncOptions().select(["B", "A"], source=".env") == ["B", "A"]


def test_select_returns_requested_keys_in_request_order() -> None:
    options = SyncOptions(keys=("C", "A"))
    assert options.select(["A", "B", "C"], source=".env") == ["C", "A"]


def test_select_names_every_missing_key() -> None:
    options = SyncOptions(keys=("Z", "A", "Y"))
    with pytest.raises(MissingKeysError) as info:
        options.select(iter(["A", "B"]), source=".env.local")
    assert str(info.value) == ".env.local: requested keys not found: Y, Z"
    assert info.value.keys == ("Y", "Z")
    assert info.value.source == ".env.local"
    assert info.value.exit_code == 1


def test_select_single_missing_key_is_singular() -> None:
    with pytest.raises(MissingKeysError) as info:
        SyncOptions(keys=("Q",)).select([], source="dev")
    assert str(info.value) == "dev: requested key not found: Q"


# ----------------------------------------------------------------- SyncResult


def test_result_has_no_value_field_anywhere() -> None:
    names = {field.name for field in attrs.fields(SyncResult)}
    names |= {field.name for field in attrs.fields(Change)}
    assert names == {"changes", "key", "action", "source", "target"}
    result = SyncResult.from_actions([("API_TOKEN", "added")])
    assert repr(result) == (
        "SyncResult(changes=(Change(key='API_TOKEN', action=<Action.ADDED: 'added'>),), "
        "source='', target='')"
    )


def test_result_properties_group_keys_by_action() -> None:
    result = SyncResult.from_actions(
        [
            ("A", "added"),
            ("U", Action.UPDATED),
            ("S", "unchanged"),
            ("R", "removed"),
            ("A2", "added"),
        ]
    )
    assert result.added == ("A", "A2")
    assert result.updated == ("U",)
    assert result.unchanged == ("S",)
    assert result.removed == ("R",)
    assert result.changed is True
    assert [change.key for change in result.changes] == ["A", "U", "S", "R", "A2"]


def test_result_with_only_unchanged_keys_is_not_changed() -> None:
    assert SyncResult.from_actions([("A", "unchanged")]).changed is False
    assert SyncResult().changed is False
    assert SyncResult().changes == ()


def test_change_converts_action_strings_and_rejects_unknown() -> None:
    assert Change("K", "removed").action is Action.REMOVED  # type: ignore[arg-type]
    assert str(Action.UPDATED) == "updated"
    with pytest.raises(ValueError, match="'deleted' is not a valid Action"):
        Change("K", "deleted")  # type: ignore[arg-type]


def test_result_rejects_a_key_listed_twice() -> None:
    with pytest.raises(ValueError, match=r"^SyncResult lists key 'A' twice$"):
        SyncResult.from_actions([("A", "added"), ("A", "removed")])


def test_result_rejects_non_change_items() -> None:
    with pytest.raises(TypeError, match=r"^SyncResult\.changes holds tuple, not Change$"):
        SyncResult([("A", "added")])  # type: ignore[list-item]


def test_result_is_frozen_and_changes_is_a_tuple() -> None:
    result = SyncResult(Change(key, Action.ADDED) for key in ["A", "B"])
    assert isinstance(result.changes, tuple)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.changes = ()  # type: ignore[misc]


def test_partial_sync_error_lists_done_and_failed_keys() -> None:
    done = SyncResult.from_actions([("A", "added")])
    error = PartialSyncError("sync to dev failed part way", done, {"Z": "denied", "B": "timeout"})
    assert str(error) == (
        "sync to dev failed part way\n"
        "  synced (1): A\n"
        "  not synced (2):\n"
        "    B: timeout\n"
        "    Z: denied"
    )
    assert error.exit_code == 2
    assert error.result is done
