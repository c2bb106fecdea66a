"""``stagecraft run`` as a command: where the secrets come from, which ones, and the refusals.

Every test runs the installed console script in a project of its own, with a
real COMMAND (this interpreter, or ``sh``) that reports the environment it
saw or leaves a file behind, so "nothing was started" is proved by the file
that is not there.  The process side (exit statuses, signals, terminals,
``--mask``) is in ``test_run_process.py`` and ``test_run_mask.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from stagecraft.testing.fixtures import RunStagecraft
from tests.run_helpers import SECRETS, base_env, python, stagecraft_run, write_source

pytest_plugins = ["stagecraft.testing"]

#: COMMAND: writes the environment it saw, as JSON, to the file named by its argument.
DUMP_ENV = "import json, os, sys; open(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))"

DEV = {"DATABASE_URL": "canary-dev-db-url", "SENTRY_DSN": "canary-dev-sentry",
       "LOCAL_DEBUG": "canary-dev-debug"}
STAGING = {"DATABASE_URL": "canary-staging-db-url", "SENTRY_DSN": "canary-staging-sentry"}
EVERY_VALUE = [*DEV.values(), *STAGING.values(), *SECRETS.values()]

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.dev
    staging: envfile:config/.env.staging
  keys:
    DATABASE_URL:
      description: Postgres connection string
    STRIPE_API_KEY:
      required: [staging]
    SENTRY_DSN: {required: false}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """dev holds the declared keys it needs and one undeclared; staging lacks STRIPE_API_KEY."""
    write_source(tmp_path, DEV, ".env.dev")
    (tmp_path / "config").mkdir()
    write_source(tmp_path / "config", STAGING, ".env.staging")
    (tmp_path / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def stagecraft(cwd: Path, options: list[str], command: list[str],
               **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(stagecraft_run(options, command), cwd=cwd, env=base_env(**env),
                          capture_output=True, text=True, timeout=120, check=False)


def seen_by(cwd: Path, options: list[str], **env: str) -> dict[str, str]:
    """The environment COMMAND saw when run with ``options``."""
    seen = cwd / "seen.json"
    done = stagecraft(cwd, options, python(DUMP_ENV, str(seen)), **env)
    assert done.returncode == 0, done.stderr
    assert_no_value(done)
    environ: dict[str, str] = json.loads(seen.read_text())
    seen.unlink()
    return environ


def assert_no_value(done: subprocess.CompletedProcess[str]) -> None:
    """Stagecraft's own output holds no value (COMMAND printed nothing here)."""
    for value in EVERY_VALUE:
        for line in value.splitlines():
            assert line not in done.stdout + done.stderr


def test_env_gives_the_declared_keys_present_there_over_inherited_ones(project: Path) -> None:
    environ = seen_by(project, ["--env", "dev"], DATABASE_URL="inherited", KEEP="kept")
    assert environ["DATABASE_URL"] == DEV["DATABASE_URL"]  # the secret wins
    assert environ["SENTRY_DSN"] == DEV["SENTRY_DSN"]
    assert "LOCAL_DEBUG" not in environ  # not declared: not given
    assert environ["KEEP"] == "kept"


def test_keys_and_exclude_narrow_the_selection(project: Path) -> None:
    environ = seen_by(project, ["--env", "dev", "DATABASE_URL"])
    assert environ["DATABASE_URL"] == DEV["DATABASE_URL"]
    assert "SENTRY_DSN" not in environ
    environ = seen_by(project, ["--env", "dev", "--exclude", "SENTRY_*"])
    assert environ["DATABASE_URL"] == DEV["DATABASE_URL"]
    assert "SENTRY_DSN" not in environ


def test_from_takes_an_environment_name_or_a_file(project: Path) -> None:
    assert seen_by(project, ["--from", "dev"])["DATABASE_URL"] == DEV["DATABASE_URL"]
    # A file that is no environment's: only the keys required everywhere are checked,
    # and the declared keys present are given.
    (project / "other.env").write_text("DATABASE_URL=canary-other-db-url\n", encoding="utf-8")
    environ = seen_by(project, ["--from", "other.env"])
    assert environ["DATABASE_URL"] == "canary-other-db-url"


@pytest.mark.parametrize("word", ["config/.env.staging", "./config/.env.staging",
                                  "envfile:config/.env.staging"])
def test_an_environments_file_named_by_path_is_that_environment(
    project: Path, word: str
) -> None:
    """staging's file, however it is written, requires what staging requires: refused."""
    done = stagecraft(project, ["--from", word], TOUCH)
    assert done.returncode == 1, done.stderr
    assert "missing declared key(s) required in staging: STRIPE_API_KEY" in done.stderr
    assert not (project / "started").exists()
    assert_no_value(done)


def test_without_declared_keys_every_key_is_given(tmp_path: Path) -> None:
    source = write_source(tmp_path)
    environ = seen_by(tmp_path, ["--from", source.name])
    for key, value in SECRETS.items():
        assert environ[key] == value


def test_secrets_from_is_the_default_source_relative_to_the_config(project: Path) -> None:
    (project / "stagecraft.yml").write_text(
        MANIFEST.replace("secrets:\n", "secrets:\n  from: .env.dev\n"), encoding="utf-8")
    (project / "sub").mkdir()
    environ = seen_by(project / "sub", [])  # stagecraft.yml found in the parent
    assert environ["DATABASE_URL"] == DEV["DATABASE_URL"]
    (project / "stagecraft.yml").write_text(
        MANIFEST.replace("secrets:\n", "secrets:\n  from: dev\n"), encoding="utf-8")
    assert seen_by(project / "sub", [])["SENTRY_DSN"] == DEV["SENTRY_DSN"]


TOUCH = ["sh", "-c", 'echo "$DATABASE_URL" > started']


@pytest.mark.parametrize("mask", [False, True])
def test_missing_required_keys_refuse_the_run_before_anything_starts(
    project: Path, mask: bool
) -> None:
    done = stagecraft(project, ["--env", "staging", *(["--mask"] if mask else [])], TOUCH)
    assert done.returncode == 1
    assert done.stderr == (
        "stagecraft: error: envfile:config/.env.staging: missing declared key(s) required in "
        "staging: STRIPE_API_KEY; the command was not started\n"
    )
    assert done.stdout == ""
    assert not (project / "started").exists()
    assert_no_value(done)


def test_a_required_key_held_empty_refuses_the_run_too(project: Path) -> None:
    """An empty value is no secret: the app would start with a blank DATABASE_URL."""
    write_source(project, {**DEV, "DATABASE_URL": ""}, ".env.dev")
    done = stagecraft(project, ["--env", "dev"], TOUCH)
    assert done.returncode == 1
    assert done.stderr == (
        "stagecraft: error: envfile:.env.dev: missing declared key(s) required in dev: "
        "DATABASE_URL (empty in the source: DATABASE_URL); the command was not started\n"
    )
    assert not (project / "started").exists()
    assert_no_value(done)


@pytest.mark.parametrize(("options", "message"), [
    pytest.param(["--env", "stagign"], "--env stagign: not in secrets.environments "
                 "(did you mean 'staging'?); for a file or ID:LOCATION, use --from", id="env"),
    pytest.param(["--from", "no-such.env"], "...no-such.env: env file not found", id="file"),
    pytest.param(["--from", "envfile:no-such.env"], "envfile:no-such.env: the source does not "
                 "exist (no file ...); check the location (the command was not started)",
                 id="store-file"),
    pytest.param([], "no source to run with: pass --env NAME (an environment of "
                 "secrets.environments) or --from LOCATION, or set secrets.from in "
                 "stagecraft.yml", id="no-source"),
    pytest.param(["--from", "-"], "--from -: standard input is COMMAND's own, so it cannot "
                 "be the source; for a file named '-', write --from ./-", id="stdin"),
    pytest.param(["--from", "encore:production"], "encore:production: store 'encore' is "
                 "write-only and cannot be a source", id="write-only"),
    pytest.param(["--env", "dev", "NOPE"], "envfile:.env.dev: requested key not found: NOPE",
                 id="key-not-there"),
    pytest.param(["--from", "nosuch:place"], "nosuch:place: 'nosuch' is not a store id...",
                 id="unknown-store"),
])
def test_a_source_that_cannot_be_read_is_one_line_and_nothing_starts(
    project: Path, options: list[str], message: str
) -> None:
    done = stagecraft(project, options, TOUCH)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    head, _, tail = f"stagecraft: error: {message}".partition("...")
    assert lines[0].startswith(head)
    assert lines[0].endswith(tail)
    assert not (project / "started").exists()


def test_no_command_after_the_double_dash_is_a_user_error(project: Path) -> None:
    done = subprocess.run([*stagecraft_run(["--env", "dev"], [])[:-1]], cwd=project,
                          env=base_env(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1
    assert "no command to run: give it after --" in done.stderr


def test_words_after_the_double_dash_are_the_commands_own(project: Path) -> None:
    # --help, --mask, -v and a second -- belong to COMMAND, not to Stagecraft.
    code = "import sys; print(sys.argv[1:])"
    words = ["--help", "--mask", "-v", "--", "$DATABASE_URL", "--env", "x"]
    done = stagecraft(project, ["--env", "dev"], python(code, *words))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{words}\n"
    assert done.stderr == ""


def test_the_unmasked_output_is_exact_and_the_masked_one_hides_the_value(project: Path) -> None:
    show = ["sh", "-c", 'printf "%s|%s\\n" "$DATABASE_URL" "$NOT_SECRET"']
    plain = stagecraft(project, ["--env", "dev"], show, NOT_SECRET="visible")
    assert plain.stdout == f"{DEV['DATABASE_URL']}|visible\n"
    masked = stagecraft(project, ["--env", "dev", "--mask"], show, NOT_SECRET="visible")
    assert masked.stdout == "***|visible\n"
    assert plain.stderr == masked.stderr == ""


def test_verbose_stagecraft_says_nothing_of_the_values(project: Path) -> None:
    done = stagecraft(project, ["-v", "--env", "dev", "--mask"], ["true"])
    assert done.returncode == 0
    assert_no_value(done)


@pytest.mark.parametrize(("options", "message"), [
    (["--evn", "dev"], "unrecognized option --evn (did you mean '--env'?)"),
    (["--env", "dev", "--from", ".env.dev"], "argument --from: not allowed with argument --env"),
])
def test_usage_errors_name_the_word_and_start_nothing(
    project: Path, options: list[str], message: str
) -> None:
    done = stagecraft(project, options, TOUCH)
    assert done.returncode == 1
    assert f"stagecraft: error: {message} (see 'stagecraft run --help')" in done.stderr
    assert done.stderr.startswith("usage: stagecraft run")
    assert not (project / "started").exists()


def test_the_kit_runs_stagecraft_run_in_a_process_of_its_own(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    # In-process, `run` would replace the test's own process with COMMAND.
    done = run_stagecraft("run", "--env", "dev", "--", "sh", "-c", "echo $$; exit 5",
                          cwd=project)
    assert done.exit_code == 5
    assert int(done.stdout) != os.getpid()
