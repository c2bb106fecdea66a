"""Plugin settings (env, ``-p`` API), explicit modules, local directories, validation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import plugin_dists as helpers  # tests/plugin_dists.py (tests/ is on pythonpath)
import pytest

from stagecraft.errors import PluginError
from stagecraft.plugins import (
    CORE_PLUGIN,
    Kind,
    PluginManager,
    PluginSettings,
    Status,
    load_plugin_manager,
)

site = helpers.site

Site = Any

NO_ENTRY_POINTS = PluginSettings(allow=())


# ------------------------------------------------------------------- settings


def test_settings_from_env() -> None:
    settings = PluginSettings.from_env(
        {"STAGECRAFT_DISABLE_PLUGINS": " a, b ,,c ", "STAGECRAFT_LOAD_PLUGINS": "x,y"}
    )
    assert settings.disable == ("a", "b", "c")
    assert settings.allow == ("x", "y")
    assert PluginSettings.from_env({}).allow is None
    assert PluginSettings.from_env({}).disable == ()
    assert PluginSettings.from_env({"STAGECRAFT_LOAD_PLUGINS": ""}).allow == ()
    assert PluginSettings.from_env({"STAGECRAFT_LOAD_PLUGINS": " , "}).allow == ()


def test_merge_adds_blocked_names_modules_and_dirs() -> None:
    base = PluginSettings(disable=("a",), allow=("k",), modules=("m1",))
    merged = base.merge(disable=["b"], modules=["m2"], dirs=["plugins", Path("/abs")])
    assert merged.disable == ("a", "b")
    assert merged.modules == ("m1", "m2")
    assert merged.dirs == (Path("plugins"), Path("/abs"))
    assert merged.allow == ("k",)
    assert base.disable == ("a",)  # frozen: merge returns a new object


@pytest.mark.parametrize(
    ("option", "disable", "modules"),
    [("no:envfile", ("envfile",), ()), ("my.plugin", (), ("my.plugin",))],
)
def test_p_option(option: str, disable: tuple[str, ...], modules: tuple[str, ...]) -> None:
    settings = PluginSettings().with_option(option)
    assert settings.disable == disable
    assert settings.modules == modules


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("no:core", "the builtin 'core' plugin cannot be disabled"),
        ("no:", "-p no: needs a plugin name, as in `-p no:NAME`"),
        ("", "-p needs a module name or no:NAME"),
    ],
)
def test_p_option_errors(option: str, message: str) -> None:
    with pytest.raises(PluginError) as info:
        PluginSettings().with_option(option)
    assert str(info.value) == message


def test_core_cannot_be_blocked() -> None:
    manager = PluginManager()
    with pytest.raises(PluginError, match=r"^the builtin 'core' plugin cannot be disabled$"):
        manager.block(CORE_PLUGIN)
    with pytest.raises(PluginError, match="cannot be disabled"):
        PluginSettings().merge(disable=["core"])
    with pytest.raises(PluginError, match="cannot be disabled"):
        load_plugin_manager(PluginSettings(disable=("core",), allow=()))
    assert manager.has_plugin(CORE_PLUGIN)


def test_blocking_after_load_unregisters_and_lists_as_disabled(site: Site) -> None:
    module = helpers.unique("late")
    site.add("late-dist", {"late": module}, {module: helpers.provider_module("late")})
    manager = load_plugin_manager(PluginSettings(allow=("late",)))
    manager.block("late")
    info = manager.info("late")
    assert info is not None
    assert info.status is Status.DISABLED
    assert manager.build_registry().ids() == ()


# -------------------------------------------------------------------- modules


def test_explicit_module_is_loaded(site: Site) -> None:
    module = helpers.unique("explicit")
    root = site.new_path()
    (root / f"{module}.py").write_text(helpers.provider_module("explicit"))
    site.modules.append(module)
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(modules=[module]))
    info = manager.info(module)
    assert info is not None
    assert (info.kind, info.status, info.hooks) == (
        Kind.MODULE, Status.ACTIVE, ("secrets_provider_register",)
    )
    assert manager.build_registry().get("explicit") is sys.modules[module].PROVIDER


def test_explicit_module_of_a_distribution_names_it(site: Site) -> None:
    module = helpers.unique("distmod")
    site.add("distmod-dist", {}, {module: helpers.provider_module("dm")}, version="4.2")
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(modules=[module]))
    info = manager.info(module)
    assert info is not None
    assert (info.distribution, info.version) == ("distmod-dist", "4.2")


def test_blocked_module_is_never_imported(site: Site) -> None:
    module = helpers.unique("blockedmod")
    root = site.new_path()
    (root / f"{module}.py").write_text("raise RuntimeError('imported!')\n")
    site.modules.append(module)
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(modules=[module], disable=[module]))
    assert module not in sys.modules
    info = manager.info(module)
    assert info is not None
    assert info.status is Status.DISABLED


def test_missing_module_fails_clearly() -> None:
    with pytest.raises(PluginError) as info:
        load_plugin_manager(NO_ENTRY_POINTS.merge(modules=["no_such_module_xyz"]))
    assert str(info.value) == (
        "plugin module 'no_such_module_xyz' failed to import: "
        "ModuleNotFoundError: No module named 'no_such_module_xyz'; "
        "disable it with `-p no:no_such_module_xyz` or "
        "STAGECRAFT_DISABLE_PLUGINS=no_such_module_xyz"
    )


def test_module_already_loaded_through_its_entry_point_is_not_loaded_twice(site: Site) -> None:
    module = helpers.unique("both")
    site.add("both-dist", {"both": module}, {module: helpers.provider_module("both")})
    manager = load_plugin_manager(PluginSettings(allow=("both",), modules=(module,)))
    assert manager.failures == ()
    assert manager.info(module) is None
    assert manager.build_registry().ids() == ("both",)


# ---------------------------------------------------------------- local dirs


def _write_local(directory: Path, stem: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.py"
    path.write_text(body)
    return path


def test_local_directory_files_load_sorted_without_touching_sys_path(
    tmp_path: Path, site: Site
) -> None:
    log = helpers.unique("local_log")
    root = site.new_path()
    (root / f"{log}.py").write_text("LOG = []\n")
    site.modules.append(log)
    plugins = tmp_path / "plugins"
    for stem in ["zed", "alpha", "mid"]:
        body = f"import {log}\n{log}.LOG.append({stem!r})\n" + helpers.provider_module(stem)
        _write_local(plugins, stem, body)
    (plugins / "notes.txt").write_text("not a plugin")
    path_before = list(sys.path)
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]))
    assert sys.path == path_before
    assert sys.modules[log].LOG == ["alpha", "mid", "zed"]
    local = [info for info in manager.list_plugins() if info.kind is Kind.LOCAL]
    assert [info.name for info in local] == [
        f"local:{plugins / 'alpha.py'}",
        f"local:{plugins / 'mid.py'}",
        f"local:{plugins / 'zed.py'}",
    ]
    assert all(info.status is Status.ACTIVE for info in local)
    assert manager.build_registry().ids() == ("alpha", "mid", "zed")
    assert "alpha" not in sys.modules  # not importable under its own name


def test_local_directory_given_twice_loads_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = tmp_path / "plugins"
    _write_local(plugins, "once", helpers.provider_module("once"))
    monkeypatch.chdir(tmp_path)
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=["plugins", plugins]))
    assert manager.failures == ()
    assert manager.build_registry().ids() == ("once",)


def test_local_plugin_blocked_by_stem_or_name_is_never_run(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    first = _write_local(plugins, "first", "raise RuntimeError('imported!')\n")
    _write_local(plugins, "second", "raise RuntimeError('imported!')\n")
    second = f"local:{plugins}/second.py"
    settings = NO_ENTRY_POINTS.merge(dirs=[plugins], disable=["first", second])
    manager = load_plugin_manager(settings)
    assert manager.failures == ()
    info = manager.info(f"local:{first}")
    assert info is not None
    assert info.status is Status.DISABLED


def test_failing_local_plugin_names_the_file(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    bad = _write_local(plugins, "bad", "1 / 0\n")
    with pytest.raises(PluginError) as info:
        load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]))
    assert str(info.value) == (
        f"local plugin {bad} failed to import: ZeroDivisionError at {bad}:1 "
        "(run with -v for its message); "
        f"disable it with `-p no:local:{bad}` or STAGECRAFT_DISABLE_PLUGINS=local:{bad}"
    )


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_plugin_directory_that_is_not_one_fails_clearly(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "plugins"
    if kind == "file":
        path.write_text("")
    with pytest.raises(PluginError) as info:
        load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[path]))
    what = "does not exist" if kind == "missing" else "is not a directory"
    assert str(info.value).startswith(f"plugin directory {path} {what}; ")


# ------------------------------------------------------------------ validation


def test_unknown_hook_fails_with_did_you_mean(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    typo = _write_local(
        plugins,
        "typo",
        "import stagecraft\n"
        "@stagecraft.hookimpl\n"
        "def secrets_synk(provider, ctx, options):\n"
        "    return None\n"
        "@stagecraft.hookimpl\n"
        "def secrets_provider_register():\n"
        "    return None\n",
    )
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    assert [str(error) for error in manager.failures] == [
        f"plugin 'local:{typo}' implements unknown hook(s): secrets_synk "
        f"(did you mean 'secrets_sync'?); disable it with `-p no:local:{typo}` or "
        f"STAGECRAFT_DISABLE_PLUGINS=local:{typo}"
    ]
    # Not half-registered: its valid hook implementation is gone too.
    assert [impl.plugin_name for impl in
            manager.hook.secrets_provider_register.get_hookimpls()] == ["exec"]
    assert not manager.has_plugin(f"local:{typo}")


def test_did_you_mean_only_suggests_real_hooks(tmp_path: Path) -> None:
    # A first plugin's unknown hook must not become a suggestion for a second.
    plugins = tmp_path / "plugins"
    for stem, hook in [("a_first", "secrets_foo_bar"), ("b_second", "secrets_foo_baz")]:
        _write_local(
            plugins, stem, f"import stagecraft\n@stagecraft.hookimpl\ndef {hook}():\n    pass\n"
        )
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    second = str(manager.failures[1])
    assert "secrets_foo_baz" in second
    assert "'secrets_foo_bar'" not in second


def test_optional_unknown_hook_is_allowed(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    _write_local(
        plugins,
        "optional",
        "import stagecraft\n"
        "@stagecraft.hookimpl(optionalhook=True)\n"
        "def secrets_future_hook():\n"
        "    pass\n",
    )
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]))
    assert manager.failures == ()


def test_invalid_hookimpl_is_not_left_half_registered(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    path = _write_local(
        plugins,
        "halfway",
        helpers.provider_module("halfway")
        + "\n@stagecraft.hookimpl\ndef secrets_sync(provider, ctx, opts):\n    return None\n",
    )
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    name = f"local:{path}"
    assert len(manager.failures) == 1
    message = str(manager.failures[0])
    assert message == (
        f"plugin '{name}' has an invalid implementation of hook secrets_sync: "
        "secrets_sync(provider, ctx, opts) declares argument(s) opts, but the hook "
        "only passes provider, ctx, options; "
        f"disable it with `-p no:{name}` or STAGECRAFT_DISABLE_PLUGINS={name}"
    )
    # secrets_provider_register was registered before secrets_sync failed: gone too.
    assert [impl.plugin_name for impl in
            manager.hook.secrets_provider_register.get_hookimpls()] == ["exec"]
    assert [impl.plugin_name for impl in manager.hook.secrets_sync.get_hookimpls()] == ["core"]
    assert not manager.has_plugin(name)
    assert manager.build_registry().ids() == ()
    info = manager.info(name)
    assert info is not None
    assert (info.status, info.hooks) == (Status.FAILED, ())
