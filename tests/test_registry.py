"""The Registry contract: sorted ids, de-duplication, clear errors, thread safety."""

from __future__ import annotations

import pytest

from stagecraft.providers.secrets import (
    Context,
    DuplicateProviderError,
    EmptyProviderIDError,
    Origin,
    Registry,
    SyncOptions,
    SyncResult,
    UnknownProviderError,
)


class Provider:
    def __init__(self, provider_id: str) -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


def test_ids_are_sorted_lexicographically() -> None:
    registry = Registry([Provider("zeta"), Provider("Alpha"), Provider("beta")])
    assert registry.ids() == ("Alpha", "beta", "zeta")
    assert [p.id for p in registry.list()] == ["Alpha", "beta", "zeta"]


def test_same_object_twice_counts_once() -> None:
    provider = Provider("envfile")
    registry = Registry([provider, provider])
    assert registry.ids() == ("envfile",)
    assert registry.get("envfile") is provider


def test_duplicate_id_names_both_origins() -> None:
    registry = Registry()
    registry.register(Provider("envfile"), Origin("envfile", "stagecraft-envfile", "0.1.0"))
    with pytest.raises(DuplicateProviderError) as info:
        registry.register(Provider("envfile"), Origin("other", "other-dist", "2.0"))
    message = str(info.value)
    assert "'envfile' is provided by plugin 'envfile' (stagecraft-envfile 0.1.0)" in message
    assert "plugin 'other' (other-dist 2.0)" in message


def test_empty_id_is_rejected() -> None:
    with pytest.raises(EmptyProviderIDError, match="plugin 'blank'"):
        Registry().register(Provider(""), Origin("blank"))


def test_unknown_id_lists_available() -> None:
    registry = Registry([Provider("b"), Provider("a")])
    with pytest.raises(UnknownProviderError) as info:
        registry.get("c")
    assert str(info.value) == "unknown secrets provider 'c' (available: a, b)"
