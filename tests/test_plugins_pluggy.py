"""The plugin layer on pluggy's own machinery: hook calling, wrappers, validation, tracing.

Also the one place providers are checked (``Registry.register_all``), the one
function that combines plugin settings, and how the default registry is built
without any import wiring it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

import stagecraft
from stagecraft.config import load
from stagecraft.errors import PluginError, PluginLoadError
from stagecraft.plugins import (
    PluginManager,
    PluginSettings,
    load_plugin_manager,
    plugin_settings,
)
from stagecraft.plugins.loading import Loader
from stagecraft.providers import default_registry, secrets
from stagecraft.providers import registry as registry_module
from stagecraft.providers.secrets import (
    Context,
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidProviderError,
    Origin,
    Registry,
    SyncOptions,
    SyncResult,
)

NO_ENTRY_POINTS = PluginSettings(allow=())
CANARY = "canary-value-0b7c52e1"


class Provider:
    def __init__(self, provider_id: str) -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


class Contributes:
    def __init__(self, *providers: object) -> None:
        self.providers = providers

    @stagecraft.hookimpl
    def secrets_provider_register(self) -> list[object]:
        return list(self.providers)


# ----------------------------------------------------- hook calling and wrappers


def test_a_wrapper_of_the_register_hook_runs_around_each_plugin() -> None:
    seen: list[list[str]] = []

    class Audit:
        @stagecraft.hookimpl(wrapper=True)
        def secrets_provider_register(self) -> Generator[None, list[Any], list[Any]]:
            results = yield
            seen.append(sorted(p.id for result in results for p in result))
            return results

    manager = PluginManager()
    manager.register(Contributes(Provider("a")), name="first")
    manager.register(Contributes(Provider("b"), Provider("c")), name="second")
    manager.register(Audit(), name="audit")
    registry = manager.build_registry()
    assert registry.ids() == ("a", "b", "c")
    assert sorted(seen) == [["a"], ["b", "c"]]
    assert str(registry.origin("b")) == "plugin 'second'"


def test_a_wrapper_of_the_register_hook_can_replace_a_contribution() -> None:
    class Rename:
        @stagecraft.hookimpl(wrapper=True)
        def secrets_provider_register(self) -> Generator[None, list[Any], list[Any]]:
            results = yield
            return [[Provider(f"wrapped-{p.id}") for p in result] for result in results]

    manager = PluginManager()
    manager.register(Contributes(Provider("a")), name="first")
    manager.register(Rename(), name="rename")
    registry = manager.build_registry()
    assert registry.ids() == ("wrapped-a",)
    assert str(registry.origin("wrapped-a")) == "plugin 'first'"


def test_each_plugin_is_called_once_even_under_another_hook_name() -> None:
    calls: list[str] = []

    class Renamed:
        @stagecraft.hookimpl(specname="secrets_provider_register")
        def contribute(self) -> Provider:
            calls.append("renamed")
            return Provider(f"fresh-{len(calls)}")

    manager = PluginManager()
    manager.register(Renamed(), name="renamed")
    manager.register(Contributes(Provider("plain")), name="plain")
    registry = manager.build_registry()
    assert calls == ["renamed"]
    assert registry.ids() == ("fresh-1", "plain")


def test_tracing_shows_each_plugin_called_for_the_registry_and_which_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Raises:
        @stagecraft.hookimpl
        def secrets_provider_register(self) -> object:
            raise RuntimeError(f"token {CANARY}")

    monkeypatch.setenv("STAGECRAFT_TRACE_PLUGINS", "1")
    manager = PluginManager()
    manager.register(Contributes(Provider("ok")), name="good")
    manager.register(Raises(), name="bad")
    with pytest.raises(PluginLoadError):
        manager.build_registry()
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "stagecraft: trace: secrets_provider_register -> [good]",
        "stagecraft: trace: secrets_provider_register <- ok",
        "stagecraft: trace: secrets_provider_register -> [bad]",
        "stagecraft: trace: secrets_provider_register <- raised RuntimeError",
    ]
    assert CANARY not in err


def test_pluggy_enable_tracing_is_never_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(self: pluggy.PluginManager) -> None:
        raise AssertionError("pluggy's enable_tracing prints hook arguments (secret values)")

    monkeypatch.setattr(pluggy.PluginManager, "enable_tracing", refuse)
    monkeypatch.setenv("STAGECRAFT_TRACE_PLUGINS", "1")
    manager = load_plugin_manager(NO_ENTRY_POINTS)
    manager.register(Contributes(Provider("p")), name="p")
    provider = manager.build_registry().get("p")
    manager.hook.secrets_sync(provider=provider, ctx=Context(),
                              options=SyncOptions(source=CANARY))
    assert "secrets_sync <- ok" in capsys.readouterr().err


# ------------------------------------------------------------------- validation


def _local(tmp_path: Path, body: str) -> tuple[PluginManager, str]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    path = plugins / "mine.py"
    path.write_text("import stagecraft\n" + textwrap.dedent(body))
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    return manager, f"local:{path}"


def test_a_wrapper_that_does_not_yield_is_named_with_its_definition(tmp_path: Path) -> None:
    manager, name = _local(tmp_path, """
        @stagecraft.hookimpl(wrapper=True)
        def secrets_sync(provider, ctx, options):
            return None
    """)
    assert [str(error) for error in manager.failures] == [
        f"plugin '{name}' has an invalid implementation of hook secrets_sync: "
        "secrets_sync(provider, ctx, options) is marked as a wrapper but does not yield; "
        f"disable it with `-p no:{name}` or STAGECRAFT_DISABLE_PLUGINS={name}"
    ]
    assert not manager.has_plugin(name)


def test_the_explanation_comes_from_pluggy_records_not_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever pluggy's wording, the plugin author reads the same explanation.
    original = pluggy.PluginManager._verify_hook

    def reworded(self: pluggy.PluginManager, hook: Any, hookimpl: Any) -> None:
        try:
            original(self, hook, hookimpl)
        except pluggy.PluginValidationError as exc:
            raise pluggy.PluginValidationError(exc.plugin, "<reworded by a new pluggy>") from None

    monkeypatch.setattr(pluggy.PluginManager, "_verify_hook", reworded)
    manager, name = _local(tmp_path, """
        @stagecraft.hookimpl
        def secrets_sync(provider, ctx, opts):
            return None
    """)
    assert str(manager.failures[0]).startswith(
        f"plugin '{name}' has an invalid implementation of hook secrets_sync: "
        "secrets_sync(provider, ctx, opts) declares argument(s) opts, but the hook "
        "only passes provider, ctx, options; "
    )


def test_an_unknown_hook_leaves_pluggy_consistent(tmp_path: Path) -> None:
    manager, name = _local(tmp_path, """
        @stagecraft.hookimpl
        def secrets_synk(provider, ctx, options):
            return None
    """)
    assert "implements unknown hook(s): secrets_synk (did you mean 'secrets_sync'?)" in str(
        manager.failures[0]
    )
    assert not manager.has_plugin(name)
    manager.check_pending()  # nothing unverified is left behind
    # A later plugin is validated as usual.
    manager.register(Contributes(Provider("later")), name="later")
    manager.check_pending()
    assert manager.build_registry().ids() == ("later",)


# ------------------------------------------------------ checking providers once


def test_register_all_reports_every_conflict_and_registers_nothing() -> None:
    registry = Registry()
    kept = Provider("kept")
    registry.register(kept, Origin("before"))
    with pytest.raises(DuplicateProviderError) as info:
        registry.register_all([
            (Provider("kept"), Origin("late")),
            (Provider("new"), Origin("one")),
            (Provider("new"), Origin("two")),
            (Provider("fine"), Origin("three")),
        ])
    assert sorted(info.value.conflicts) == ["kept", "new"]
    assert [str(o) for o in info.value.conflicts["kept"]] == ["plugin 'before'", "plugin 'late'"]
    assert registry.ids() == ("kept",)  # all or nothing: 'fine' was not added
    assert registry.get("kept") is kept


def test_register_all_names_every_rejected_object_and_every_empty_id() -> None:
    with pytest.raises(InvalidProviderError) as info:
        Registry().register_all([(Provider("ok"), Origin("a")), (42, Origin("b")),
                                 (Provider, Origin("c"))])
    assert [(str(origin), type(obj).__name__) for origin, obj, _ in info.value.rejected] == [
        ("plugin 'b'", "int"), ("plugin 'c'", "type"),
    ]
    with pytest.raises(EmptyProviderIDError) as empty:
        Registry().register_all([(Provider(""), Origin("x")), (Provider(" "), Origin("y"))])
    assert [str(origin) for origin in empty.value.origins] == ["plugin 'x'", "plugin 'y'"]


def test_building_the_registry_checks_each_provider_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[object] = []
    check = registry_module.provider_id

    def counting(provider: object) -> str:
        checked.append(provider)
        return check(provider)

    monkeypatch.setattr(registry_module, "provider_id", counting)
    first, second = Provider("first"), Provider("second")
    manager = PluginManager()
    manager.register(Contributes(first, second), name="both")
    assert manager.build_registry().ids() == ("first", "second")
    assert checked == [first, second]


def test_the_same_object_again_counts_once_under_its_first_origin() -> None:
    registry = Registry()
    shared = Provider("shared")
    registry.register_all([(shared, Origin("first")), (shared, Origin("second"))])
    registry.register(shared, Origin("third"))
    assert str(registry.origin("shared")) == "plugin 'first'"


# ------------------------------------------------------------------- settings


def test_plugin_settings_combine_env_config_options_and_dirs_in_order(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "in-config").mkdir(parents=True)
    (project / "stagecraft.yml").write_text(
        "plugins:\n  disable: [from_config]\n  modules: [config.mod]\n  dirs: [in-config]\n"
    )
    config = load(project / "stagecraft.yml", cwd=tmp_path)
    settings = plugin_settings(
        config,
        options=["no:from_option", "option.mod"],
        dirs=["on-command-line"],
        cwd=tmp_path,
        environ={"STAGECRAFT_DISABLE_PLUGINS": "from_env", "STAGECRAFT_LOAD_PLUGINS": "x"},
    )
    assert settings.disable == ("from_env", "from_config", "from_option")
    assert settings.modules == ("config.mod", "option.mod")
    assert settings.dirs == (project / "in-config", tmp_path / "on-command-line")
    assert settings.allow == ("x",)
    assert plugin_settings(None, cwd=tmp_path, environ={}) == PluginSettings()


def test_plugin_settings_refuse_to_disable_core(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"^the builtin 'core' plugin cannot be disabled$"):
        plugin_settings(None, options=["no:core"], cwd=tmp_path, environ={})


# ------------------------------------------------------------ default registry


@pytest.fixture
def fresh_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "")
    secrets.reset_default_registry()
    yield
    secrets.set_default_registry_factory(None)
    secrets.reset_default_registry()


def test_no_import_wires_the_default_registry() -> None:
    code = (
        "import sys\n"
        "from stagecraft.providers import default_registry, secrets\n"
        "import stagecraft.plugins\n"
        "assert default_registry._factory is None and default_registry._default is None\n"
        "print('envfile' in secrets.ids())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "True\n"


@pytest.mark.usefixtures("fresh_default")
def test_an_explicit_factory_builds_the_default_registry() -> None:
    built = Registry([Provider("composed")])
    secrets.set_default_registry_factory(lambda: built)
    assert secrets.default_registry() is built
    assert secrets.ids() == ("composed",)


@pytest.mark.usefixtures("fresh_default")
def test_a_missing_builder_entry_point_says_to_reinstall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(default_registry.discovery, "entry_points", lambda group: ())
    with pytest.raises(PluginError) as info:
        secrets.ids()
    assert str(info.value) == (
        "expected one entry point in group 'stagecraft.default_registry', found none: "
        "reinstall stagecraft (pip install --force-reinstall stagecraft)"
    )


def test_a_plugin_registered_directly_with_an_unknown_hook_does_not_fail_the_next(
    tmp_path: Path,
) -> None:
    class Stray:
        @stagecraft.hookimpl
        def secrets_unheard_of(self) -> None:
            return None

    manager = PluginManager()
    manager.register(Stray(), name="stray")  # bypasses the loader's checks
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "good.py").write_text(
        "import stagecraft\n"
        "class P:\n    id = 'good'\n    def sync(self, ctx, opts): ...\n"
        "@stagecraft.hookimpl\ndef secrets_provider_register():\n    return P()\n"
    )
    Loader(manager).load(NO_ENTRY_POINTS.merge(dirs=[plugins]))
    assert manager.failures == ()
    assert manager.build_registry().ids() == ("good",)
