"""Plugin loading as a new user meets it (issue 12): failing imports that hold secrets,
unknown names in allow and disable lists, hooks with wrong signatures, odd provider ids,
modules without hooks."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import plugin_dists as helpers  # tests/plugin_dists.py (tests/ is on pythonpath)
import pytest

import stagecraft
from stagecraft.errors import PluginError, PluginLoadError
from stagecraft.plugins import (
    LOGGER_NAME,
    Kind,
    PluginManager,
    PluginSettings,
    Status,
    load_plugin_manager,
)
from stagecraft.providers.secrets import (
    Context,
    EmptyProviderIDError,
    InvalidProviderError,
    Origin,
    Registry,
    SyncOptions,
    SyncResult,
)

site = helpers.site
Site = Any

NO_ENTRY_POINTS = PluginSettings(allow=())
SECRET = "sk_live_import_time_secret_4242"


def _write(directory: Path, stem: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.py"
    path.write_text(body)
    return path


# ------------------------------------------------------ item 4: secrets in import errors


LEAKY_IMPORT = (
    "import os\n"
    "\n"
    f"TOKEN = {SECRET!r}\n"
    "raise RuntimeError(f'cannot reach vault with token {TOKEN}')\n"
)


def test_a_failing_local_plugin_shows_type_and_location_not_its_message(
    tmp_path: Path,
) -> None:
    plugins = tmp_path / "plugins"
    leaky = _write(plugins, "leaky", LEAKY_IMPORT)
    with pytest.raises(PluginLoadError) as info:
        load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]))
    message = str(info.value)
    assert SECRET not in message
    assert message == (
        f"local plugin {leaky} failed to import: RuntimeError at {leaky}:4 "
        "(run with -v for its message); "
        f"disable it with `-p no:local:{leaky}` or STAGECRAFT_DISABLE_PLUGINS=local:{leaky}"
    )


def test_with_verbose_logging_the_message_is_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = tmp_path / "plugins"
    leaky = _write(plugins, "leaky", LEAKY_IMPORT)
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)  # what `-v` does
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    assert str(manager.failures[0]).startswith(
        f"local plugin {leaky} failed to import: RuntimeError at {leaky}:4: "
        f"cannot reach vault with token {SECRET}; "
    )


def test_a_library_frame_is_named_with_the_plugin_line_that_called_it(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    needy = _write(plugins, "needy", "import json\n\njson.loads('{\"token\": sk_9f')\n")
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    message = str(manager.failures[0])
    assert "failed to import: JSONDecodeError at " in message
    assert "json" + os.sep + "decoder.py:" in message
    assert f"(from {needy}:3) (run with -v for its message)" in message
    assert "sk_9f" not in message


def test_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    broken = _write(plugins, "broken", "x = 1\ndef f(:\n")
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    assert f"failed to import: SyntaxError at {broken}:2 " in str(manager.failures[0])


def test_a_missing_module_keeps_its_name(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    _write(plugins, "needs", "import stagecraft_no_such_dependency_31\n")
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    assert (
        "failed to import: ModuleNotFoundError: No module named "
        "'stagecraft_no_such_dependency_31'; "
    ) in str(manager.failures[0])


def test_a_hook_that_raises_while_registering_hides_its_message_too() -> None:
    class Leaky:
        @stagecraft.hookimpl
        def secrets_provider_register(self) -> object:
            raise ValueError(f"bad token {SECRET}")

    manager = PluginManager()
    manager.register(Leaky(), name="leaky")
    with pytest.raises(PluginLoadError) as info:
        manager.build_registry()
    assert SECRET not in str(info.value)
    assert "raised in secrets_provider_register: ValueError at " in str(info.value)


# --------------------------------------------- item 11: unknown names in allow/deny lists


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == LOGGER_NAME and r.levelno == logging.WARNING]


def test_an_unknown_name_in_the_allow_list_is_named_with_what_is_installed(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    module = helpers.unique("listed")
    site.add("listed-dist", {"listed": module}, {module: helpers.provider_module("listed")})
    manager = load_plugin_manager(PluginSettings(allow=("bogus", "listd")))
    installed = [i.name for i in manager.list_plugins() if i.kind is Kind.ENTRY_POINT]
    assert "listed" in installed
    expected = [
        "STAGECRAFT_LOAD_PLUGINS lists 'bogus', but no installed plugin has that name; "
        f"nothing is loaded for it (installed: {', '.join(installed)})",
        "STAGECRAFT_LOAD_PLUGINS lists 'listd', but no installed plugin has that name "
        f"(did you mean 'listed'?); nothing is loaded for it (installed: {', '.join(installed)})",
    ]
    assert list(manager.warnings) == expected
    assert _warnings(caplog) == expected


@pytest.mark.parametrize("how", ["-p", "config"])
def test_a_typo_in_a_disable_list_is_a_warning_with_did_you_mean(
    site: Site, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    module = helpers.unique("envfilex")
    site.add("x-dist", {"envfilex": module}, {module: helpers.provider_module("envfilex")})
    settings = PluginSettings(allow=("envfilex",))
    settings = (settings.with_option("no:envfilx") if how == "-p"
                else settings.merge(disable=["envfilx"]))
    manager = load_plugin_manager(settings)
    assert list(manager.warnings) == [
        "plugin 'envfilx' is disabled, but no plugin has that name (did you mean "
        "'envfilex'?); nothing was disabled for it (not an error: a plugin may be absent "
        "on purpose)"
    ]
    info = manager.info("envfilex")
    assert info is not None
    assert info.status is Status.ACTIVE
    assert _warnings(caplog) == list(manager.warnings)


def test_disabling_names_that_exist_warns_nothing(tmp_path: Path, site: Site) -> None:
    module = helpers.unique("quiet")
    site.add("quiet-dist", {"quiet": module}, {module: helpers.provider_module("quiet")})
    plugins = tmp_path / "plugins"
    local = _write(plugins, "mine", helpers.provider_module("mine"))
    _write(plugins, "other", helpers.provider_module("other"))
    settings = PluginSettings(allow=("quiet",)).merge(
        disable=["quiet", f"local:{local}", "other"], dirs=[plugins]
    )
    manager = load_plugin_manager(settings)
    assert manager.warnings == ()
    assert manager.build_registry().ids() == ()


# ----------------------------------------------------- item 12: hook takes no arguments


def test_an_argument_on_a_hook_that_passes_none_says_it_takes_no_arguments(
    tmp_path: Path,
) -> None:
    plugins = tmp_path / "plugins"
    path = _write(
        plugins, "args",
        "import stagecraft\n@stagecraft.hookimpl\n"
        "def secrets_provider_register(config):\n    return None\n",
    )
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(dirs=[plugins]), strict=False)
    assert str(manager.failures[0]) == (
        f"plugin 'local:{path}' has an invalid implementation of hook "
        "secrets_provider_register: secrets_provider_register(config) declares argument(s) "
        "config, but the hook takes no arguments; "
        f"disable it with `-p no:local:{path}` or STAGECRAFT_DISABLE_PLUGINS=local:{path}"
    )


# --------------------------------------------- item 14: provider ids, modules without hooks


class Provider:
    def __init__(self, provider_id: str) -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


@pytest.mark.parametrize("bad", ["my provider!", "vault:prod", "a/b", "tab\there", "ünï"])
def test_provider_ids_are_letters_digits_dash_underscore_dot(bad: str) -> None:
    registry = Registry()
    with pytest.raises(InvalidProviderError) as info:
        registry.register(Provider(bad), Origin("odd"))
    assert str(info.value) == (
        f"Provider.id {bad!r} is not a valid provider id: "
        "use letters, digits, '-', '_' and '.' only"
    )
    assert registry.ids() == ()


@pytest.mark.parametrize("good", ["envfile", "aws-sm", "my_store", "acme.vault", "V2"])
def test_valid_provider_ids_register(good: str) -> None:
    registry = Registry()
    registry.register(Provider(good))
    assert registry.ids() == (good,)


def test_an_invalid_id_names_the_plugin() -> None:
    class Plugin:
        @stagecraft.hookimpl
        def secrets_provider_register(self) -> object:
            return Provider("my provider!")

    manager = PluginManager()
    manager.register(Plugin(), name="odd")
    with pytest.raises(PluginLoadError) as info:
        manager.build_registry()
    assert str(info.value) == (
        "plugin 'odd' returned an invalid provider: Provider.id 'my provider!' is not a "
        "valid provider id: use letters, digits, '-', '_' and '.' only; "
        "disable it with `-p no:odd` or STAGECRAFT_DISABLE_PLUGINS=odd"
    )


def test_an_empty_id_keeps_its_own_error() -> None:
    with pytest.raises(EmptyProviderIDError):
        Registry().register(Provider("  "))


def test_a_module_without_hooks_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(modules=["os"]))
    expected = [
        "plugin module 'os' has no stagecraft hook implementations (functions marked "
        "@stagecraft.hookimpl); it was imported but adds nothing: is it the module you meant?"
    ]
    assert list(manager.warnings) == expected
    assert _warnings(caplog) == expected
    assert manager.failures == ()


def test_a_module_with_hooks_warns_nothing(site: Site) -> None:
    module = helpers.unique("hooked")
    root = site.new_path()
    (root / f"{module}.py").write_text(helpers.provider_module("hooked"))
    site.modules.append(module)
    manager = load_plugin_manager(NO_ENTRY_POINTS.merge(modules=[module]))
    assert manager.warnings == ()
    assert manager.build_registry().ids() == ("hooked",)


def test_core_still_cannot_be_disabled() -> None:
    with pytest.raises(PluginError):
        NO_ENTRY_POINTS.with_option("no:core")
