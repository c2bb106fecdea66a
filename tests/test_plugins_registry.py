"""build_registry: flattening, de-duplication, conflicts and bad contributions, attributed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plugin_dists as helpers  # tests/plugin_dists.py (tests/ is on pythonpath)
import pytest

import stagecraft
from stagecraft.errors import PluginLoadError
from stagecraft.plugins import PluginManager, PluginSettings, load_plugin_manager
from stagecraft.providers.secrets import (
    Context,
    DuplicateProviderError,
    EmptyProviderIDError,
    SyncOptions,
    SyncResult,
)

site = helpers.site

Site = Any


class Provider:
    def __init__(self, provider_id: str) -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


class Returns:
    """A plugin whose secrets_provider_register returns ``value``."""

    def __init__(self, value: object) -> None:
        self.value = value

    @stagecraft.hookimpl
    def secrets_provider_register(self) -> object:
        return self.value


def _manager(**plugins: object) -> PluginManager:
    manager = PluginManager()
    for name, value in plugins.items():
        manager.register(Returns(value), name=name)
    return manager


def test_flattens_single_list_generator_tuple_and_none() -> None:
    single, listed, generated = Provider("single"), Provider("listed"), Provider("gen")

    def generate() -> Iterator[Provider]:
        yield generated

    manager = _manager(
        a=single, b=[listed], c=generate(), d=None, e=(), f=(Provider("tup"),)
    )
    registry = manager.build_registry()
    assert registry.ids() == ("gen", "listed", "single", "tup")
    assert registry.get("single") is single
    assert registry.get("gen") is generated
    assert str(registry.origin("listed")) == "plugin 'b'"


def test_same_object_from_two_plugins_counts_once() -> None:
    shared = Provider("shared")
    registry = _manager(first=shared, second=[shared, shared]).build_registry()
    assert registry.ids() == ("shared",)
    assert registry.get("shared") is shared


def test_every_conflict_is_collected_in_one_error() -> None:
    manager = _manager(
        p1=[Provider("dup"), Provider("other")],
        p2=Provider("dup"),
        p3=[Provider("dup"), Provider("fine")],
        p4=Provider("other"),
    )
    with pytest.raises(DuplicateProviderError) as info:
        manager.build_registry()
    assert str(info.value) == (
        "conflicting secrets provider ids:\n"
        "  'dup' is provided by plugin 'p1' and plugin 'p2' and plugin 'p3'\n"
        "  'other' is provided by plugin 'p1' and plugin 'p4'\n"
        "Disable all but one of them: `-p no:NAME`, `plugins.disable` in stagecraft.yml, "
        "or STAGECRAFT_DISABLE_PLUGINS=NAME."
    )
    assert sorted(info.value.conflicts) == ["dup", "other"]


def test_conflict_between_installed_distributions_names_both(site: Site) -> None:
    first, second = helpers.unique("dupa"), helpers.unique("dupb")
    site.add("stagecraft-vault", {"vault": first}, {first: helpers.provider_module("secret")})
    site.add(
        "acme-secrets", {"acme": second}, {second: helpers.provider_module("secret")},
        version="2.5",
    )
    manager = load_plugin_manager(PluginSettings(allow=("acme", "vault")))
    with pytest.raises(DuplicateProviderError) as info:
        manager.build_registry()
    assert str(info.value).splitlines()[1] == (
        "  'secret' is provided by plugin 'acme' (acme-secrets 2.5) "
        "and plugin 'vault' (stagecraft-vault 1.0)"
    )


def test_empty_id_names_the_plugin(site: Site) -> None:
    module = helpers.unique("blank")
    site.add("blank-dist", {"blank": module}, {module: helpers.provider_module("")})
    manager = load_plugin_manager(PluginSettings(allow=("blank",)))
    with pytest.raises(EmptyProviderIDError) as info:
        manager.build_registry()
    assert str(info.value) == (
        "secrets provider with an empty id from plugin 'blank' (blank-dist 1.0); "
        "disable it with `-p no:blank` or STAGECRAFT_DISABLE_PLUGINS=blank"
    )


class NotAProvider:
    pass


class ProviderClass:
    id = "cls"

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        ("envfile", "returned str, not a provider"),
        (42, "returned int, not a provider"),
        ({"id": "x"}, "returned dict, not a provider"),
        ([Provider("ok"), NotAProvider()], "returned NotAProvider, not a provider"),
        (
            ProviderClass,
            "returned an invalid provider: the class ProviderClass was given instead of an "
            "instance; use ProviderClass() to create one",
        ),
    ],
)
def test_garbage_is_reported_naming_the_plugin(returned: object, problem: str) -> None:
    with pytest.raises(PluginLoadError) as info:
        _manager(good=Provider("good"), junk=returned).build_registry()
    assert str(info.value) == (
        f"plugin 'junk' {problem}; disable it with `-p no:junk` or STAGECRAFT_DISABLE_PLUGINS=junk"
    )
    assert info.value.plugin == "junk"


class Raises:
    @stagecraft.hookimpl
    def secrets_provider_register(self) -> object:
        raise RuntimeError("vault unreachable")


class RaisesInGenerator:
    @stagecraft.hookimpl
    def secrets_provider_register(self) -> Iterator[Provider]:
        yield Provider("first")
        raise KeyError("missing setting")


def test_raising_hook_names_the_plugin_and_all_broken_plugins_are_listed() -> None:
    manager = PluginManager()
    manager.register(Raises(), name="raiser")
    manager.register(RaisesInGenerator(), name="lazy")
    manager.register(Returns(3), name="junk")
    with pytest.raises(PluginLoadError) as info:
        manager.build_registry()
    here = Path(__file__)
    lazy_line = RaisesInGenerator.secrets_provider_register.__code__.co_firstlineno + 3
    raiser_line = Raises.secrets_provider_register.__code__.co_firstlineno + 2
    assert sorted(str(info.value).splitlines()) == [
        "plugin 'junk' returned int, not a provider; "
        "disable it with `-p no:junk` or STAGECRAFT_DISABLE_PLUGINS=junk",
        f"plugin 'lazy' raised in secrets_provider_register: KeyError at {here}:{lazy_line} "
        "(run with -v for its message); "
        "disable it with `-p no:lazy` or STAGECRAFT_DISABLE_PLUGINS=lazy",
        f"plugin 'raiser' raised in secrets_provider_register: RuntimeError at "
        f"{here}:{raiser_line} (run with -v for its message); "
        "disable it with `-p no:raiser` or STAGECRAFT_DISABLE_PLUGINS=raiser",
    ]


def test_blocked_plugin_contributes_nothing() -> None:
    manager = _manager(keep=Provider("keep"), drop=Provider("drop"))
    manager.block("drop")
    assert manager.build_registry().ids() == ("keep",)


def test_wrapper_on_register_hook_does_not_break_the_build() -> None:
    class Wrapper:
        @stagecraft.hookimpl(wrapper=True)
        def secrets_provider_register(self) -> Iterator[None]:
            return (yield)

    manager = _manager(a=Provider("a"))
    manager.register(Wrapper(), name="wrapper")
    assert manager.build_registry().ids() == ("a",)
