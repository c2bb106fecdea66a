"""stagecraft.yml: parsing, validation and the exact FILE:LINE:COL messages users see."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from config_helpers import error_of, load_text

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
            "allowed: provider, providers, from, to, environments, keys, syncs",
        ),
        ("secrets:\n  provider: 5\n",
         "stagecraft.yml:2:13: secrets.provider: expected a string, got an integer"),
        ("secrets:\n  provider: ''\n", "stagecraft.yml:2:13: secrets.provider: must not be empty"),
        ("secrets:\n  providers: [envfile]\n",
         "stagecraft.yml:2:14: secrets.providers: expected a mapping, got a list"),
        ("secrets:\n  providers:\n    envfile: true\n",
         "stagecraft.yml:3:14: secrets.providers.envfile: expected a mapping, got a boolean"),
        ("secrets:\n  providers:\n    envfile: yes\n",
         "stagecraft.yml:3:14: secrets.providers.envfile: expected a mapping, got a string"),
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
        "allowed: provider, providers, from, to, environments, keys, syncs",
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
            "expected a boolean, got a string "
            "(write true or false: yes/no/on/off are strings in stagecraft.yml)",
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


# ----------------------------------------------------------------- alias bombs (issue 12, item 8)

def bomb(levels: int) -> str:
    """``levels`` levels of 9 aliases each to the level before: 9**levels values once copied."""
    names = "abcdefghijkl"[:levels]
    return "a: &a [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
        f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        for prev, name in itertools.pairwise(names)
    )


BOMB = bomb(9)


def test_an_alias_bomb_is_refused_at_the_anchor(tmp_path: Path) -> None:
    """Five levels (59049 values) are enough to cross the bound, and small enough that
    the loader before the bound loaded them, in-process, in about a second."""
    message = error_of(tmp_path, bomb(5))
    assert message == (
        "stagecraft.yml:4:4: e[0]: this alias copies the anchor defined at this line, and "
        f"aliases expand to more than {config.MAX_ALIAS_EXPANSION} copied values "
        "(an alias bomb?); refusing to load"
    )


def test_an_alias_bomb_ends_config_check_with_exit_1(tmp_path: Path) -> None:
    """The 9-level bomb, through the real command, in a child process with its memory
    capped at 1 GB and a timeout: before the bound it grew past 2.5 GB in 20 s."""
    import resource
    import subprocess
    import sys

    (tmp_path / "stagecraft.yml").write_text(BOMB)

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run(
        [str(Path(sys.executable).with_name("stagecraft")), "config", "check"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        preexec_fn=cap_memory,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("stagecraft: error: stagecraft.yml:4:4: e[0]: "), done.stderr
    assert "alias bomb" in done.stderr
    assert "Traceback" not in done.stderr


def test_aliases_within_the_bound_still_work(tmp_path: Path) -> None:
    tags = "[" + ", ".join(f"t{n}" for n in range(50)) + "]"
    text = (
        f"secrets:\n  providers:\n    p0: {{tags: &tags {tags}}}\n"
        + "".join(f"    p{n}: {{tags: *tags}}\n" for n in range(1, 100))
    )
    loaded = load_text(tmp_path, text)
    assert loaded.secrets.providers["p99"] == {"tags": [f"t{n}" for n in range(50)]}


# ----------------------------------------------------------------- YAML 1.1 booleans (item 18)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "OFF"])
def test_yaml11_boolean_words_are_not_booleans(tmp_path: Path, word: str) -> None:
    loaded = load_text(
        tmp_path,
        f"secrets:\n  provider: envfile\n  providers:\n    envfile:\n      create_target: {word}\n",
    )
    registry = Registry()
    registry.register(Provider("envfile", EnvConfig))
    with pytest.raises(ConfigFileError) as info:
        loaded.provider_config(registry.get("envfile"))
    assert str(info.value) == (
        "stagecraft.yml:5:22: secrets.providers.envfile.create_target: expected a boolean, "
        "got a string (write true or false: yes/no/on/off are strings in stagecraft.yml)"
    )


def test_yaml11_boolean_words_stay_strings_where_strings_are_expected(tmp_path: Path) -> None:
    """The "Norway problem": `no` is a country code, not False."""
    loaded = load_text(
        tmp_path,
        "secrets:\n  provider: envfile\n  providers:\n    envfile:\n"
        "      source_file: no\n      target_file: on\n      create_target: true\n"
        "    off: {}\n",
    )
    registry = Registry()
    registry.register(Provider("envfile", EnvConfig))
    structured = loaded.provider_config(registry.get("envfile"))
    assert structured == EnvConfig(source_file="no", target_file="on", create_target=True)
    assert "off" in loaded.secrets.providers


# ----------------------------------------------------------------- not a file (item 10)


def test_a_config_directory_is_named_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "stagecraft.yml").write_text("secrets: {}\n")
    project = tmp_path / "project"
    (project / "stagecraft.yml").mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        config.find_config(project)
    assert str(info.value) == (
        f"{project / 'stagecraft.yml'} is a directory, not a config file; rename it, "
        "or pass --config FILE"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("somedir", "config file somedir is a directory, not a file"),
        ("/dev/null", "config file /dev/null is a character device, not a file"),
        ("missing.yml", "config file missing.yml not found"),
        ("dangling.yml", "config file dangling.yml is a symbolic link to a missing file "
                         "(gone.yml), not a file"),
    ],
)
def test_an_explicit_config_that_is_not_a_file_says_what_it_is(
    tmp_path: Path, given: str, expected: str
) -> None:
    (tmp_path / "somedir").mkdir()
    (tmp_path / "dangling.yml").symlink_to("gone.yml")
    with pytest.raises(ConfigError) as info:
        config.find_config(tmp_path, given)
    assert str(info.value) == expected
    assert info.value.exit_code == 1


def test_an_explicit_config_may_be_a_pipe(tmp_path: Path) -> None:
    """`--config <(generate-config)` hands over a pipe."""
    fifo = tmp_path / "generated.yml"
    os.mkfifo(fifo)
    assert config.find_config(tmp_path, "generated.yml") == fifo


# ----------------------------------------------------------------- paths the messages take


@attrs.frozen
class PathConfig:
    directory: Path = Path()
    ratio: float = 1.0


def test_a_config_file_that_cannot_be_read_names_it(tmp_path: Path) -> None:
    (tmp_path / "stagecraft.yml").mkdir()
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "stagecraft.yml", cwd=tmp_path)
    assert str(info.value) == "stagecraft.yml: cannot read: Is a directory"


def test_a_scalar_yaml_cannot_construct_is_an_invalid_value(tmp_path: Path) -> None:
    assert error_of(tmp_path, "secrets:\n  provider: !custom x\n") == (
        "stagecraft.yml:2:13: secrets.provider: invalid value: "
        "could not determine a constructor for the tag '!custom'"
    )


@pytest.mark.parametrize("scalar", ["!!int canary-s3cr3t", "!!float canary-s3cr3t"])
def test_a_scalar_its_tag_cannot_read_is_refused_without_echoing_it(
    tmp_path: Path, scalar: str
) -> None:
    message = error_of(tmp_path, f"secrets:\n  provider: {scalar}\n")
    tag = scalar.split(maxsplit=1)[0]
    assert message == f"stagecraft.yml:2:13: secrets.provider: invalid value: not a valid {tag}"


def test_a_bad_scalar_ends_config_check_with_exit_1(tmp_path: Path) -> None:
    (tmp_path / "stagecraft.yml").write_text("secrets:\n  provider: !!int canary-s3cr3t\n")
    done = subprocess.run(
        [sys.executable, "-m", "stagecraft", "config", "check"], cwd=tmp_path,
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 1
    assert "canary-s3cr3t" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "stagecraft.yml:2:13: secrets.provider: invalid value: not a valid !!int" in done.stderr


def test_path_and_number_fields_are_strict(tmp_path: Path) -> None:
    loaded = load_text(
        tmp_path, "secrets:\n  providers:\n    p:\n      directory: ''\n      ratio: true\n"
    )
    with pytest.raises(ConfigFileError) as info:
        loaded.provider_config(Provider("p", PathConfig))
    assert str(info.value).splitlines() == [
        "stagecraft.yml:4:18: secrets.providers.p.directory: expected a path string, got a string",
        "stagecraft.yml:5:14: secrets.providers.p.ratio: expected a number, got a boolean",
    ]


def test_structure_plain_names_the_section_without_a_file() -> None:
    assert config.structure_plain({"ratio": 2}, PathConfig, "p") == PathConfig(ratio=2.0)
    with pytest.raises(ConfigFileError) as info:
        config.structure_plain({"ratio": "x", "extra": 1}, PathConfig, "p")
    assert str(info.value).splitlines() == [
        "<p config>:1:1: secrets.providers.p.ratio: expected a number, got a string",
        "<p config>:1:1: secrets.providers.p.extra: unknown key; allowed: directory, ratio",
    ]


def test_check_sections_words_an_unknown_id_at_its_key(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, "secrets:\n  providers:\n    envfil: {}\n")
    registry = Registry()
    registry.register(Provider("envfile"))
    with pytest.raises(ConfigFileError) as info:
        config.check_sections(loaded, registry)
    assert str(info.value) == (
        "stagecraft.yml:3:5: secrets.providers.envfil: no installed secrets provider has "
        "this id (did you mean 'envfile'?) (available: envfile)"
    )


def test_the_package_exports_the_documented_api() -> None:
    """docs/api.md names these as ``stagecraft.config``'s; they stay importable from it."""
    documented = {"load", "find_config", "ConfigFileError", "structure_plain",
                  "choose_provider", "check_sections", "Config"}
    assert documented <= set(config.__all__)
    assert all(callable(getattr(config, name)) for name in config.__all__
               if name not in ("CONFIG_NAME", "MAX_ALIAS_EXPANSION", "NodePath"))
