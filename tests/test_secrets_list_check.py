"""``secrets list`` and ``secrets check`` (and ``stagecraft.list_keys`` / ``stagecraft.check``)
over real env files and local plugins' stores: names only, never values; exit 0/4/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import stagecraft
from stagecraft.cli import main
from tests.inprocess import isolate, run_command

SECRET = "v4lue-canary-check-5521"

#: Two write-only stores: one lists its names (as GitHub's), one cannot (and so is never passed).
STORES = '''
import stagecraft


class Listing(stagecraft.SecretStore):
    id = "listing"
    readable = False
    lists_keys = True

    def write_one(self, ctx, location, key, value):
        raise NotImplementedError

    def prunable_keys(self, ctx, location, keys):
        return [name for name in ("ZED", "ALPHA", "MIDDLE") if name not in keys]


class Probe(stagecraft.SecretStore):
    """Cannot list, but says which of given keys exist (as Encore's `secret list KEY...`)."""

    id = "probe"
    readable = False

    def write_one(self, ctx, location, key, value):
        raise NotImplementedError

    def existing_keys(self, ctx, location, keys):
        if location == "unsure":
            return None
        return [key for key in keys if key == "DATABASE_URL"]


class Blind(stagecraft.SecretStore):
    id = "blind"
    readable = False

    def write_one(self, ctx, location, key, value):
        raise NotImplementedError


@stagecraft.hookimpl
def secrets_provider_register():
    return [Listing(), Probe(), Blind()]
'''

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.dev
    staging: envfile:config/.env.staging
    prod: envfile:.env.prod
  keys:
    DATABASE_URL:
      description: Postgres connection string
    STRIPE_API_KEY:
      required: [staging, prod]
    SENTRY_DSN: {required: false}
plugins:
  dirs: [plugins]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dev: DATABASE_URL and an undeclared key; staging (under config/): all three;
    prod: STRIPE_API_KEY missing.  Worked on from a subdirectory, so environment paths
    must be taken relative to stagecraft.yml."""
    isolate(monkeypatch, tmp_path / "state")
    root = tmp_path / "project"
    (root / "plugins").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "src").mkdir()
    (root / "plugins" / "stores.py").write_text(STORES, encoding="utf-8")
    (root / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    (root / ".env.dev").write_text(
        f"DATABASE_URL=postgres://{SECRET}\nLOCAL_DEBUG=1\n", encoding="utf-8")
    (root / "config" / ".env.staging").write_text(
        f"STRIPE_API_KEY={SECRET}\nDATABASE_URL=x\nSENTRY_DSN=y\n", encoding="utf-8")
    (root / ".env.prod").write_text(f"DATABASE_URL={SECRET}\n", encoding="utf-8")
    monkeypatch.chdir(root / "src")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_command(capsys, *argv, never_shown=SECRET)


# ------------------------------------------------------------------ secrets list


def test_list_an_environment_sorted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "secrets", "list", "staging") == (
        0, "DATABASE_URL\nSENTRY_DSN\nSTRIPE_API_KEY\n", "")


def test_list_a_file_as_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "secrets", "list", "../.env.dev", "--json")
    assert (code, json.loads(out)) == (0, ["DATABASE_URL", "LOCAL_DEBUG"])


def test_list_a_write_only_store_that_lists_names(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "secrets", "list", "listing:anywhere") == (0, "ALPHA\nMIDDLE\nZED\n", "")


def test_list_a_store_that_cannot_list_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "secrets", "list", "blind:here")
    assert (code, out) == (2, "")
    assert "blind:here: store 'blind' is write-only and cannot list its key names" in err


def test_list_an_unknown_name_suggests_an_environment(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "secrets", "list", "stagign")
    assert (code, out) == (1, "")
    assert "stagign: no such environment or file (did you mean 'staging'?)" in err
    assert "Traceback" not in err


def test_list_keys_api(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stagecraft.list_keys("prod") == ["DATABASE_URL"]
    assert stagecraft.list_keys("listing:x") == ["ALPHA", "MIDDLE", "ZED"]
    with pytest.raises(stagecraft.ProviderError) as raised:
        stagecraft.list_keys("blind:x")
    assert raised.value.exit_code == 2
    assert capsys.readouterr() == ("", "")


# ----------------------------------------------------------------- secrets check

EXPECTED_JSON = {
    "environments": [
        {"name": "dev", "status": "checked",
         "keys": {"DATABASE_URL": "present", "STRIPE_API_KEY": "optional-absent",
                  "SENTRY_DSN": "optional-absent"}},
        {"name": "staging", "status": "checked",
         "keys": {"DATABASE_URL": "present", "STRIPE_API_KEY": "present",
                  "SENTRY_DSN": "present"}},
        {"name": "prod", "status": "checked",
         "keys": {"DATABASE_URL": "present", "STRIPE_API_KEY": "missing",
                  "SENTRY_DSN": "optional-absent"}},
    ],
    "missing": [{"key": "STRIPE_API_KEY", "environment": "prod"}],
    "undeclared": [{"key": "LOCAL_DEBUG", "environment": "dev"}],
    "unreadable": [],
}


def test_check_json_and_drift_exit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "secrets", "check", "--json")
    assert (code, json.loads(out)) == (4, EXPECTED_JSON)


def test_check_matrix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "secrets", "check")
    assert code == 4
    assert out.splitlines() == [
        "KEY             dev  staging  prod",
        "DATABASE_URL    ✓    ✓        ✓",
        "STRIPE_API_KEY  \u2013    ✓        ✗",  # en dash: optional and absent
        "SENTRY_DSN      \u2013    ✓        \u2013",
        "dev: undeclared: LOCAL_DEBUG",
    ]
    assert "check: 3 keys in 3 environments; 1 missing, 0 not checked" in err


def test_check_colours_on_request(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--color", "always", "secrets", "check", "prod"]) == 4
    out = capsys.readouterr().out
    assert "\x1b[31m✗\x1b[0m" in out
    assert "\x1b[32m✓\x1b[0m" in out


def test_check_passes_when_the_named_environments_are_complete(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "secrets", "check", "dev", "staging", "dev")  # dev read once
    assert code == 0
    assert out.splitlines()[0] == "KEY             dev  staging"


def test_check_unreadable_environment_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".env.prod").write_text('DATABASE_URL="unterminated\n', encoding="utf-8")
    code, out, _ = run(capsys, "secrets", "check", "--json")
    result = json.loads(out)
    assert code == 2
    assert [e["environment"] for e in result["unreadable"]] == ["prod"]
    assert ".env.prod:1: unterminated" in result["unreadable"][0]["error"]
    assert result["environments"][2]["keys"] == dict.fromkeys(
        ["DATABASE_URL", "STRIPE_API_KEY", "SENTRY_DSN"], "unknown")
    assert result["missing"] == []


def test_check_an_environment_that_does_not_exist_yet_misses_every_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A location with nothing at all was read: every required key is missing there
    (exit 4, not 2), and the report says it does not exist (a mistyped location shows)."""
    (project / ".env.prod").unlink()
    code, out, _ = run(capsys, "secrets", "check", "--json")
    result = json.loads(out)
    assert code == 4
    assert result["unreadable"] == []
    prod = result["environments"][2]
    assert prod["status"] == "checked"
    assert prod["keys"] == {"DATABASE_URL": "missing", "STRIPE_API_KEY": "missing",
                            "SENTRY_DSN": "optional-absent"}
    assert ".env.prod: does not exist" in prod["absent"]
    assert "absent" not in result["environments"][0]
    code, out, _ = run(capsys, "secrets", "check", "prod")
    assert code == 4
    assert "prod: envfile:" in out
    assert ".env.prod: does not exist" in out


def test_check_counts_a_required_key_held_empty_as_missing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a sync's and run's guard count it: an empty secret is no secret."""
    (project / ".env.prod").write_text(
        f"DATABASE_URL=\nSTRIPE_API_KEY={SECRET}\n", encoding="utf-8")
    code, out, _ = run(capsys, "secrets", "check", "prod", "--json")
    assert code == 4
    result = json.loads(out)
    assert result["missing"] == [{"key": "DATABASE_URL", "environment": "prod"}]
    code, out, _ = run(capsys, "secrets", "list", "prod")
    assert out.splitlines() == ["DATABASE_URL", "STRIPE_API_KEY"]  # list names what is there


def test_check_locations_without_a_manifest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "bare.yml").write_text("plugins:\n  dirs: [plugins]\n", encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(project / "bare.yml"), "secrets", "check",
                       "../.env.dev", "../.env.prod", "listing:a", "blind:b", "--json")
    result = json.loads(out)
    assert code == 2  # blind cannot list: not passed
    assert [(e["name"], e["status"]) for e in result["environments"]] == [
        ("../.env.dev", "checked"), ("../.env.prod", "checked"), ("listing:a", "checked"),
        ("blind:b", "cannot check")]
    assert result["environments"][1]["keys"] == {
        "ALPHA": "missing", "DATABASE_URL": "present", "LOCAL_DEBUG": "missing",
        "MIDDLE": "missing", "ZED": "missing"}
    assert result["undeclared"] == []
    assert result["unreadable"] == [
        {"environment": "blind:b", "error": "cannot check: the store cannot list key names"}]


def test_check_with_nothing_to_check_is_a_user_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "bare.yml").write_text("secrets: {}\n", encoding="utf-8")
    code, out, err = run(capsys, "--config", str(project / "bare.yml"), "secrets", "check")
    assert (code, out) == (1, "")
    assert "nothing to check" in err


def test_check_api_returns_the_json_structure(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stagecraft.check() == EXPECTED_JSON
    assert stagecraft.check(["staging"])["missing"] == []
    (project / ".env.dev").write_text("DATABASE_URL='unterminated\n", encoding="utf-8")
    unreadable = stagecraft.check("dev")["unreadable"]  # one name is one environment
    assert [entry["environment"] for entry in unreadable] == ["dev"]
    assert capsys.readouterr() == ("", "")


def test_check_a_write_only_store_by_the_declared_keys(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that cannot list is asked which declared keys exist; one that cannot tell
    either, and one with no way to say, are not passed."""
    manifest = MANIFEST.replace("    prod: envfile:.env.prod\n", "    prod: probe:app\n"
                                "    edge: probe:unsure\n    blind: blind:x\n")
    (project / "stagecraft.yml").write_text(manifest, encoding="utf-8")
    code, out, _ = run(capsys, "secrets", "check", "prod", "edge", "blind", "--json")
    result = json.loads(out)
    assert code == 2
    assert result["environments"][0] == {"name": "prod", "status": "checked", "keys": {
        "DATABASE_URL": "present", "STRIPE_API_KEY": "missing", "SENTRY_DSN": "optional-absent"}}
    assert result["unreadable"] == [
        {"environment": "edge",
         "error": "edge: store 'probe' is write-only and cannot list its key names"},
        {"environment": "blind", "error": "cannot check: the store cannot list key names"}]
    assert [(e["name"], e["status"]) for e in result["environments"][1:]] == [
        ("edge", "unreadable"), ("blind", "cannot check")]
    code, _, err = run(capsys, "secrets", "list", "prod")  # no declared keys to ask about
    assert code == 2
    assert "prod: store 'probe' is write-only and cannot list its key names" in err


def test_check_a_mistyped_environment_is_a_user_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "secrets", "check", "dev", "prdo")
    assert (code, out) == (1, "")
    assert "prdo: no such environment or file (did you mean 'prod'?)" in err
    code, _, err = run(capsys, "secrets", "check", "dev", "vualt:secret/app")
    assert code == 1
    assert "'vualt' is not a store id" in err


def test_without_any_config_words_are_locations(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert stagecraft.list_keys(".env.prod", config=False) == ["DATABASE_URL"]
    result = stagecraft.check([".env.dev", ".env.prod"], config=False)
    assert result["missing"] == [{"key": "LOCAL_DEBUG", "environment": ".env.prod"}]
    with pytest.raises(stagecraft.UserError, match="staging: env file not found"):
        stagecraft.list_keys("staging", config=False)  # no manifest: a file, and there is none
    with pytest.raises(stagecraft.UserError, match="nothing to check"):
        stagecraft.check(config=False)
