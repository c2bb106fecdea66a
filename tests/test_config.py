"""stagecraft.yml: parsing, validation and the exact FILE:LINE:COL messages users see."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

from stagecraft import config
from stagecraft.config import ConfigFileError
from stagecraft.errors import ConfigError, PluginError
from stagecraft.providers.secrets import (
    Context,
    Registry,
    SyncOptions,
    SyncResult,
    UnknownProviderError,
)


@attrs.frozen
class EnvConfig:
    source_file: str = ".env.local"
    target_file: str = ".env"
    create_target: bool = False
    retries: int = 1


@attrs.frozen
class StrictConfig:
    token_file: Path
    tags: tuple[str, ...] = ()


class Provider:
    def __init__(self, provider_id: str, config_class: type | None = None) -> None:
        self.id = provider_id
        if config_class is not None:
            self.Config = config_class

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


def load_text(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "stagecraft.yml"
    path.write_text(text)
    return config.load(path, cwd=tmp_path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigFileError) as info:
        load_text(tmp_path, text)
    return str(info.value)


def test_full_config_is_structured(tmp_path: Path) -> None:
    (tmp_path / "plugins").mkdir()
    loaded = load_text(
        tmp_path,
        "secrets:\n"
        "  provider: envfile\n"
        "  providers:\n"
        "    envfile:\n"
        "      source_file: .env.local\n"
        "    other:\n"
        "plugins:\n"
        "  disable: [encore]\n"
        "  modules: [pkg.mod]\n"
        "  dirs: [plugins]\n",
    )
    assert loaded.secrets.provider == "envfile"
    assert loaded.secrets.providers == {"envfile": {"source_file": ".env.local"}, "other": None}
    assert loaded.plugins == config.PluginsConfig(("encore",), ("pkg.mod",), ("plugins",))
    assert loaded.plugin_dirs == (tmp_path / "plugins",)
    assert loaded.directory == tmp_path
    assert loaded.display == "stagecraft.yml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "stagecraft.yml:1:1: config file is empty"),
        ("# only a comment\n\n", "stagecraft.yml:1:1: config file is empty"),
        ("- a\n- b\n", "stagecraft.yml:1:1: top level must be a mapping, not a list"),
        ("just text\n", "stagecraft.yml:1:1: top level must be a mapping, not a str value"),
        (
            "secrets:\n  provider: a\n  provider: b\n",
            "stagecraft.yml:3:3: secrets.provider: duplicate key (first defined on line 2)",
        ),
        (
            "secrets:\n\tprovider: a\n",
            "stagecraft.yml:2:1: tab character used for indentation; indent with spaces",
        ),
        (
            "secrets:\n  provider: [a\n",
            "stagecraft.yml:3:1: invalid YAML: did not find expected ',' or ']' "
            "(while parsing a flow sequence)",
        ),
        ("a: 1\n---\nb: 2\n", "stagecraft.yml:2:1: invalid YAML: but found another document "
                               "(expected a single document in the stream)"),
        ("1: x\n", "stagecraft.yml:1:1: mapping keys must be strings"),
        ("x: &a [*a]\n", "stagecraft.yml:1:4: x[0]: recursive YAML alias"),
        (
            "plugin:\n  dirs: []\n",
            "stagecraft.yml:1:1: plugin: unknown key (did you mean 'plugins'?); "
            "allowed: secrets, plugins",
        ),
        (
            "secrets:\n  providrs: {}\n",
            "stagecraft.yml:2:3: secrets.providrs: unknown key (did you mean 'providers'?); "
            "allowed: provider, providers, from, to",
        ),
        ("secrets:\n  provider: 5\n",
         "stagecraft.yml:2:13: secrets.provider: expected a string, got an integer"),
        ("secrets:\n  provider: ''\n", "stagecraft.yml:2:13: secrets.provider: must not be empty"),
        ("secrets:\n  providers: [envfile]\n",
         "stagecraft.yml:2:14: secrets.providers: expected a mapping, got a list"),
        ("secrets:\n  providers:\n    envfile: yes\n",
         "stagecraft.yml:3:14: secrets.providers.envfile: expected a mapping, got a boolean"),
        ("plugins:\n  disable: envfile\n",
         "stagecraft.yml:2:12: plugins.disable: expected a list, got a string"),
        ("plugins:\n  modules:\n    - a.b\n    - 3\n",
         "stagecraft.yml:4:7: plugins.modules[1]: expected a string, got an integer"),
        ("plugins:\n  disable: ['']\n",
         "stagecraft.yml:2:13: plugins.disable[0]: must not be empty"),
        ("secrets:\n  providers:\n    envfile:\n      - a\n",
         "stagecraft.yml:4:7: secrets.providers.envfile: expected a mapping, got a list"),
        ("secrets: 3\n", "stagecraft.yml:1:10: secrets: expected a mapping, got an integer"),
    ],
)
def test_file_errors_have_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    assert error_of(tmp_path, text) == expected


def test_every_problem_is_reported_in_file_order(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        "plugins:\n  dirs: nope\n  modules: [1]\nsecrets:\n  provder: x\n",
    )
    assert message.splitlines() == [
        "stagecraft.yml:2:9: plugins.dirs: expected a list, got a string",
        "stagecraft.yml:3:13: plugins.modules[0]: expected a string, got an integer",
        "stagecraft.yml:5:3: secrets.provder: unknown key (did you mean 'provider'?); "
        "allowed: provider, providers, from, to",
    ]


def test_missing_plugin_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "stagecraft.yml").write_text("plugins:\n  dirs: [plugins, gone]\n")
    with pytest.raises(ConfigFileError) as info:
        config.load(tmp_path / "stagecraft.yml", cwd=sub)
    assert str(info.value) == (
        f"{tmp_path / 'stagecraft.yml'}:2:19: plugins.dirs[1]: plugin directory gone does not "
        f"exist (relative to {tmp_path})"
    )


def test_merge_keys_and_anchors_work(tmp_path: Path) -> None:
    loaded = load_text(
        tmp_path,
        "secrets:\n  providers:\n    one: &base\n      source_file: a\n"
        "    two:\n      <<: *base\n      target_file: b\n",
    )
    assert loaded.secrets.providers["two"] == {"source_file": "a", "target_file": "b"}


def test_unreadable_bytes_are_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "stagecraft.yml"
    path.write_bytes(b"secrets:\n  provider: \xff\n")
    with pytest.raises(ConfigError, match=r"^stagecraft.yml: not UTF-8 text"):
        config.load(path, cwd=tmp_path)


# ----------------------------------------------------------------- provider sections


def test_provider_section_is_structured_into_its_config_class(tmp_path: Path) -> None:
    loaded = load_text(
        tmp_path,
        "secrets:\n  providers:\n    envfile:\n      target_file: .env.staging\n"
        "      create_target: true\n",
    )
    section = loaded.provider_config(Provider("envfile", EnvConfig))
    assert section == EnvConfig(target_file=".env.staging", create_target=True)


def test_provider_section_defaults_and_absence(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, "secrets:\n  providers:\n    envfile:\n    plain: {a: 1}\n")
    assert loaded.provider_config(Provider("envfile", EnvConfig)) == EnvConfig()
    assert loaded.provider_config(Provider("plain")) == {"a": 1}
    assert loaded.provider_config(Provider("missing", EnvConfig)) is None


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "      target_file: 5\n",
            "stagecraft.yml:4:20: secrets.providers.envfile.target_file: "
            "expected a string, got an integer",
        ),
        (
            "      target_fil: .env\n",
            "stagecraft.yml:4:7: secrets.providers.envfile.target_fil: unknown key "
            "(did you mean 'target_file'?); allowed: source_file, target_file, "
            "create_target, retries",
        ),
        (
            "      create_target: 'yes'\n",
            "stagecraft.yml:4:22: secrets.providers.envfile.create_target: "
            "expected a boolean, got a string",
        ),
        (
            "      retries: true\n",
            "stagecraft.yml:4:16: secrets.providers.envfile.retries: "
            "expected an integer, got a boolean",
        ),
    ],
)
def test_provider_section_errors(tmp_path: Path, section: str, expected: str) -> None:
    loaded = load_text(tmp_path, "secrets:\n  providers:\n    envfile:\n" + section)
    with pytest.raises(ConfigFileError) as info:
        loaded.provider_config(Provider("envfile", EnvConfig))
    assert str(info.value) == expected


def test_missing_required_key_and_nested_list(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, "secrets:\n  providers:\n    vault:\n      tags: [a, 2]\n")
    with pytest.raises(ConfigFileError) as info:
        loaded.provider_config(Provider("vault", StrictConfig))
    assert str(info.value).splitlines() == [
        "stagecraft.yml:4:7: secrets.providers.vault.token_file: required key is missing",
        "stagecraft.yml:4:17: secrets.providers.vault.tags[1]: expected a string, got an integer",
    ]


def test_wrong_type_message_never_echoes_the_value(tmp_path: Path) -> None:
    loaded = load_text(
        tmp_path, "secrets:\n  providers:\n    envfile:\n      retries: canary-s3cr3t\n"
    )
    with pytest.raises(ConfigFileError) as info:
        loaded.provider_config(Provider("envfile", EnvConfig))
    assert "canary-s3cr3t" not in str(info.value)
    assert "expected an integer, got a string" in str(info.value)


def test_config_that_is_not_attrs_is_a_plugin_error(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, "secrets:\n  providers:\n    odd: {}\n")
    with pytest.raises(PluginError, match="'odd' declares a Config that is not an attrs class"):
        loaded.provider_config(Provider("odd", dict))


# ----------------------------------------------------------------- choosing a provider


def test_choose_provider(tmp_path: Path) -> None:
    registry = Registry([Provider("envfile"), Provider("encore")])
    loaded = load_text(tmp_path, "secrets:\n  provider: envfile\n")
    assert config.choose_provider(loaded, registry).id == "envfile"
    assert config.choose_provider(loaded, registry, "encore").id == "encore"
    assert config.choose_provider(None, registry, "encore").id == "encore"
    with pytest.raises(UnknownProviderError, match=r"'nope' \(available: encore, envfile\)"):
        config.choose_provider(loaded, registry, "nope")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "secrets:\n  provider: envfil\n",
            "stagecraft.yml:2:13: secrets.provider: unknown secrets provider 'envfil' "
            "(did you mean 'envfile'?) (available: encore, envfile)",
        ),
        (
            "secrets:\n  providers: {}\n",
            "stagecraft.yml:2:3: secrets: no secrets provider chosen: set secrets.provider "
            "here or pass --provider ID",
        ),
        (
            "secrets:\n  provider: envfile\n  providers:\n    envfiles: {}\n",
            "stagecraft.yml:4:5: secrets.providers: no section for the chosen provider "
            "'envfile' (did you mean 'envfiles'?)",
        ),
    ],
)
def test_choose_provider_errors(tmp_path: Path, text: str, expected: str) -> None:
    registry = Registry([Provider("envfile"), Provider("encore")])
    loaded = load_text(tmp_path, text)
    with pytest.raises(ConfigFileError) as info:
        config.choose_provider(loaded, registry)
    assert str(info.value) == expected


def test_no_config_and_no_provider(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^no secrets provider chosen: pass --provider ID"):
        config.choose_provider(None, Registry())


def test_check_sections_names_unknown_ids(tmp_path: Path) -> None:
    registry = Registry([Provider("envfile")])
    loaded = load_text(tmp_path, "secrets:\n  providers:\n    envfile: {}\n    envfiel: {}\n")
    with pytest.raises(ConfigFileError) as info:
        config.check_sections(loaded, registry)
    assert str(info.value) == (
        "stagecraft.yml:4:5: secrets.providers.envfiel: no installed secrets provider has "
        "this id (did you mean 'envfile'?) (available: envfile)"
    )
    config.check_sections(load_text(tmp_path, "secrets:\n  provider: envfile\n"), registry)


# ----------------------------------------------------------------- finding the file


def test_find_config(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    outside = config.find_config(deep)
    assert outside is None or tmp_path not in outside.parents
    (tmp_path / "stagecraft.yml").write_text("secrets: {}\n")
    assert config.find_config(deep) == tmp_path / "stagecraft.yml"
    (tmp_path / "a" / "stagecraft.yml").write_text("secrets: {}\n")
    assert config.find_config(deep) == tmp_path / "a" / "stagecraft.yml"
    assert config.find_config(deep, "../../stagecraft.yml") == deep / "../../stagecraft.yml"
    with pytest.raises(ConfigError, match=r"^config file other.yml not found$"):
        config.find_config(deep, "other.yml")


def test_display_name_is_relative_to_cwd_when_inside(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "stagecraft.yml").write_text("")
    with pytest.raises(ConfigFileError) as info:
        config.load(sub / "stagecraft.yml", cwd=tmp_path)
    assert str(info.value).startswith(f"sub{os.sep}stagecraft.yml:1:1: ")


def test_disabling_core_is_reported_at_its_line(tmp_path: Path) -> None:
    file = tmp_path / "stagecraft.yml"
    file.write_text("plugins:\n  disable:\n    - envfile\n    - core\n")
    with pytest.raises(ConfigError) as info:
        config.load(file, cwd=tmp_path)
    assert str(info.value) == (
        "stagecraft.yml:4:7: plugins.disable[1]: the builtin 'core' plugin cannot be disabled"
    )
