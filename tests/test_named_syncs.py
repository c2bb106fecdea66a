"""``stagecraft secrets sync`` over named syncs (``secrets.syncs``), between env files.

The real command in process (the envfile store from its entry point); what the
syncs wrote is read back with python-dotenv.  The stores of other kinds, run
concurrently with one failing, are in ``test_named_syncs_stores.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dotenv import dotenv_values

import stagecraft
from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER_ERROR,
    EXIT_USER_ERROR,
    MissingDeclaredKeysError,
)
from stagecraft.exit_order import worst_exit
from tests.inprocess import isolate, run_command

SECRET = "named-canary-9Jw"

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.dev
    staging: envfile:.env.staging
    prod: envfile:.env.prod
    ci: envfile:ci/.env.ci
  keys:
    DATABASE_URL: {required: true}
    STRIPE_KEY: {required: [prod]}
    SENTRY_DSN: {required: false}
  syncs:
    promote:
      from: dev
      to: staging
    ci-from-dev:
      from: dev
      to: ci
      keys: ["*"]
      exclude: ["LOCAL_*"]
    ci-overrides:
      from: ./overrides.env
      to: ci
      keys: [DATABASE_URL]
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Worked on from a subdirectory: paths in stagecraft.yml are relative to it."""
    isolate(monkeypatch, tmp_path / "state")
    (tmp_path / "ci").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / ".env.dev").write_text(
        f"DATABASE_URL=postgres://dev-{SECRET}\nSTRIPE_KEY=sk-{SECRET}\nLOCAL_DEBUG=1\n"
        f"STRAY=s-{SECRET}\n", encoding="utf-8")
    (tmp_path / ".env.staging").write_text(f"DATABASE_URL=postgres://old-{SECRET}\n",
                                           encoding="utf-8")
    (tmp_path / "overrides.env").write_text(f"DATABASE_URL=postgres://ci-{SECRET}\n",
                                            encoding="utf-8")
    monkeypatch.chdir(tmp_path / "src")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_command(capsys, *argv, never_shown=SECRET)


def test_every_named_sync_runs_with_a_section_each_and_a_total(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "secrets", "sync")
    assert code == EXIT_OK, err
    assert out.splitlines() == [
        "== promote: dev (envfile:.env.dev) -> staging (envfile:.env.staging)",
        "~ DATABASE_URL", "+ STRIPE_KEY",
        "== ci-from-dev: dev (envfile:.env.dev) -> ci (envfile:ci/.env.ci)",
        "+ DATABASE_URL", "+ STRIPE_KEY", "+ STRAY",
        "== ci-overrides: ./overrides.env -> ci (envfile:ci/.env.ci)",
        "~ DATABASE_URL",
    ]
    assert "stagecraft: promote: envfile: 1 added, 1 updated, 0 unchanged, 0 removed" in err
    assert err.splitlines()[-1] == "stagecraft: 3 named sync(s): 3 ok"
    # promote copies the declared keys only; ci-from-dev its own keys minus LOCAL_*
    assert dotenv_values(root / ".env.staging") == {
        "DATABASE_URL": f"postgres://dev-{SECRET}", "STRIPE_KEY": f"sk-{SECRET}"}
    # ci-overrides runs after ci-from-dev (same target, file order): its value wins
    assert dotenv_values(root / "ci" / ".env.ci") == {
        "DATABASE_URL": f"postgres://ci-{SECRET}", "STRIPE_KEY": f"sk-{SECRET}",
        "STRAY": f"s-{SECRET}"}


def test_two_syncs_on_one_target_run_in_file_order_every_time(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Swapped in the file, the other one wins: the order is the file's, not chance."""
    for _ in range(3):
        (root / "ci" / ".env.ci").unlink(missing_ok=True)
        assert run(capsys, "secrets", "sync", "--no-record")[0] == EXIT_OK
        assert dotenv_values(root / "ci" / ".env.ci")["DATABASE_URL"] == f"postgres://ci-{SECRET}"
    first, second = MANIFEST.index("    ci-from-dev:"), MANIFEST.index("    ci-overrides:")
    swapped = MANIFEST[:first] + MANIFEST[second:] + MANIFEST[first:second]
    (root / "stagecraft.yml").write_text(swapped, encoding="utf-8")
    (root / "ci" / ".env.ci").unlink()
    code, out, err = run(capsys, "secrets", "sync", "--no-record")
    assert code == EXIT_OK, err
    assert out.index("== ci-overrides") < out.index("== ci-from-dev")
    assert dotenv_values(root / "ci" / ".env.ci")["DATABASE_URL"] == f"postgres://dev-{SECRET}"


@pytest.mark.parametrize("staging", ["staging", "./.env.staging", "envfile:src/../.env.staging"])
def test_a_sync_reading_what_another_writes_runs_after_it(
    root: Path, capsys: pytest.CaptureFixture[str], staging: str
) -> None:
    """However the file is written, release reads staging once promote has written it."""
    (root / "stagecraft.yml").write_text(MANIFEST + f"""\
    release:
      from: {staging}
      to: prod
""", encoding="utf-8")
    code, _, err = run(capsys, "secrets", "sync", "--only", "promote", "--only", "release")
    assert code == EXIT_OK, err
    assert dotenv_values(root / ".env.prod") == {
        "DATABASE_URL": f"postgres://dev-{SECRET}", "STRIPE_KEY": f"sk-{SECRET}"}


def test_only_runs_the_syncs_named(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "secrets", "sync", "--only", "promote")
    assert code == EXIT_OK, err
    assert [line for line in out.splitlines() if line.startswith("==")] == [
        "== promote: dev (envfile:.env.dev) -> staging (envfile:.env.staging)"]
    assert not (root / "ci" / ".env.ci").exists()
    assert err.splitlines()[-1] == "stagecraft: 1 named sync(s): 1 ok"


def test_an_unknown_only_name_is_a_user_error_with_a_hint(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (root / ".env.staging").read_bytes()
    code, out, err = run(capsys, "secrets", "sync", "--only", "promte", "--only", "promote")
    assert code == EXIT_USER_ERROR
    assert out == ""
    assert err == ("stagecraft: error: --only promte: no such sync (did you mean 'promote'?) "
                   "(syncs: promote, ci-from-dev, ci-overrides)\n")
    assert (root / ".env.staging").read_bytes() == before


def test_only_with_from_or_without_syncs_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "secrets", "sync", "--only", "promote", "--from", "../.env.dev")
    assert code == EXIT_USER_ERROR
    assert "--only picks named syncs" in err
    (root / "stagecraft.yml").write_text("secrets: {}\n", encoding="utf-8")
    code, _, err = run(capsys, "secrets", "sync", "--only", "promote")
    assert code == EXIT_USER_ERROR
    assert "--only: no named syncs (secrets.syncs)" in err


def test_from_and_to_still_run_one_sync(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "secrets", "sync", "--from", "../.env.dev",
                         "--to", "envfile:../.env.staging", "--dry-run")
    assert code == EXIT_OK, err
    assert "==" not in out
    assert out.splitlines() == ["~ DATABASE_URL", "+ STRIPE_KEY"]


def test_keys_narrow_every_sync(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "secrets", "sync", "STRIPE_*", "--dry-run")
    assert code == EXIT_OK, err
    assert [line for line in out.splitlines() if not line.startswith("==")] == [
        "+ STRIPE_KEY", "+ STRIPE_KEY"]
    assert "ci-overrides: envfile: 0 added" in err
    code, _, err = run(capsys, "secrets", "sync", "NOPE_*", "--dry-run")
    assert code == EXIT_OK
    assert "KEY|PATTERN matched no key in any sync: NOPE_*" in err


def test_json_gives_a_report_per_sync(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "secrets", "sync", "--json", "--dry-run")
    assert code == EXIT_OK, err
    report = json.loads(out)
    assert [sync["name"] for sync in report["syncs"]] == ["promote", "ci-from-dev",
                                                          "ci-overrides"]
    promote = report["syncs"][0]
    assert promote == {
        "name": "promote", "provider": "envfile", "dry_run": True,
        "source": f"envfile:{root / '.env.dev'}", "target": str(root / ".env.staging"),
        "source_environment": "dev", "target_environment": "staging",
        "changes": [{"key": "DATABASE_URL", "action": "updated"},
                    {"key": "STRIPE_KEY", "action": "added"}],
    }


def test_check_exits_4_on_drift_and_writes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (root / ".env.staging").read_bytes()
    code, out, err = run(capsys, "secrets", "sync", "--check", "--json")
    assert code == EXIT_DRIFT
    assert (root / ".env.staging").read_bytes() == before
    assert not (root / "ci" / ".env.ci").exists()
    assert {change["action"] for change in json.loads(out)["syncs"][0]["changes"]} == {
        "updated", "added"}
    assert "promote: check failed: the target is out of sync" in err
    assert run(capsys, "secrets", "sync")[0] == EXIT_OK
    code, _, err = run(capsys, "secrets", "sync", "--check")
    # ci-from-dev would undo ci-overrides' DATABASE_URL: two syncs writing one key of a
    # target never both check clean
    assert code == EXIT_DRIFT
    assert "ci-from-dev: check failed" in err
    assert "ci-overrides: check failed" not in err
    code, _, err = run(capsys, "secrets", "sync", "--check", "--only", "promote")
    assert code == EXIT_OK, err
    assert err.splitlines()[-1] == "stagecraft: 1 named sync(s): 1 ok"


def test_a_failing_sync_stops_no_other_and_sets_the_exit_status(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dev lacks DATABASE_URL, declared and required everywhere: promote and ci-from-dev are
    refused (exit 1, nothing written); ci-overrides still runs, though the sync before it on
    the same target failed."""
    (root / ".env.dev").write_text(f"STRIPE_KEY=sk-{SECRET}\n", encoding="utf-8")
    before = (root / ".env.staging").read_bytes()
    code, out, err = run(capsys, "secrets", "sync", "--json")
    assert code == EXIT_USER_ERROR
    assert (root / ".env.staging").read_bytes() == before
    report = {sync["name"]: sync for sync in json.loads(out)["syncs"]}
    assert report["promote"]["error"]["exit_code"] == EXIT_USER_ERROR
    assert "missing declared key(s) required in staging: DATABASE_URL" in (
        report["promote"]["error"]["message"])
    assert "required in ci: DATABASE_URL" in report["ci-from-dev"]["error"]["message"]
    assert report["promote"]["changes"] == []
    assert "error" not in report["ci-overrides"]
    assert dotenv_values(root / "ci" / ".env.ci") == {"DATABASE_URL": f"postgres://ci-{SECRET}"}
    assert "stagecraft: error: promote: " in err
    assert err.splitlines()[-1] == "stagecraft: 3 named sync(s): 1 ok, 2 failed"


def test_a_failure_beats_drift(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "overrides.env").write_text("OTHER=1\n", encoding="utf-8")  # DATABASE_URL missing
    code, _, err = run(capsys, "secrets", "sync", "--check")
    assert code == EXIT_USER_ERROR
    assert "promote: check failed" in err
    assert "ci-overrides: " in err
    assert "missing declared key(s) required in ci: DATABASE_URL" in err
    assert err.splitlines()[-1] == "stagecraft: 3 named sync(s): 0 ok, 2 out of sync, 1 failed"


@pytest.mark.parametrize(("codes", "worst"), [
    ([], EXIT_OK),
    ([EXIT_OK, EXIT_DRIFT], EXIT_DRIFT),
    ([EXIT_DRIFT, EXIT_USER_ERROR, EXIT_OK], EXIT_USER_ERROR),
    ([EXIT_USER_ERROR, EXIT_PROVIDER_ERROR], EXIT_PROVIDER_ERROR),
    ([EXIT_PROVIDER_ERROR, EXIT_INTERNAL_ERROR, EXIT_USER_ERROR], EXIT_INTERNAL_ERROR),
    ([EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, EXIT_DRIFT], EXIT_INTERRUPTED),
    ([EXIT_USER_ERROR, 127], 127),  # a status of a plugin's own ranks with 2
])
def test_the_worst_exit_status_wins(codes: list[int], worst: int) -> None:
    assert worst_exit(codes) == worst


def test_sync_all_runs_them_from_python(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = stagecraft.sync_all(only=["promote", "ci-from-dev"], dry_run=True)
    assert [(result.name, result.ok) for result in results] == [("promote", True),
                                                                ("ci-from-dev", True)]
    assert results[0].result is not None
    assert results[0].result.added == ("STRIPE_KEY",)
    assert results[0].target == f"envfile:{root / '.env.staging'}"
    assert capsys.readouterr() == ("", "")
    assert not (root / "ci" / ".env.ci").exists()
    (root / ".env.dev").write_text(f"STRIPE_KEY=sk-{SECRET}\n", encoding="utf-8")
    failed, _, overrides = stagecraft.sync_all(["ci-overrides", "promote", "ci-from-dev"])
    assert isinstance(failed.error, MissingDeclaredKeysError)
    assert failed.error.keys == ("DATABASE_URL",)
    assert overrides.ok
    with pytest.raises(stagecraft.UserError, match="--only nope: no such sync"):
        stagecraft.sync_all("nope")
