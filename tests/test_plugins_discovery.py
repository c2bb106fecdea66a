"""Entry-point discovery through the real ``importlib.metadata``.

Each test writes small distributions (``<name>-<version>.dist-info`` plus a
module) into fresh directories on ``sys.path``; one test installs a wheel with
a real ``pip install``.  Allow-lists keep the contrib plugins installed in the
development environment out of the way.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import plugin_dists as helpers  # tests/plugin_dists.py (tests/ is on pythonpath)
import pytest
from cli_helpers import child_env

from stagecraft.errors import PluginLoadError
from stagecraft.plugins import Kind, PluginSettings, Status, load_plugin_manager

site = helpers.site

Site = Any


def _logging_module(log: str, name: str) -> str:
    return f"import {log}\n{log}.LOG.append({name!r})\n" + helpers.provider_module(name)


def test_entry_points_are_loaded_in_sorted_order(site: Site) -> None:
    log = helpers.unique("order_log")
    site.add("order-log", {}, {log: "LOG = []\n"})
    modules = {}
    # Written in an unsorted order, each in its own sys.path entry.
    for name in ["charlie", "alpha", "bravo"]:
        modules[name] = helpers.unique(name)
        site.add(f"{name}-dist", {name: modules[name]}, {modules[name]: _logging_module(log, name)})
    manager = load_plugin_manager(PluginSettings(allow=("alpha", "bravo", "charlie")))
    assert sys.modules[log].LOG == ["alpha", "bravo", "charlie"]
    infos = [
        info
        for info in manager.list_plugins()
        if info.kind is Kind.ENTRY_POINT and info.name in modules
    ]
    assert [(info.name, info.distribution, info.version, info.status) for info in infos] == [
        ("alpha", "alpha-dist", "1.0", Status.ACTIVE),
        ("bravo", "bravo-dist", "1.0", Status.ACTIVE),
        ("charlie", "charlie-dist", "1.0", Status.ACTIVE),
    ]
    assert manager.build_registry().ids() == ("alpha", "bravo", "charlie")


def test_entry_point_to_an_object_inside_a_module(site: Site) -> None:
    module = helpers.unique("objplugin")
    source = helpers.provider_module("objp") + textwrap.dedent(
        """
        class Plugin:
            @stagecraft.hookimpl
            def secrets_provider_register(self):
                return PROVIDER

        plugin = Plugin()
        """
    ).replace("@stagecraft.hookimpl\ndef secrets_provider_register", "def _unused")
    site.add("obj-dist", {"objp": f"{module}:plugin"}, {module: source})
    manager = load_plugin_manager(PluginSettings(allow=("objp",)))
    assert manager.build_registry().get("objp") is sys.modules[module].PROVIDER
    info = manager.info("objp")
    assert info is not None
    assert info.target == f"{module}:plugin"


def test_blocked_entry_point_is_never_imported(site: Site) -> None:
    module = helpers.unique("exploding")
    site.add("exploding-dist", {"exploding": module}, {module: "raise RuntimeError('imported!')\n"})
    manager = load_plugin_manager(PluginSettings(disable=("exploding",), allow=("exploding",)))
    assert module not in sys.modules
    assert manager.failures == ()
    info = manager.info("exploding")
    assert info is not None
    assert info.status is Status.DISABLED
    assert (info.distribution, info.version) == ("exploding-dist", "1.0")


def test_disable_env_var_blocks_before_import(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, good = helpers.unique("bad"), helpers.unique("good")
    site.add("bad-dist", {"bad": bad}, {bad: "raise RuntimeError('imported!')\n"})
    site.add("good-dist", {"good": good}, {good: helpers.provider_module("good")})
    monkeypatch.setenv("STAGECRAFT_DISABLE_PLUGINS", " bad , other,")
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "bad,good")
    manager = load_plugin_manager()
    assert bad not in sys.modules
    assert manager.build_registry().ids() == ("good",)


def test_load_env_var_is_an_allow_list(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = helpers.unique("one"), helpers.unique("two")
    site.add("one-dist", {"one": one}, {one: helpers.provider_module("one")})
    site.add("two-dist", {"two": two}, {two: "raise RuntimeError('imported!')\n"})
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "one")
    manager = load_plugin_manager()
    assert two not in sys.modules
    assert manager.build_registry().ids() == ("one",)
    info = manager.info("two")
    assert info is not None
    assert info.status is Status.DISABLED
    assert info.error == "not listed in STAGECRAFT_LOAD_PLUGINS"


def test_empty_load_env_var_means_builtins_only(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = helpers.unique("skipped")
    site.add("skipped-dist", {"skipped": module}, {module: "raise RuntimeError('imported!')\n"})
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "")
    manager = load_plugin_manager()
    assert module not in sys.modules
    active = [info.name for info in manager.list_plugins() if info.status is Status.ACTIVE]
    assert active == ["core", "exec"]  # the builtins: the engine's core, and exec stores
    assert manager.build_registry().ids() == ()


def test_without_allow_list_every_entry_point_is_loaded(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = helpers.unique("everyone")
    site.add("everyone-dist", {"everyone": module}, {module: helpers.provider_module("everyone")})
    monkeypatch.delenv("STAGECRAFT_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("STAGECRAFT_DISABLE_PLUGINS", raising=False)
    # Not strict: other plugins installed in this environment are not under test.
    manager = load_plugin_manager(strict=False)
    info = manager.info("everyone")
    assert info is not None
    assert info.status is Status.ACTIVE
    assert module in sys.modules


def test_distribution_visible_twice_on_sys_path_is_loaded_once(site: Site) -> None:
    module = helpers.unique("twice")
    source = helpers.provider_module("twice")
    first = site.new_path()
    second = site.new_path()
    site.add("twice-dist", {"twice": module}, {module: source}, root=first)
    site.add("twice-dist", {"twice": module}, {module: source}, root=second)
    manager = load_plugin_manager(PluginSettings(allow=("twice",)))
    assert manager.failures == ()
    entries = [info for info in manager.list_plugins() if info.name == "twice"]
    assert len(entries) == 1
    assert manager.build_registry().ids() == ("twice",)


def test_two_distributions_with_one_entry_point_name_fail_naming_both(site: Site) -> None:
    first, second = helpers.unique("clash_a"), helpers.unique("clash_b")
    site.add("clash-a", {"clash": first}, {first: helpers.provider_module("ca")})
    site.add("clash-b", {"clash": second}, {second: helpers.provider_module("cb")}, version="2.0")
    manager = load_plugin_manager(PluginSettings(allow=("clash",)), strict=False)
    assert [str(error) for error in manager.failures] == [
        "plugin name 'clash' is used by both plugin 'clash' (clash-a 1.0) and "
        "plugin 'clash' (clash-b 2.0); uninstall one of them; "
        "disable it with `-p no:clash` or STAGECRAFT_DISABLE_PLUGINS=clash"
    ]
    assert second not in sys.modules


def test_failing_import_is_one_error_naming_entry_point_distribution_and_fix(
    site: Site,
) -> None:
    module = helpers.unique("broken")
    root = site.new_path()
    site.add("broken-dist", {"broken": module}, {module: "raise ImportError('no libfoo')\n"},
             version="3.1", root=root)
    with pytest.raises(PluginLoadError) as info:
        load_plugin_manager(PluginSettings(allow=("broken",)))
    file = root / f"{module}.py"
    assert str(info.value) == (
        f"entry point 'broken = {module}' of broken-dist 3.1 failed to import: "
        f"ImportError at {file}:1 (run with -v for its message); "
        "disable it with `-p no:broken` or STAGECRAFT_DISABLE_PLUGINS=broken"
    )
    assert info.value.plugin == "broken"


def test_failing_import_is_recorded_and_others_still_load(site: Site) -> None:
    bad, good = helpers.unique("bad"), helpers.unique("good")
    site.add("bad-dist", {"bad": bad}, {bad: "import sys\nsys.exit(3)\n"})
    site.add("good-dist", {"good": good}, {good: helpers.provider_module("good")})
    manager = load_plugin_manager(PluginSettings(allow=("bad", "good")), strict=False)
    assert len(manager.failures) == 1
    info = manager.info("bad")
    assert info is not None
    assert info.status is Status.FAILED
    assert info.error is not None
    assert "failed to import: SystemExit at " in info.error
    assert f"{bad}.py:2 (run with -v for its message)" in info.error
    assert manager.build_registry().ids() == ("good",)


def test_several_failures_are_reported_in_one_error(site: Site) -> None:
    names = []
    for name in ["xa", "xb"]:
        module = helpers.unique(name)
        site.add(f"{name}-dist", {name: module}, {module: f"raise ValueError('{name} broke')\n"})
        names.append(name)
    with pytest.raises(PluginLoadError) as info:
        load_plugin_manager(PluginSettings(allow=tuple(names)))
    lines = str(info.value).splitlines()
    assert lines[0] == "2 plugins failed to load:"
    assert "ValueError at " in lines[1]
    assert "ValueError at " in lines[2]
    assert "broke" not in str(info.value)  # the plugin's own words only with -v


def _pip_install(wheel: Path, target: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--no-build-isolation", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, text=True, timeout=120,
    )


def test_pip_installed_distribution_is_found_by_get(tmp_path: Path) -> None:
    """The issue's "done when": pip install, then secrets.get(<id>) finds the provider."""
    module = helpers.unique("pipplugin")
    wheel = helpers.build_wheel(
        tmp_path, "stagecraft-pipdemo", "0.3.0", {"pipdemo": module},
        {module: helpers.provider_module("pipdemo")},
    )
    target = tmp_path / "site-packages"
    _pip_install(wheel, target)
    assert (target / "stagecraft_pipdemo-0.3.0.dist-info" / "entry_points.txt").is_file()
    script = textwrap.dedent(
        f"""
        from stagecraft.providers import secrets
        import {module}
        provider = secrets.get("pipdemo")
        assert provider is {module}.PROVIDER, provider
        print(secrets.default_registry().origin("pipdemo"))
        """
    )
    env = child_env()
    env["PYTHONPATH"] = str(target)
    # Only this plugin: the contrib plugins of the dev environment are not under test.
    env["STAGECRAFT_LOAD_PLUGINS"] = "pipdemo"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "plugin 'pipdemo' (stagecraft-pipdemo 0.3.0)"
