"""The age store from the command line: found through its entry point, synced end to end."""

from __future__ import annotations

import json
from importlib import metadata

import pyrage
import pytest
from age_helpers import Project
from pyrage import x25519

from stagecraft.plugins import PluginSettings, load_plugin_manager
from stagecraft.testing.fixtures import RunResult, RunStagecraft
from stagecraft_age import AgeStore


def test_entry_point_and_registry() -> None:
    points = [ep for ep in metadata.entry_points(group="stagecraft") if ep.name == "age"]
    assert [ep.value for ep in points] == ["stagecraft_age"]
    assert points[0].dist is not None
    assert points[0].dist.name == "stagecraft-age"
    registry = load_plugin_manager(PluginSettings.from_env({}), strict=False).build_registry()
    store = registry.get("age")
    assert isinstance(store, AgeStore)
    assert registry.origin("age").distribution == "stagecraft-age"
    assert store.can_delete
    assert not store.writes_one_by_one


@pytest.fixture
def run(project: Project) -> RunStagecraft:
    (project.root / "stagecraft.yml").write_text(
        "secrets:\n"
        "  provider: age\n"
        "  providers:\n"
        "    age:\n"
        f"      recipients: [{project.recipient}]\n"
        "      identities: [keys/me.txt]\n"
        "      target_file: secrets.env.age\n"
    )
    return RunStagecraft(project.root)


def actions(result: RunResult) -> dict[str, str]:
    assert result.exit_code == 0, result.stderr
    return {change["key"]: change["action"] for change in json.loads(result.stdout)["changes"]}


def test_sync_check_prune_and_read_back(project: Project, run: RunStagecraft) -> None:
    (project.root / ".env").write_text("API_KEY=sk-cli-canary-8Rr\nDB_URL=postgres://db/app\n")
    target = "age:secrets.env.age"
    planned = run("secrets", "sync", "--from", ".env", "--to", target, "--dry-run", "--json")
    assert actions(planned) == {"API_KEY": "added", "DB_URL": "added"}
    assert not (project.root / "secrets.env.age").exists()
    assert run("secrets", "sync", "--from", ".env", "--to", target, "--check").exit_code == 4

    done = run("secrets", "sync", "--from", ".env", "--to", target)
    assert done.exit_code == 0, done.stderr
    assert "sk-cli-canary-8Rr" not in done.stdout + done.stderr
    assert run("secrets", "sync", "--from", ".env", "--to", target, "--check").exit_code == 0
    assert project.read() == {"API_KEY": "sk-cli-canary-8Rr", "DB_URL": "postgres://db/app"}

    # target_file from the config; --prune removes what .env no longer has
    (project.root / ".env").write_text("API_KEY=sk-cli-canary-8Rr\n")
    pruned = run("secrets", "sync", "--from", ".env", "--prune", "--json")
    assert actions(pruned) == {"API_KEY": "unchanged", "DB_URL": "removed"}
    assert project.read() == {"API_KEY": "sk-cli-canary-8Rr"}

    # the age file as a source, into a plain env file
    out = run("secrets", "sync", "--from", target, "--to", "envfile:plain.env")
    assert out.exit_code == 0, out.stderr
    assert (project.root / "plain.env").read_text() == "API_KEY=sk-cli-canary-8Rr\n"


def test_a_failing_sync_shows_no_value_and_changes_nothing(
    project: Project, run: RunStagecraft
) -> None:
    """The file is someone else's (no identity of ours opens it): exit 1, one line, no write."""
    stranger = x25519.Identity.generate().to_public()
    sealed = pyrage.encrypt(b"API_KEY=theirs\n", [stranger])
    (project.root / "secrets.env.age").write_bytes(sealed)
    (project.root / ".env").write_text("API_KEY=sk-cli-canary-8Rr\n")
    result = run("secrets", "sync", "--from", ".env", "-v")
    assert result.exit_code == 1
    assert "sk-cli-canary-8Rr" not in result.stdout + result.stderr
    assert (project.root / "secrets.env.age").read_bytes() == sealed


def test_describe_shows_the_config_keys(run: RunStagecraft) -> None:
    result = run("secrets", "providers", "age")
    assert result.exit_code == 0, result.stderr
    for key in ("recipients", "recipients_file", "identities", "armor", "readers"):
        assert key in result.stdout
    assert "age-encrypted env file" in result.stdout


def test_a_missing_source_is_treated_as_the_envfile_store_treats_one(
    project: Project, run: RunStagecraft
) -> None:
    """The rule for a location that does not exist is the core's, shared by every file store."""
    as_age = run("secrets", "sync", "--from", "age:missing.env", "--to", "envfile:out.env")
    as_envfile = run("secrets", "sync", "--from", "envfile:missing.env", "--to", "envfile:out.env")
    def store_named(text: str, store: str) -> str:
        return text.replace(f"{store}:{project.root / 'missing.env'}", "SOURCE")

    assert as_age.exit_code == as_envfile.exit_code
    assert store_named(as_age.stdout, "age") == store_named(as_envfile.stdout, "envfile")
    assert store_named(as_age.stderr, "age") == store_named(as_envfile.stderr, "envfile")
