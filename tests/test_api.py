"""The Python API (``stagecraft.sync``, ``stagecraft.read``) against real env files.

What the command does, the API does: config discovery (None, a path, False),
plugins from ``plugins.dirs`` with their ``secrets_sync`` wrappers, errors
with masked messages; and it prints nothing.  Files are read back with
python-dotenv, the reader most Python apps use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dotenv import dotenv_values

import stagecraft
from stagecraft.cli import main
from stagecraft.locations import UnknownStoreError

SECRET = "s3cr3t-canary-value-91"

#: A wrapper plugin: records each sync it wraps, and fails the sync on request
#: with the source's value in its message (a careless plugin), to prove masking.
WRAPPER = '''
import json
import os
from pathlib import Path

import stagecraft
from stagecraft.providers.secrets import PartialSyncError


@stagecraft.hookimpl(wrapper=True)
def secrets_sync(provider, ctx, options):
    result = yield
    with Path(os.environ["API_TEST_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps({"provider": provider.id, "keys": list(result.added)}) + "\\n")
    leak = os.environ.get("API_TEST_LEAK")
    if leak == "plain":
        raise stagecraft.ProviderError(f"audit refused the value {leak_value()}")
    if leak == "partial":
        raise PartialSyncError("audit refused", result, {"API_KEY": f"bad {leak_value()}"})
    return result


def leak_value():
    return "''' + SECRET + '''"
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with stagecraft.yml, an env file and the wrapper in ``plugins.dirs``."""
    for name in list(os.environ):
        if name.startswith("STAGECRAFT_"):
            monkeypatch.delenv(name)
    root = tmp_path / "project"
    (root / "plugins").mkdir(parents=True)
    (root / "plugins" / "recorder.py").write_text(WRAPPER, encoding="utf-8")
    (root / "stagecraft.yml").write_text(
        "secrets:\n  from: .env.local\n  to: envfile:.env.ci\nplugins:\n  dirs: [plugins]\n",
        encoding="utf-8",
    )
    (root / ".env.local").write_text(f"API_KEY={SECRET}\nDB_USER=app\n", encoding="utf-8")
    monkeypatch.setenv("API_TEST_LOG", str(tmp_path / "wrapped.jsonl"))
    monkeypatch.chdir(root)
    return root


def wrapped(project: Path) -> list[dict[str, object]]:
    log = project.parent / "wrapped.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_sync_copies_and_prints_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = stagecraft.sync(".env.local", "envfile:.env.staging")
    assert result.added == ("API_KEY", "DB_USER")
    assert dotenv_values(project / ".env.staging") == {"API_KEY": SECRET, "DB_USER": "app"}
    assert capsys.readouterr() == ("", "")
    again = stagecraft.sync(".env.local", "envfile:.env.staging", "DB_*")  # one pattern
    assert again.unchanged == ("DB_USER",)
    assert not again.changed


def test_sync_runs_the_wrappers_of_plugins_dirs(project: Path) -> None:
    stagecraft.sync(".env.local", "envfile:.env.staging", exclude=["DB_*"])
    assert wrapped(project) == [{"provider": "envfile", "keys": ["API_KEY"]}]


def test_config_none_is_found_from_a_subdirectory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "src" / "app").mkdir(parents=True)
    monkeypatch.chdir(project / "src" / "app")
    result = stagecraft.sync("", "")  # secrets.from / secrets.to, relative to the config
    assert result.added == ("API_KEY", "DB_USER")
    assert dotenv_values(project / ".env.ci") == {"API_KEY": SECRET, "DB_USER": "app"}
    assert wrapped(project) == [{"provider": "envfile", "keys": ["API_KEY", "DB_USER"]}]


def test_config_path_uses_that_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no stagecraft.yml here or above
    stagecraft.sync("", "", config=project / "stagecraft.yml")
    assert dotenv_values(project / ".env.ci")["DB_USER"] == "app"
    assert len(wrapped(project)) == 1


def test_config_false_uses_none(project: Path) -> None:
    with pytest.raises(stagecraft.UserError) as raised:
        stagecraft.sync("", "", config=False)  # no secrets.from/to, no provider
    assert raised.value.exit_code == 1
    stagecraft.sync(".env.local", "envfile:.env.other", config=False)
    assert dotenv_values(project / ".env.other")["API_KEY"] == SECRET
    assert wrapped(project) == []  # plugins.dirs was not read


def test_dry_run_writes_nothing(project: Path) -> None:
    result = stagecraft.sync(".env.local", "envfile:.env.staging", dry_run=True)
    assert result.added == ("API_KEY", "DB_USER")
    assert not (project / ".env.staging").exists()


def test_prune_removes_what_the_source_lacks(project: Path) -> None:
    (project / ".env.staging").write_text("OLD=1\nDB_USER=x\n", encoding="utf-8")
    result = stagecraft.sync(".env.local", "envfile:.env.staging", prune=True)
    assert (result.removed, result.updated) == (("OLD",), ("DB_USER",))
    assert dotenv_values(project / ".env.staging") == {"DB_USER": "app", "API_KEY": SECRET}


def test_errors_are_the_documented_ones(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(stagecraft.UserError, match=r"not-there\.env"):
        stagecraft.sync("not-there.env", "envfile:.env.staging")
    with pytest.raises(UnknownStoreError, match="'valt' is not a store id"):
        stagecraft.sync(".env.local", "valt:secret/app")
    with pytest.raises(stagecraft.UserError, match="standard output cannot be a target"):
        stagecraft.sync(".env.local", "-")
    with pytest.raises(stagecraft.MissingKeysError) as missing:
        stagecraft.sync(".env.local", "envfile:.env.staging", ["NOPE"])
    assert missing.value.exit_code == 1
    assert not (project / ".env.staging").exists()
    assert capsys.readouterr() == ("", "")


def test_a_plugins_error_is_masked(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("API_TEST_LEAK", "plain")
    with pytest.raises(stagecraft.ProviderError) as raised:
        stagecraft.sync(".env.local", "envfile:.env.staging")
    assert SECRET not in str(raised.value)
    assert "audit refused the value" in str(raised.value)
    assert raised.value.exit_code == 2
    assert capsys.readouterr() == ("", "")


def test_a_partial_failure_is_masked(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TEST_LEAK", "partial")
    with pytest.raises(stagecraft.PartialSyncError) as raised:
        stagecraft.sync(".env.local", "envfile:.env.staging")
    error = raised.value
    assert SECRET not in str(error)
    assert SECRET not in repr(error.failed)
    assert list(error.failed) == ["API_KEY"]
    assert error.result.added == ("API_KEY", "DB_USER")
    assert error.exit_code == 2


def test_the_command_and_the_api_agree(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["secrets", "sync", "--from", ".env.local", "--to", "envfile:.env.a", "--json"])
    shown = json.loads(capsys.readouterr().out)
    result = stagecraft.sync(".env.local", "envfile:.env.b")
    assert code == 0
    assert [change["key"] for change in shown["changes"]] == [c.key for c in result.changes]
    assert shown["source"] == result.source
    assert dotenv_values(project / ".env.a") == dotenv_values(project / ".env.b")


def test_read_env_files_and_stores(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stagecraft.read(".env.local") == {"API_KEY": SECRET, "DB_USER": "app"}
    assert stagecraft.read("envfile:.env.local", ["DB_USER", "ABSENT"]) == {"DB_USER": "app"}
    assert stagecraft.read(".env.local", "API_KEY") == {"API_KEY": SECRET}
    assert capsys.readouterr() == ("", "")


def test_read_errors(project: Path) -> None:
    with pytest.raises(stagecraft.UserError, match=r"missing\.env"):
        stagecraft.read("missing.env")
    with pytest.raises(stagecraft.UserError, match="write-only"):
        stagecraft.read("github:octo/repo")
    with pytest.raises(stagecraft.UserError, match="no location"):
        stagecraft.read("")
