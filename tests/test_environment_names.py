"""Environment names wherever a location is taken: ``--from``/``--to``, ``secrets.from``/``.to``
and the Python API, over real env files (read back with python-dotenv), worked on from a
subdirectory so that an environment's relative paths must be the config directory's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dotenv
import pytest
from test_secrets_list_check import SECRET, run  # the command in-process; no value shown

import stagecraft
from stagecraft.api import PreparedSync, ProjectOptions, open_sync_run, prepare_in
from stagecraft.errors import UserError

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.dev
    staging: envfile:deploy/.env.staging
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dev holds two keys; staging (under deploy/) does not exist yet; the work is done from
    src/, a subdirectory."""
    for name in list(os.environ):
        if name.startswith("STAGECRAFT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "envfile")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    root = tmp_path / "project"
    (root / "deploy").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    (root / ".env.dev").write_text(f"API_KEY={SECRET}\nDB_URL=postgres://db/app\n",
                                   encoding="utf-8")
    monkeypatch.chdir(root / "src")
    return root


def test_sync_between_environments_from_a_subdirectory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "secrets", "sync", "--from", "dev", "--to", "staging", "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "provider": "envfile",
        "source": f"envfile:{project / '.env.dev'}",
        "target": str(project / "deploy" / ".env.staging"),
        "source_environment": "dev",
        "target_environment": "staging",
        "dry_run": False,
        "changes": [{"key": "API_KEY", "action": "added"}, {"key": "DB_URL", "action": "added"}],
    }
    assert dotenv.dotenv_values(project / "deploy" / ".env.staging") == {
        "API_KEY": SECRET, "DB_URL": "postgres://db/app"}
    assert not (project / "src" / "deploy").exists()  # nothing relative to the working dir


def test_a_sync_by_locations_keeps_its_json_shape(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "secrets", "sync", "--from", "../.env.dev", "--to",
                         "envfile:copy.env", "--json")
    assert code == 0, err
    assert set(json.loads(out)) == {"provider", "source", "target", "dry_run", "changes"}


def test_secrets_from_and_to_name_environments(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "stagecraft.yml").write_text(MANIFEST + "  from: dev\n  to: staging\n",
                                            encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "API_KEY")
    assert (code, out) == (0, "+ API_KEY\n"), err
    assert dotenv.dotenv_values(project / "deploy" / ".env.staging") == {"API_KEY": SECRET}


def test_an_environment_wins_over_a_file_of_the_same_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "src" / "dev").write_text("DECOY=1\n", encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "--from", "dev", "--to", "envfile:out.env")
    assert (code, out) == (0, "+ API_KEY\n+ DB_URL\n"), err
    # ./dev and envfile:dev always mean the file.
    for spelled in ("./dev", "envfile:dev"):
        code, out, err = run(capsys, "secrets", "sync", "--from", spelled, "--to",
                             "envfile:decoy.env")
        assert code == 0, err
        assert dotenv.dotenv_values(project / "src" / "decoy.env") == {"DECOY": "1"}


def test_a_target_file_named_like_an_environment_is_written_with_dot_slash(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "secrets", "sync", "--from", "dev", "--to", "envfile:./staging",
                       "DB_URL")
    assert code == 0, err
    assert dotenv.dotenv_values(project / "src" / "staging") == {"DB_URL": "postgres://db/app"}
    assert not (project / "deploy" / ".env.staging").exists()


@pytest.mark.parametrize(
    ("argv", "word", "suggestion"),
    [
        (["--from", "stagign", "--to", "envfile:out.env"], "stagign", "staging"),
        (["--from", "dev", "--to", "stagin", "--provider", "envfile"], "stagin", "staging"),
        (["--from", "dev", "--to", "stagin"], "stagin", "staging"),  # no provider chosen either
        (["--from", "envfil", "--to", "envfile:out.env"], "envfil", "envfile"),  # a store id
    ],
)
def test_a_word_naming_nothing_gets_a_suggestion_and_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], word: str,
    suggestion: str,
) -> None:
    before = sorted(path.name for path in project.rglob("*"))
    code, out, err = run(capsys, "secrets", "sync", *argv)
    assert (code, out) == (1, "")
    assert err == (f"stagecraft: error: {word}: no such environment or file (did you mean "
                   f"{suggestion!r}?); for a file of that name, write ./{word}\n")
    assert sorted(path.name for path in project.rglob("*")) == before


def test_an_unknown_word_in_json_mode_is_one_error_object(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "secrets", "sync", "--from", "dve", "--to", "staging", "--json")
    assert code == 1
    assert "did you mean 'dev'?" in json.loads(out)["error"]["message"]


@pytest.mark.parametrize(
    ("source", "missing"),
    [("zzzzzz", "{project}/src/zzzzzz: env file not found"),  # unlike any name: a file
     ("staging", "envfile:{project}/deploy/.env.staging: the source does not exist")],
)
def test_a_missing_source_file_is_named_by_its_path(
    project: Path, capsys: pytest.CaptureFixture[str], source: str, missing: str
) -> None:
    code, _, err = run(capsys, "secrets", "sync", "--from", source, "--to", "dev")
    assert code == 1
    assert missing.format(project=project) in err
    assert "did you mean" not in err
    assert dotenv.dotenv_values(project / ".env.dev")["API_KEY"] == SECRET  # untouched


def test_a_failed_sync_names_the_environments_in_its_json(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "secrets", "sync", "--from", "staging", "--to", "dev", "--json")
    report = json.loads(out)
    assert code == 1
    assert (report["source_environment"], report["target_environment"]) == ("staging", "dev")
    assert "the source does not exist" in report["error"]["message"]


def test_a_prepared_sync_exposes_the_environments(project: Path) -> None:
    prepared = _prepared(project, source="dev", target="staging")
    assert (prepared.source_environment, prepared.target_environment) == ("dev", "staging")
    assert prepared.options.source == f"envfile:{project / '.env.dev'}"
    assert prepared.options.target == str(project / "deploy" / ".env.staging")
    by_path = _prepared(project, source="../.env.dev",
                           target="envfile:x.env")
    assert (by_path.source_environment, by_path.target_environment) == (None, None)


def test_the_api_by_name(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = stagecraft.sync("dev", "staging", ["DB_URL"])
    assert result.added == ("DB_URL",)
    assert stagecraft.read("staging") == {"DB_URL": "postgres://db/app"}
    assert stagecraft.read("dev", ["API_KEY"]) == {"API_KEY": SECRET}
    with pytest.raises(UserError) as raised:
        stagecraft.read("stagign")
    assert "stagign: no such environment or file (did you mean 'staging'?)" in str(raised.value)
    with pytest.raises(UserError, match="did you mean 'dev'"):
        stagecraft.sync("dve", "staging")
    assert capsys.readouterr() == ("", "")


def test_without_a_config_a_word_is_a_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "src" / "dev").write_text("FROM_FILE=1\n", encoding="utf-8")
    assert stagecraft.read("dev", config=False) == {"FROM_FILE": "1"}


def _prepared(project: Path, **request: str) -> PreparedSync:
    """The sync ``secrets sync`` would run from ``project/src``, prepared and not run."""
    return prepare_in(open_sync_run(ProjectOptions(project / "src")), **request)
