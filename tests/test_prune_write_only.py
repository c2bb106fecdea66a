"""``--prune`` on a write-only store: planned from the keys it lists; refused if it cannot list."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

import stagecraft
from stagecraft.errors import UserError
from stagecraft.providers.secrets import Action, Context, SyncOptions


@pytest.fixture(autouse=True)
def _private_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write record (and its key) in the test's directory, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


class ListingStore(stagecraft.SecretStore):
    """Write-only, names compared ignoring case (as GitHub does), and it can list them."""

    id = "listing"
    readable = False
    can_delete = True
    lists_keys = True

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.deleted: list[str] = []

    def existing_keys(
        self, ctx: Context, location: str, keys: Collection[str]
    ) -> Collection[str] | None:
        return [key for key in keys if key.upper() in self.data]

    def prunable_keys(
        self, ctx: Context, location: str, keys: Collection[str]
    ) -> Collection[str]:
        wanted = {key.upper() for key in keys}
        return [name for name in self.data if name not in wanted]

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        self.data.update({key.upper(): value for key, value in values.items()})

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        self.deleted += keys
        for key in keys:
            del self.data[key]


class BlindStore(ListingStore):
    """The same without a way to list: --prune cannot plan."""

    lists_keys = False


def test_prune_removes_listed_keys_the_source_lacks(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("db_url=1\nKEEP=2\n", encoding="utf-8")
    store = ListingStore()
    store.data.update({"DB_URL": "0", "OLD": "x", "OTHER_OLD": "y"})
    ctx = Context(cwd=tmp_path)
    options = SyncOptions(source=".env", target="here", prune=True)
    result = store.sync(ctx, options)
    assert {c.key: c.action for c in result.changes} == {
        "db_url": Action.UPDATED, "KEEP": Action.ADDED,
        "OLD": Action.REMOVED, "OTHER_OLD": Action.REMOVED,
    }
    assert store.data == {"DB_URL": "1", "KEEP": "2"}
    assert store.deleted == ["OLD", "OTHER_OLD"]
    # Key patterns limit what is pruned, as for readable stores.
    store.data["OLD"] = "back"
    store.sync(ctx, SyncOptions(source=".env", target="here", prune=True, keys=("KEEP",)))
    assert "OLD" in store.data


def test_prune_is_refused_when_the_store_cannot_list(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n", encoding="utf-8")
    store = BlindStore()
    assert store.can_delete
    assert not store.can_prune
    with pytest.raises(UserError, match="cannot be read back, so --prune is refused"):
        store.sync(Context(cwd=tmp_path), SyncOptions(source=".env", target="here", prune=True))
    assert store.data == {}
