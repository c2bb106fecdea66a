"""The Registry contract: sorted ids, de-duplication, clear errors, thread safety.

Also the module-level ``register/get/has/ids`` over the lazily built default
registry, which must find an installed plugin with no configuration.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import plugin_dists as helpers  # tests/plugin_dists.py (tests/ is on pythonpath)
import pytest

from stagecraft.errors import PluginError, StagecraftError, UserError
from stagecraft.providers import secrets
from stagecraft.providers.secrets import (
    Context,
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidProviderError,
    Origin,
    Registry,
    SyncOptions,
    SyncResult,
    UnknownProviderError,
)

site = helpers.site


class Provider:
    def __init__(self, provider_id: str) -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


# ------------------------------------------------------------------ contract


def test_ids_are_sorted_lexicographically() -> None:
    registry = Registry([Provider("zeta"), Provider("Alpha"), Provider("beta"), Provider("a-b")])
    assert registry.ids() == ("Alpha", "a-b", "beta", "zeta")
    assert [p.id for p in registry.list()] == ["Alpha", "a-b", "beta", "zeta"]
    assert [p.id for p in registry] == ["Alpha", "a-b", "beta", "zeta"]
    assert len(registry) == 4


def test_get_has_and_contains() -> None:
    provider = Provider("envfile")
    registry = Registry([provider])
    assert registry.get("envfile") is provider
    assert registry.has("envfile")
    assert not registry.has("encore")
    assert "envfile" in registry
    assert "encore" not in registry


def test_same_object_twice_counts_once() -> None:
    provider = Provider("envfile")
    registry = Registry([provider, provider])
    registry.register(provider, Origin("other"))
    assert registry.ids() == ("envfile",)
    assert registry.get("envfile") is provider
    assert registry.origin("envfile") == Origin()


def test_duplicate_id_names_both_origins() -> None:
    registry = Registry()
    first = Provider("envfile")
    registry.register(first, Origin("envfile", "stagecraft-envfile", "0.1.0"))
    with pytest.raises(DuplicateProviderError) as info:
        registry.register(Provider("envfile"), Origin("other", "other-dist", "2.0"))
    assert str(info.value) == (
        "conflicting secrets provider ids:\n"
        "  'envfile' is provided by plugin 'envfile' (stagecraft-envfile 0.1.0) "
        "and plugin 'other' (other-dist 2.0)\n"
        "Disable all but one of them: `-p no:NAME`, `plugins.disable` in stagecraft.yml, "
        "or STAGECRAFT_DISABLE_PLUGINS=NAME."
    )
    assert info.value.conflicts == {
        "envfile": [
            Origin("envfile", "stagecraft-envfile", "0.1.0"),
            Origin("other", "other-dist", "2.0"),
        ]
    }
    # The first registration stands.
    assert registry.get("envfile") is first


def test_origin_without_plugin_or_version() -> None:
    assert str(Origin()) == "an unnamed caller"
    assert str(Origin("x")) == "plugin 'x'"
    assert str(Origin("x", "dist")) == "plugin 'x' (dist ?)"


@pytest.mark.parametrize("bad_id", ["", "   "])
def test_empty_id_is_rejected(bad_id: str) -> None:
    registry = Registry()
    with pytest.raises(EmptyProviderIDError) as info:
        registry.register(Provider(bad_id), Origin("blank", "blank-dist", "1.0"))
    assert str(info.value) == (
        "plugin 'blank' (blank-dist 1.0) contributed a secrets provider with an empty id"
    )
    assert registry.ids() == ()


def test_unknown_id_lists_available() -> None:
    registry = Registry([Provider("b"), Provider("a")])
    with pytest.raises(UnknownProviderError) as info:
        registry.get("c")
    assert str(info.value) == "unknown secrets provider 'c' (available: a, b)"
    assert info.value.provider_id == "c"
    assert info.value.available == ("a", "b")


def test_unknown_id_suggests_a_close_one() -> None:
    """A typo on the command line gets the same hint as one in stagecraft.yml."""
    registry = Registry([Provider("envfile"), Provider("encore")])
    with pytest.raises(UnknownProviderError) as info:
        registry.get("envfiel")
    assert str(info.value) == (
        "unknown secrets provider 'envfiel' (did you mean 'envfile'?) (available: encore, envfile)"
    )


def test_unknown_id_in_empty_registry() -> None:
    with pytest.raises(UnknownProviderError) as info:
        Registry().get("envfile")
    assert str(info.value) == "unknown secrets provider 'envfile' (available: none loaded)"
    with pytest.raises(UnknownProviderError):
        Registry().origin("envfile")


def test_errors_share_one_base_and_exit_codes() -> None:
    for error in (DuplicateProviderError, EmptyProviderIDError, InvalidProviderError):
        assert issubclass(error, PluginError)
        assert issubclass(error, StagecraftError)
    assert issubclass(UnknownProviderError, UserError)
    assert UnknownProviderError("x", []).exit_code == 1


class NotAProvider:
    id = "nope"


class IdIsNotAString:
    id = 42

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


class ClassAttrProvider:
    id = "classy"

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


class SyncIsNotCallable:
    id = "static"
    sync = "not a method"


def test_invalid_providers_are_rejected_by_type() -> None:
    registry = Registry()
    with pytest.raises(InvalidProviderError) as info:
        registry.register(NotAProvider())  # type: ignore[arg-type]
    assert str(info.value) == (
        "NotAProvider object is not a secrets provider "
        "(it needs an `id` string and a `sync(ctx, opts)` method)"
    )
    with pytest.raises(InvalidProviderError, match=r"^IdIsNotAString\.id is int, not str$"):
        registry.register(IdIsNotAString())  # type: ignore[arg-type]
    assert registry.ids() == ()


def test_a_provider_class_instead_of_an_instance_is_rejected() -> None:
    # A classic slip: `return MyProvider` instead of `return MyProvider()`.
    # The class has an `id` and a `sync` attribute, so it looks like one.
    with pytest.raises(InvalidProviderError) as info:
        Registry().register(ClassAttrProvider)  # type: ignore[arg-type]
    assert str(info.value) == (
        "the class ClassAttrProvider was given instead of an instance; "
        "use ClassAttrProvider() to create one"
    )


def test_a_non_callable_sync_is_rejected() -> None:
    with pytest.raises(InvalidProviderError, match=r"^SyncIsNotCallable\.sync is not callable$"):
        Registry().register(SyncIsNotCallable())  # type: ignore[arg-type]


def test_property_id_is_supported() -> None:
    class PropertyProvider:
        @property
        def id(self) -> str:
            return "prop"

        def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
            return SyncResult()

    registry = Registry([PropertyProvider()])
    assert registry.ids() == ("prop",)


def test_repr_lists_ids_only() -> None:
    assert repr(Registry([Provider("b"), Provider("a")])) == "<Registry ids=['a', 'b']>"


# ------------------------------------------------------------------- threads

THREADS = 8
ROUNDS = 200


def _run_threads(target: object) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            target(index)  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_threads_register_distinct_ids_and_look_up() -> None:
    registry = Registry()
    seen_unsorted: list[tuple[str, ...]] = []

    def work(index: int) -> None:
        for n in range(ROUNDS):
            provider = Provider(f"p{index}-{n:03d}")
            registry.register(provider, Origin(f"plugin{index}"))
            assert registry.get(provider.id) is provider
            assert registry.has(provider.id)
            current = registry.ids()
            if list(current) != sorted(current):
                seen_unsorted.append(current)
            listed = [p.id for p in registry.list()]
            assert listed == sorted(listed)

    assert _run_threads(work) == []
    assert seen_unsorted == []
    expected = sorted(f"p{i}-{n:03d}" for i in range(THREADS) for n in range(ROUNDS))
    assert list(registry.ids()) == expected
    assert len(registry) == THREADS * ROUNDS


def test_threads_register_the_same_object_repeatedly() -> None:
    registry = Registry()
    provider = Provider("shared")

    def work(index: int) -> None:
        for _ in range(ROUNDS):
            registry.register(provider, Origin(f"plugin{index}"))
            assert registry.get("shared") is provider

    assert _run_threads(work) == []
    assert registry.ids() == ("shared",)


def test_threads_with_conflicting_ids_have_exactly_one_winner() -> None:
    registry = Registry()
    providers = [Provider(f"c{n:03d}") for n in range(ROUNDS) for _ in range(THREADS)]
    # providers[n * THREADS + index] is thread `index`'s candidate for id c<n>.
    wins: list[tuple[str, int]] = []
    losses: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for n in range(ROUNDS):
            candidate = providers[n * THREADS + index]
            try:
                registry.register(candidate, Origin(f"plugin{index}"))
            except DuplicateProviderError as exc:
                with lock:
                    losses.append((candidate.id, index, str(exc)))
            else:
                with lock:
                    wins.append((candidate.id, index))
            ids = registry.ids()
            assert list(ids) == sorted(ids)

    assert _run_threads(work) == []
    assert sorted(pid for pid, _ in wins) == [f"c{n:03d}" for n in range(ROUNDS)]
    assert len(losses) == ROUNDS * (THREADS - 1)
    winner_of = dict(wins)
    for pid, index, message in losses:
        # Each loser's error names the winner's plugin and its own.
        assert f"plugin 'plugin{winner_of[pid]}' and plugin 'plugin{index}'" in message
        assert registry.get(pid) is providers[int(pid[1:]) * THREADS + winner_of[pid]]


# ---------------------------------------------------------- default registry


@pytest.fixture
def fresh_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget the default registry before and after the test; builtins only by default."""
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "")
    monkeypatch.delenv("STAGECRAFT_DISABLE_PLUGINS", raising=False)
    secrets.reset_default_registry()
    yield
    secrets.reset_default_registry()


@pytest.mark.usefixtures("fresh_default")
def test_module_level_functions_act_on_the_default_registry() -> None:
    assert secrets.ids() == ()
    provider = Provider("mine")
    secrets.register(provider, Origin("test"))
    assert secrets.has("mine")
    assert secrets.get("mine") is provider
    assert secrets.ids() == ("mine",)
    assert secrets.list_providers() == [provider]
    assert secrets.default_registry() is secrets.default_registry()
    with pytest.raises(UnknownProviderError, match=r"available: mine\)$"):
        secrets.get("other")


@pytest.mark.usefixtures("fresh_default")
def test_reset_default_registry_replaces_or_forgets_it() -> None:
    replacement = Registry([Provider("injected")])
    secrets.reset_default_registry(replacement)
    assert secrets.ids() == ("injected",)
    secrets.reset_default_registry()
    assert secrets.ids() == ()


@pytest.mark.usefixtures("fresh_default")
def test_default_registry_is_built_lazily_from_installed_plugins(
    site: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = helpers.unique("lazy_plugin")
    helpers.Site.add(site, "lazy-dist", {"lazy": module}, {module: helpers.provider_module("lazy")})
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "lazy")
    assert module not in sys.modules  # nothing is imported before first use
    provider = secrets.get("lazy")
    assert module in sys.modules
    assert provider is sys.modules[module].PROVIDER
    assert secrets.ids() == ("lazy",)
    assert str(secrets.default_registry().origin("lazy")) == "plugin 'lazy' (lazy-dist 1.0)"


@pytest.mark.usefixtures("fresh_default")
def test_default_registry_is_built_once_across_threads(
    site: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = helpers.unique("once_plugin")
    source = helpers.provider_module("once") + "\nLOADS = [1]\n"
    helpers.Site.add(site, "once-dist", {"once": module}, {module: source})
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "once")
    found: list[object] = []

    def work(index: int) -> None:
        found.append(secrets.get("once"))

    assert _run_threads(work) == []
    assert len(found) == THREADS
    assert all(item is found[0] for item in found)


@pytest.mark.usefixtures("fresh_default")
def test_register_during_plugin_import_fails_clearly_instead_of_deadlocking(
    site: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plugin that registers at import time (Go style) re-enters the default
    # registry while it is being built.  It must get a clear error, not hang.
    module = helpers.unique("eager_plugin")
    source = (
        "from stagecraft.providers import secrets\n"
        "class P:\n"
        "    id = 'eager'\n"
        "    def sync(self, ctx, opts): ...\n"
        "secrets.register(P())\n"
    )
    helpers.Site.add(site, "eager-dist", {"eager": module}, {module: source})
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "eager")
    outcome: list[BaseException] = []

    def build() -> None:
        try:
            secrets.ids()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=build, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the default registry deadlocked"
    assert len(outcome) == 1
    message = str(outcome[0])
    assert isinstance(outcome[0], PluginError)
    assert f"entry point 'eager = {module}' of eager-dist 1.0 failed to import" in message
    assert "secrets_provider_register" in message


def test_one_plugin_with_two_providers_of_one_id_is_named_once() -> None:
    origin = Origin("twice", "twice-dist", "1.0")
    error = DuplicateProviderError({"x": [origin, origin]})
    assert "'x' is provided by plugin 'twice' (twice-dist 1.0) (2 different objects)" in str(error)
