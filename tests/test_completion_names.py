"""Completion of the project's environment and sync names: the completers called directly,
and through argcomplete's protocol in a real bash (as ``tests/test_cli_completion.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType

import pytest
from test_cli_completion import complete as bash_complete

from stagecraft import completion
from stagecraft.cli.completion import completer

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.local
    staging: envfile:.env.staging
    prod: encore:production
  syncs:
    promote: {from: dev, to: staging}
    publish: {from: staging, to: prod}
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".env.local").write_text("A=1\n")
    (tmp_path / "stagecraft.yml").write_text(MANIFEST)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "encore,envfile")
    monkeypatch.delenv("STAGECRAFT_DISABLE_PLUGINS", raising=False)
    return tmp_path


def test_completers_directly(here: Path) -> None:
    args = argparse.Namespace(config=None, plugin_args=[], plugins_dirs=[])
    assert completer("environment")(prefix="", parsed_args=args) == ["dev", "staging", "prod"]
    assert completer("environment")(prefix="st", parsed_args=args) == ["staging"]
    assert completer("sync")(prefix="p", parsed_args=args) == ["promote", "publish"]
    assert completer("sync")(prefix="pu", parsed_args=args) == ["publish"]
    assert completion.complete("source", prefix="", parsed_args=args) == [
        "dev", "staging", "prod", "encore:", "envfile:", "-", ".env.local", "stagecraft.yml"]
    # Store prefixes are left for argcomplete to filter, as before; names are filtered here.
    assert completion.complete("target", prefix="d", parsed_args=args) == [
        "dev", "encore:", "envfile:"]


def test_without_a_config_there_are_no_names(here: Path) -> None:
    args = argparse.Namespace(config=False, plugin_args=[], plugins_dirs=[])
    assert completion.complete("environment", parsed_args=args) == []
    assert completion.complete("sync", parsed_args=args) == []


def test_a_broken_config_completes_nothing_rather_than_failing(here: Path) -> None:
    (here / "stagecraft.yml").write_text("secrets:\n  environments: [\n")
    assert completion.complete("environment", prefix="") == []


def test_an_unknown_kind_is_refused_when_the_parser_is_built() -> None:
    with pytest.raises(ValueError, match="no completer for 'env'"):
        completer("env")


def test_environment_names_in_bash(cli_helpers: ModuleType, here: Path) -> None:
    assert bash_complete(cli_helpers, "stagecraft secrets sync --from st", here) == [
        "staging", "stagecraft.yml"]
    assert bash_complete(cli_helpers, "stagecraft secrets sync --to ", here)[:4] == [
        "dev", "staging", "prod", "encore:"]
    assert bash_complete(cli_helpers, "stagecraft secrets list pr", here) == ["prod"]
    assert bash_complete(cli_helpers, "stagecraft secrets check d", here) == ["dev"]
    # --config names the file the names come from.
    (here / "other").mkdir()
    (here / "other" / "stagecraft.yml").write_text(
        "secrets:\n  environments:\n    qa: envfile:.env.qa\n")
    assert bash_complete(cli_helpers, "stagecraft --config other/stagecraft.yml secrets "
                         "sync --from ", here)[:1] == ["qa"]


def test_sync_names_in_bash(cli_helpers: ModuleType, here: Path) -> None:
    assert bash_complete(cli_helpers, "stagecraft secrets sync --only p", here) == [
        "promote", "publish"]
    assert bash_complete(cli_helpers, "stagecraft secrets sync --only promote --only pu",
                         here) == ["publish"]
