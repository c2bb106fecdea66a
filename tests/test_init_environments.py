"""``stagecraft init`` writes ``secrets.environments`` from the env files it finds and
``keys: .env.example``; the file it writes loads, and its environments work by name."""

from __future__ import annotations

from pathlib import Path

import dotenv
import pytest
from test_cli_init import (  # the installed envfile and encore plugins, in tmp_path
    git_init,
    here,
    run,
)

from stagecraft import config
from stagecraft.init_manifest import environment_name

__all__ = ["here"]  # the fixture, shared with test_cli_init


@pytest.mark.parametrize(
    ("file", "name"),
    [(".env", "default"), (".env.local", "local"), (".env.staging", "staging"),
     (".env.production", "production"), (".env.development.local", "development.local")],
)
def test_the_naming_rule(file: str, name: str) -> None:
    assert environment_name(file) == name


def test_env_files_become_environments_and_the_example_declares_keys(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env").write_text("API_KEY=default-1\n")
    (here / ".env.local").write_text("API_KEY=local-1\nLOCAL_ONLY=1\n")
    (here / ".env.production").write_text("API_KEY=prod-1\n")
    (here / ".env.example").write_text("# The API key\nAPI_KEY=\n")
    code, out, err = run(capsys, "init")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:3] == [
        "environments: default (.env), local (.env.local), production (.env.production)",
        "keys: the keys of .env.example",
    ]
    text = (here / "stagecraft.yml").read_text()
    assert ('  environments:\n    default: "envfile:.env"\n    local: "envfile:.env.local"\n'
            '    production: "envfile:.env.production"\n  keys: ".env.example"\n') in text
    loaded = config.load(here / "stagecraft.yml")  # loads without a problem
    assert {name: str(env) for name, env in loaded.manifest.environments.items()} == {
        "default": "envfile:.env", "local": "envfile:.env.local",
        "production": "envfile:.env.production"}
    assert [(key.name, key.description) for key in loaded.manifest.keys] == [
        ("API_KEY", "The API key")]
    assert run(capsys, "config", "check")[0] == 0
    # The environments work by name.
    code, out, err = run(capsys, "secrets", "sync", "--from", "local", "--to", "production",
                         "API_KEY")
    assert (code, out) == (0, "~ API_KEY\n"), err
    assert dotenv.dotenv_values(here / ".env.production") == {"API_KEY": "local-1"}


def test_a_config_written_elsewhere_names_the_files_relative_to_it(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("API_KEY=1\n")
    (here / ".env.example").write_text("API_KEY=\n")
    (here / "conf").mkdir()
    assert run(capsys, "--config", "conf/stagecraft.yml", "init")[0] == 0
    loaded = config.load(here / "conf" / "stagecraft.yml")
    assert str(loaded.manifest.environments["local"]) == "envfile:../.env.local"
    assert loaded.manifest.keys_file == "../.env.example"


def test_names_that_would_not_load_are_left_out_and_said(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("API_KEY=1\n")
    (here / ".env.encore").write_text("A=1\n")  # 'encore' is a store id
    (here / ".env.my app").write_text("A=1\n")  # a space: no valid name
    code, out, err = run(capsys, "init")
    assert (code, err) == (0, "")
    assert "left .env.encore out of secrets.environments: 'encore' is a store id" in out
    assert ("left .env.my app out of secrets.environments: 'my app' is not a valid "
            "environment name") in out
    loaded = config.load(here / "stagecraft.yml")
    assert list(loaded.manifest.environments) == ["local"]


def test_a_malformed_example_file_is_not_written_as_keys(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("API_KEY=1\n")
    (here / ".env.example").write_text("API_KEY=\n'broken\n")
    code, out, err = run(capsys, "init")
    assert (code, err) == (0, "")
    assert "no secrets.keys: .env.example:2" in out
    assert "keys:" not in (here / "stagecraft.yml").read_text()
    assert config.load(here / "stagecraft.yml").manifest.keys == ()


def test_without_env_files_no_environments(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "encore.app").write_text("{}\n")
    assert run(capsys, "init")[0] == 0
    assert "environments" not in (here / "stagecraft.yml").read_text()


def test_in_a_git_work_tree_every_environment_file_is_ignored(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_init(here)
    for name in (".env.local", ".env.staging", ".env.production"):
        (here / name).write_text("API_KEY=1\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "added .env.local, .env.production, .env.staging to .gitignore (they hold secrets)" \
        in out.splitlines()
    assert (here / ".gitignore").read_text().splitlines()[1:] == [
        "/.env.local", "/.env.production", "/.env.staging"]
