"""``secrets check`` with an Encore environment: a write-only store that cannot list every
name, asked through ``encore secret list KEY...`` (the test double) which declared keys exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from stagecraft.testing import RunStagecraft, write_env_file

if TYPE_CHECKING:
    from conftest import FakeEncore

pytest_plugins = ["stagecraft.testing"]

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.local
    encore-prod: encore:production
  keys:
    DATABASE_URL: {}
    STRIPE_API_KEY: {}
"""


def test_check_asks_encore_which_declared_keys_exist(
    fake_encore: FakeEncore, app: Path, run_stagecraft: RunStagecraft
) -> None:
    write_env_file(app / ".env.local", {"DATABASE_URL": "postgres://x", "STRIPE_API_KEY": "sk"})
    (app / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    fake_encore.add_group("DATABASE_URL", ["type:production"])
    checked = run_stagecraft("secrets", "check", "--json", cwd=app)
    assert checked.exit_code == 4, checked.stderr
    report = json.loads(checked.stdout)
    assert report["missing"] == [{"key": "STRIPE_API_KEY", "environment": "encore-prod"}]
    assert report["environments"][1] == {"name": "encore-prod", "status": "checked", "keys": {
        "DATABASE_URL": "present", "STRIPE_API_KEY": "missing"}}
    assert [call["argv"] for call in fake_encore.calls()] == [
        ["secret", "list", "DATABASE_URL", "STRIPE_API_KEY"]]


def test_check_with_the_encore_cli_failing_is_unreadable(
    fake_encore: FakeEncore, app: Path, run_stagecraft: RunStagecraft
) -> None:
    write_env_file(app / ".env.local", {"DATABASE_URL": "postgres://x", "STRIPE_API_KEY": "sk"})
    (app / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    fake_encore.list_error("not logged in")
    checked = run_stagecraft("secrets", "check", "--json", cwd=app)
    assert checked.exit_code == 2, checked.stderr
    report = json.loads(checked.stdout)
    assert [entry["environment"] for entry in report["unreadable"]] == ["encore-prod"]
    assert report["environments"][0]["status"] == "checked"
    listed = run_stagecraft("secrets", "list", "encore-prod", cwd=app)
    assert (listed.exit_code, listed.stdout) == (2, "")
    assert "write-only and cannot list its key names" in listed.stderr
