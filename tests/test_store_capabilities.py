"""A store's capabilities: declared, or, for a store written to the pinned v2 interface
that declares nothing, taken from the methods its class defines."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import stagecraft
from stagecraft.context import Context
from stagecraft.providers.secrets import Registry, SyncOptions


class Undeclared(stagecraft.SecretStore):
    """The design's DirStore shape: read, write_one and delete, nothing declared."""

    id = "undeclared"

    def __init__(self) -> None:
        self.data: dict[str, str] = {"OLD": "old-value-1"}

    def read(self, ctx: Context, location: str, keys: Collection[str] | None) -> Mapping[str, str]:
        return dict(self.data)

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        self.data[key] = value

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        for key in keys:
            self.data.pop(key, None)


class Batch(stagecraft.SecretStore):
    id = "batch"

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        raise NotImplementedError


class DeclaredOff(Undeclared):
    """A declaration wins over the methods: this subclass may not prune."""

    id = "declared-off"
    can_delete = False


class OneByOneAgain(Batch):
    """A subclass that adds write_one over a batch base still writes in batches."""

    id = "again"

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        raise NotImplementedError


def test_undeclared_capabilities_follow_the_methods() -> None:
    assert (Undeclared.writes_one_by_one, Undeclared.can_delete, Undeclared.lists_keys) == (
        True, True, False)
    assert (Batch.writes_one_by_one, Batch.can_delete) == (False, False)
    assert (DeclaredOff.writes_one_by_one, DeclaredOff.can_delete) == (True, False)
    assert OneByOneAgain.writes_one_by_one is False


def test_an_undeclared_store_syncs_and_prunes(tmp_path: Path) -> None:
    (tmp_path / "src.env").write_text("NEW=new-value-2\n")
    store = Undeclared()
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    result = store.sync(ctx, SyncOptions(source="src.env", target="here", prune=True))
    assert (result.added, result.removed) == (("NEW",), ("OLD",))
    assert store.data == {"NEW": "new-value-2"}
