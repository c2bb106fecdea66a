"""Declared keys guard every sync: a sync naming no keys copies the declared ones only, and a
declared key required where it writes but missing from the source refuses the sync before
anything is written.  This is what stops a wrong or empty source from emptying a target.

Through the real command in process (the envfile store from its entry point) and the
Python API; env files are read back with python-dotenv.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dotenv import dotenv_values

import stagecraft
from stagecraft.errors import MissingDeclaredKeysError
from tests.inprocess import isolate, run_command

SECRET = "guard-canary-value-7Qx"
PROD = f"DATABASE_URL=postgres://{SECRET}-prod\nSTRIPE_KEY=sk_{SECRET}\nLEGACY=old-{SECRET}\n"

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.dev
    prod: envfile:.env.prod
  keys:
    DATABASE_URL: {required: true}
    STRIPE_KEY: {required: [prod]}
    SENTRY_DSN: {required: false}
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(monkeypatch, tmp_path / "state")
    (tmp_path / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / ".env.dev").write_text(
        f"DATABASE_URL=postgres://{SECRET}-dev\nSTRIPE_KEY=sk_{SECRET}-dev\n"
        f"STRAY=stray-{SECRET}\n", encoding="utf-8")
    (tmp_path / ".env.prod").write_text(PROD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_command(capsys, *argv, never_shown=SECRET)


@pytest.mark.parametrize("mode", [[], ["--dry-run"], ["--check"], ["--force"]])
@pytest.mark.parametrize("source", ["empty", "wrong"])
def test_an_empty_or_wrong_source_cannot_empty_a_target(
    root: Path, capsys: pytest.CaptureFixture[str], mode: list[str], source: str
) -> None:
    """--prune from an empty file, or from a file of other keys, against prod: refused
    (exit 1, naming the keys and the source), prod unchanged byte for byte."""
    text = "" if source == "empty" else f"OTHER_APP_TOKEN={SECRET}\n"
    (root / f"{source}.env").write_text(text, encoding="utf-8")
    before = (root / ".env.prod").read_bytes()
    code, out, err = run(capsys, "secrets", "sync", "--from", f"{source}.env",
                         "--to", "envfile:.env.prod", "--prune", *mode)
    assert code == 1, err
    assert f"{root / (source + '.env')}: missing declared key(s) required in prod: " \
           "DATABASE_URL, STRIPE_KEY; nothing was written" in err
    assert (root / ".env.prod").read_bytes() == before
    assert out == ""


@pytest.mark.parametrize("mode", [[], ["--dry-run"], ["--prune"]])
def test_a_template_with_empty_values_cannot_blank_a_target(
    root: Path, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    """The project's .env.example as the source: every required key is there, empty.
    Copied, it would blank prod's secrets; it is refused like a source lacking them."""
    (root / ".env.example").write_text("# Postgres\nDATABASE_URL=\nSTRIPE_KEY=\nSENTRY_DSN=\n",
                                       encoding="utf-8")
    before = (root / ".env.prod").read_bytes()
    code, out, err = run(capsys, "secrets", "sync", "--from", ".env.example", "--to", "prod",
                         *mode)
    assert code == 1, err
    assert "missing declared key(s) required in prod: DATABASE_URL, STRIPE_KEY (empty in the " \
           "source: DATABASE_URL, STRIPE_KEY); nothing was written" in err
    assert (root / ".env.prod").read_bytes() == before
    assert out == ""
    # An optional key may be empty, and a required one with a value passes.
    (root / "filled.env").write_text("DATABASE_URL=postgres://x\nSTRIPE_KEY=sk\nSENTRY_DSN=\n",
                                     encoding="utf-8")
    code, _, err = run(capsys, "secrets", "sync", "--from", "filled.env", "--to", "prod",
                       "--dry-run")
    assert code == 0, err


def test_allow_empty_source_does_not_lift_the_guard(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "empty.env").write_text("", encoding="utf-8")
    before = (root / ".env.prod").read_bytes()
    code, _, err = run(capsys, "secrets", "sync", "--from", "empty.env", "--to",
                       "envfile:.env.prod", "--prune", "--allow-empty-source")
    assert code == 1
    assert "missing declared key(s)" in err
    assert (root / ".env.prod").read_bytes() == before


def test_a_sync_naming_no_keys_copies_the_declared_keys_only(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dev's STRAY is not declared: it does not spread; with --prune, prod's undeclared
    LEGACY stays (outside the selection), and the declared optional key is copied."""
    code, out, err = run(capsys, "secrets", "sync", "--from", ".env.dev",
                         "--to", "envfile:.env.prod", "--prune")
    assert code == 0, err
    assert out.splitlines() == ["~ DATABASE_URL", "~ STRIPE_KEY"]
    assert dotenv_values(root / ".env.prod") == {
        "DATABASE_URL": f"postgres://{SECRET}-dev", "STRIPE_KEY": f"sk_{SECRET}-dev",
        "LEGACY": f"old-{SECRET}"}


def test_prune_removes_a_declared_optional_key_the_source_lacks(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / ".env.prod").write_text(PROD + "SENTRY_DSN=https://sentry\n", encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "--from", ".env.dev",
                         "--to", "envfile:.env.prod", "--prune")
    assert code == 0, err
    assert "- SENTRY_DSN" in out.splitlines()
    values = dotenv_values(root / ".env.prod")
    assert "SENTRY_DSN" not in values
    assert values["LEGACY"] == f"old-{SECRET}"


def test_keys_given_select_as_before_and_guard_only_what_they_select(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """KEYS name what to copy (undeclared STRAY too); a declared key they leave out is not
    required of this sync."""
    (root / "partial.env").write_text(f"STRAY=s-{SECRET}\nSENTRY_DSN=d\n", encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "--from", "partial.env",
                         "--to", "envfile:.env.prod", "STRAY", "SENTRY_DSN")
    assert code == 0, err
    assert sorted(out.splitlines()) == ["+ SENTRY_DSN", "+ STRAY"]
    code, _, err = run(capsys, "secrets", "sync", "--from", "partial.env",
                       "--to", "envfile:.env.prod", "STRAY", "DATABASE_URL")
    assert code == 1
    assert "missing declared key(s) required in prod: DATABASE_URL" in err


def test_a_target_that_is_no_environment_requires_the_keys_required_everywhere(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """STRIPE_KEY is required in prod only: not of a plain file; DATABASE_URL
    (required: true) is required of every target."""
    (root / "no-stripe.env").write_text("DATABASE_URL=x\n", encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "--from", "no-stripe.env",
                         "--to", "envfile:.env.ci")
    assert code == 0, err
    assert out.splitlines() == ["+ DATABASE_URL"]
    assert dotenv_values(root / ".env.ci") == {"DATABASE_URL": "x"}
    (root / "none.env").write_text("STRIPE_KEY=y\n", encoding="utf-8")
    code, _, err = run(capsys, "secrets", "sync", "--from", "none.env",
                       "--to", "envfile:.env.ci")
    assert code == 1
    assert "missing declared key(s) required everywhere: DATABASE_URL" in err
    assert dotenv_values(root / ".env.ci") == {"DATABASE_URL": "x"}


@pytest.mark.parametrize("target", ["envfile:.env.prod", "envfile:./sub/../.env.prod",
                                    "{root}/.env.prod"])
def test_the_target_written_as_the_environment_location_is_that_environment(
    root: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """The same file, however written (relative, roundabout, absolute under the envfile
    provider of stagecraft.yml), is the prod environment."""
    (root / "stagecraft.yml").write_text(MANIFEST + "  provider: envfile\n", encoding="utf-8")
    (root / "no-stripe.env").write_text("DATABASE_URL=x\n", encoding="utf-8")
    (root / "sub").mkdir()
    before = (root / ".env.prod").read_bytes()
    code, _, err = run(capsys, "secrets", "sync", "--from", "no-stripe.env",
                       "--to", target.format(root=root))
    assert code == 1
    assert "required in prod: STRIPE_KEY" in err
    assert (root / ".env.prod").read_bytes() == before


def test_json_reports_the_refusal(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "empty.env").write_text("", encoding="utf-8")
    code, out, _ = run(capsys, "secrets", "sync", "--from", "empty.env",
                       "--to", "envfile:.env.prod", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["error"]["exit_code"] == 1
    assert "DATABASE_URL, STRIPE_KEY" in report["error"]["message"]


def test_the_python_api_is_guarded_too(root: Path) -> None:
    (root / "empty.env").write_text("", encoding="utf-8")
    before = (root / ".env.prod").read_bytes()
    with pytest.raises(MissingDeclaredKeysError) as caught:
        stagecraft.sync("empty.env", "envfile:.env.prod", prune=True)
    assert caught.value.keys == ("DATABASE_URL", "STRIPE_KEY")
    assert caught.value.environment == "prod"
    assert (root / ".env.prod").read_bytes() == before
    result = stagecraft.sync(".env.dev", "envfile:.env.prod")
    assert [change.key for change in result.changes] == ["DATABASE_URL", "STRIPE_KEY"]


def test_without_declared_keys_nothing_changes(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "stagecraft.yml").write_text("secrets: {}\n", encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "--from", ".env.dev",
                         "--to", "envfile:.env.prod", "--dry-run")
    assert code == 0, err
    assert "+ STRAY" in out.splitlines()
