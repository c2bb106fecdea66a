"""``stagecraft secrets sync --to github:...`` end to end, in-process, against the fake API.

What the plan knows: the names GitHub lists, and the write record of what
this machine last wrote.  What it cannot know (a value changed on GitHub
by someone else) is pinned here too, as docs/providers/github.md says it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_github import TOKEN, FakeGitHub, Request

from stagecraft.testing import CANARY_VALUES, TRICKY_VALUES, write_env_file
from stagecraft.testing.fixtures import RunResult, RunStagecraft

VALUES = {**CANARY_VALUES, **TRICKY_VALUES}


@pytest.fixture
def run(tmp_path: Path, github: FakeGitHub) -> RunStagecraft:
    return RunStagecraft(tmp_path)


def actions(result: RunResult) -> dict[str, str]:
    assert result.exit_code == 0, result.stderr
    return {change["key"]: change["action"] for change in json.loads(result.stdout)["changes"]}


def test_plan_sync_check_and_a_second_sync(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", VALUES)
    to = "github:octo/app/environments/production"
    planned = actions(run("secrets", "sync", "--from", ".env", "--to", to, "--dry-run", "--json"))
    assert set(planned.values()) == {"added"}
    assert github.seen("PUT") == [], "a dry run wrote"
    assert not [r for r in github.seen() if r.path.endswith("public-key")], "a plan fetched the key"

    done = actions(run("secrets", "sync", "--from", ".env", "--to", to, "--json"))
    assert done == planned
    assert github.stored("octo/app/environments/production") == VALUES

    check = run("secrets", "sync", "--from", ".env", "--to", to, "--check")
    assert check.exit_code == 0, check.stderr
    before = len(github.seen())
    again = actions(run("secrets", "sync", "--from", ".env", "--to", to, "--json"))
    assert set(again.values()) == {"unchanged"}
    quiet = github.seen()[before:]
    assert [(r.method, r.path) for r in quiet] == [
        ("GET", "/repos/octo/app/environments/production/secrets")
    ], "a sync that changes nothing made other requests than the names list"


def test_a_changed_value_is_updated_and_check_says_so_first(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", CANARY_VALUES)
    assert run("secrets", "sync", "--from", ".env", "--to", "github:octo/app").exit_code == 0
    write_env_file(tmp_path / ".env", {**CANARY_VALUES, "CONTRACT_ALPHA": "rotated-value-9Q"})
    check = run("secrets", "sync", "--from", ".env", "--to", "github:octo/app", "--check")
    assert check.exit_code == 4
    assert "CONTRACT_ALPHA" in check.stdout + check.stderr
    done = actions(run("secrets", "sync", "--from", ".env", "--to", "github:octo/app", "--json"))
    assert done["CONTRACT_ALPHA"] == "updated"
    assert done["CONTRACT_BRAVO"] == "unchanged"
    assert github.stored("octo/app")["CONTRACT_ALPHA"] == "rotated-value-9Q"
    assert len(github.seen("PUT")) == len(CANARY_VALUES) + 1


def test_a_value_changed_on_github_by_someone_else_is_not_seen(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    """The documented limit: the record says what this machine wrote, not what GitHub holds."""
    write_env_file(tmp_path / ".env", CANARY_VALUES)
    assert run("secrets", "sync", "--from", ".env", "--to", "github:octo/app").exit_code == 0
    github.scope("octo/app").secrets["CONTRACT_ALPHA"].value = "changed-in-the-web-ui"
    check = run("secrets", "sync", "--from", ".env", "--to", "github:octo/app", "--check")
    assert check.exit_code == 0
    # A secret deleted on GitHub is seen: it is no longer listed.
    del github.scope("octo/app").secrets["CONTRACT_BRAVO"]
    plan = actions(run("secrets", "sync", "--from", ".env", "--to", "github:octo/app",
                       "--dry-run", "--json"))
    assert plan["CONTRACT_BRAVO"] == "added"
    # Without the record (another machine, or --no-record), listed keys are updated.
    plan = actions(run("secrets", "sync", "--from", ".env", "--to", "github:octo/app",
                       "--dry-run", "--no-record", "--json"))
    assert plan["CONTRACT_ALPHA"] == "updated"


def test_prune_removes_listed_names_the_source_lacks_case_insensitively(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", {"OLD_ONE": "x1", "db_url": "postgres://a", "KEEP": "k"})
    assert run("secrets", "sync", "--from", ".env", "--to", "github:octo/app").exit_code == 0
    assert set(github.stored("octo/app")) == {"OLD_ONE", "DB_URL", "KEEP"}
    write_env_file(tmp_path / ".env", {"db_url": "postgres://b", "KEEP": "k"})
    plan = actions(run("secrets", "sync", "--from", ".env", "--to", "github:octo/app",
                       "--prune", "--dry-run", "--json"))
    assert plan == {"db_url": "updated", "KEEP": "unchanged", "OLD_ONE": "removed"}
    assert github.seen("DELETE") == []
    done = actions(run("secrets", "sync", "--from", ".env", "--to", "github:octo/app",
                       "--prune", "--json"))
    assert done == plan
    assert github.stored("octo/app") == {"DB_URL": "postgres://b", "KEEP": "k"}
    check = run("secrets", "sync", "--from", ".env", "--to", "github:octo/app", "--prune",
                "--check")
    assert check.exit_code == 0, check.stdout + check.stderr


def test_a_secret_github_refuses_to_delete_is_named_and_the_others_reported_removed(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", {"OLD_A": "a", "OLD_B": "b", "OLD_C": "c", "KEEP": "k"})
    assert run("secrets", "sync", "--from", ".env", "--to", "github:octo/app").exit_code == 0
    write_env_file(tmp_path / ".env", {"KEEP": "k"})
    deletes = 0

    def second_delete_forbidden(request: Request) -> None:
        nonlocal deletes
        if request.method == "DELETE":
            deletes += 1
            if deletes == 2:
                github.fail_next(403, "Resource not accessible by integration",
                                 methods=("DELETE",))

    github.on_request = second_delete_forbidden
    result = run("secrets", "sync", "--from", ".env", "--to", "github:octo/app", "--prune",
                 "--json")
    assert result.exit_code == 2, result.stderr
    report = json.loads(result.stdout)
    refused = [entry["key"] for entry in report["failed"]]
    assert len(refused) == 1
    assert "403" in report["failed"][0]["reason"] or "not accessible" in \
        report["failed"][0]["reason"]
    removed = {c["key"] for c in report["changes"] if c["action"] == "removed"}
    assert removed == {"OLD_A", "OLD_B", "OLD_C"} - set(refused)
    assert set(github.stored("octo/app")) == {"KEEP", *refused}


def test_neither_token_nor_values_reach_the_output(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", CANARY_VALUES)
    github.throttle(429, retry_after=0)  # a warning in the log, too
    result = run("-v", "secrets", "sync", "--from", ".env", "--to", "github:octo/app")
    assert result.exit_code == 0, result.stderr
    text = result.stdout + result.stderr
    assert TOKEN not in text
    assert not any(value in text for value in CANARY_VALUES.values())
    assert "rate limit" in result.stderr


def test_the_store_is_listed_with_its_distribution(run: RunStagecraft) -> None:
    result = run("secrets", "providers", "--json")
    assert result.exit_code == 0, result.stderr
    found = {entry["id"]: entry for entry in json.loads(result.stdout)}
    assert found["github"]["distribution"] == "stagecraft-github"


def test_the_store_prefix_is_completed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from stagecraft import completion

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "github,envfile")
    assert completion.complete("target", prefix="") == ["envfile:", "github:"]
    assert completion.complete("provider") == ["envfile", "github"]
    assert completion.complete("target", prefix="github:oc") == []  # not files


def test_the_store_cannot_be_a_source(run: RunStagecraft, tmp_path: Path) -> None:
    result = run("secrets", "sync", "--from", "github:octo/app", "--to", "envfile:.env.out")
    assert result.exit_code == 1
    assert "github: this store is write-only and cannot be a source" in result.stderr
    assert not (tmp_path / ".env.out").exists()


def test_a_failure_in_json_names_the_location(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", CANARY_VALUES)
    result = run("secrets", "sync", "--from", ".env", "--to", "github:octo/app/environments/x",
                 "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert "github: octo/app/environments/x: listing secrets: the repository octo/app has no " \
        "environment 'x'" in error["message"]


def test_described_as_write_only_and_able_to_prune(run: RunStagecraft) -> None:
    result = run("secrets", "providers", "github")
    assert result.exit_code == 0, result.stderr
    assert "readable:      no (write-only: cannot be a --from source)" in result.stdout
    assert "can prune:     yes" in result.stdout
    assert "min_interval" in result.stdout


def test_secrets_list_and_check_give_the_names_github_lists(
    run: RunStagecraft, github: FakeGitHub, tmp_path: Path
) -> None:
    """A write-only store that lists its names: ``secrets list`` and ``secrets check`` see
    them (never a value: GitHub gives none back), from one names request each."""
    write_env_file(tmp_path / ".env", CANARY_VALUES)
    to = "github:octo/app/environments/production"
    assert run("secrets", "sync", "--from", ".env", "--to", to).exit_code == 0
    before = len(github.seen())
    listed = run("secrets", "list", to, "--json")
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == sorted(CANARY_VALUES)
    assert [r.method for r in github.seen()[before:]] == ["GET"]
    checked = run("secrets", "check", ".env", to, "--json")
    assert checked.exit_code == 0, checked.stderr
    assert json.loads(checked.stdout)["missing"] == []
    assert not any(value in listed.stdout + checked.stdout + checked.stderr
                   for value in CANARY_VALUES.values())
