"""The github store through the engine: locations, requests, sealing, pacing, config."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fake_github import TOKEN, FakeGitHub, Secret

from stagecraft.errors import UserError
from stagecraft.providers.secrets import Action, Context, SyncOptions, SyncResult
from stagecraft.testing import write_env_file
from stagecraft_github.config import Config
from stagecraft_github.location import Location, LocationError, parse
from stagecraft_github.store import GitHubStore


def sync(store: GitHubStore, ctx: Context, tmp_path: Path, target: str,
         values: Mapping[str, str], config: Any = None, **options: Any) -> SyncResult:
    write_env_file(tmp_path / "source.env", values)
    return store.sync(ctx, SyncOptions(config=config, source="source.env", target=target,
                                       **options))


# ---------------------------------------------------------------------------- locations


@pytest.mark.parametrize(("text", "kind", "path"), [
    ("octo/app", "repository", "repos/octo/app/actions/secrets"),
    ("octo/app/dependabot", "dependabot", "repos/octo/app/dependabot/secrets"),
    ("octo/app/environments/production", "environment",
     "repos/octo/app/environments/production/secrets"),
    ("octo/app/environments/team/stage 1", "environment",
     "repos/octo/app/environments/team%2Fstage%201/secrets"),
    ("orgs/octo", "organization", "orgs/octo/actions/secrets"),
])
def test_locations(text: str, kind: str, path: str) -> None:
    where = parse(text)
    assert where.kind == kind
    assert where.secrets_path == path
    assert str(where) == text


def test_an_environment_keeps_every_slash_of_its_name() -> None:
    assert parse("octo/app/environments/a/b/c").environment == "a/b/c"


@pytest.mark.parametrize("text", [
    "octo", "octo/app/secrets", "octo/app/environments", "octo/app/environments/",
    "-octo/app", "octo/a b", "orgs/", "octo/app/dependabot/x",
])
def test_locations_that_name_nothing_are_refused(text: str) -> None:
    with pytest.raises(LocationError, match="not a GitHub secrets location"):
        parse(text)


def test_one_place_whatever_the_case_of_owner_and_repository() -> None:
    assert parse("Octo/App").identity == parse("octo/app").identity
    assert Location("organization", "Octo").limit == 1000
    assert parse("octo/app").limit == 100


# ---------------------------------------------------------------------------- requests


def test_every_value_arrives_sealed_to_its_locations_key(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    values = {"API_KEY": "k-1", "db_url": "postgres://x", "EMPTY": ""}
    for target in ("octo/app", "octo/app/dependabot", "octo/app/environments/team/staging"):
        result = sync(store, ctx, tmp_path, target, values)
        assert set(result.added) == set(values)
        assert github.stored(target) == {"API_KEY": "k-1", "DB_URL": "postgres://x", "EMPTY": ""}
    keys = [r for r in github.seen() if r.path.endswith("/public-key")]
    assert len(keys) == 3, "the key is fetched once per sync and location"
    assert "/repos/octo/app/environments/team%2Fstaging/secrets/public-key" in {
        r.path for r in keys}
    for request in github.seen():
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"


def test_the_names_list_is_read_page_by_page(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    scope = github.scope("orgs/octo")
    for i in range(250):
        scope.secrets[f"OLD_{i:03d}"] = Secret("x", "t", "t", "private")
    result = sync(store, ctx, tmp_path, "orgs/octo", {"OLD_007": "y", "NEW": "n"})
    assert result.updated == ("OLD_007",)
    assert result.added == ("NEW",)
    lists = [r for r in github.seen("GET") if r.path == "/orgs/octo/actions/secrets"]
    assert [(r.query["per_page"], r.query["page"]) for r in lists] == [
        ("100", "1"), ("100", "2"), ("100", "3")]


def test_organization_secrets_carry_the_configured_visibility(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    app_id = github.repositories[("octo", "app")].id
    config = Config(visibility="selected", selected_repositories=["app", 4242, "octo/app"])
    sync(store, ctx, tmp_path, "orgs/octo", {"SHARED": "s"}, config=config)
    secret = github.scope("orgs/octo").secrets["SHARED"]
    assert (secret.value, secret.visibility) == ("s", "selected")
    assert secret.selected_repository_ids == [app_id, 4242, app_id]
    sync(store, ctx, tmp_path, "orgs/octo", {"ALL": "a"}, config=Config(visibility="all"))
    assert github.scope("orgs/octo").secrets["ALL"].visibility == "all"


def test_a_rotated_key_is_fetched_again_once(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    def rotate_after_first_put(request: Any) -> None:
        if request.method == "PUT" and len(github.seen("PUT")) == 1:
            github.scope("octo/app").rotate()

    github.on_request = rotate_after_first_put
    values = {"A_ONE": "1", "B_TWO": "2", "C_THREE": "3"}
    result = sync(store, ctx, tmp_path, "octo/app", values)
    assert set(result.added) == set(values)
    assert github.stored("octo/app") == values
    assert len([r for r in github.seen() if r.path.endswith("/public-key")]) == 2


def test_writes_go_one_at_a_time_unless_configured(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    github.latency = 0.05
    values = {f"KEY_{i}": f"v{i}" for i in range(8)}
    sync(store, ctx, tmp_path, "octo/app", values)
    assert github.most_in_flight == 1
    sync(store, ctx, tmp_path, "octo/app/dependabot", values, config=Config(concurrency=4))
    assert github.most_in_flight > 1
    assert github.stored("octo/app/dependabot") == values


def test_min_interval_paces_writes_from_the_first(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    sync(store, ctx, tmp_path, "octo/app", {"A": "1", "B": "2", "C": "3"},
         config=Config(min_interval=0.3))
    times = [r.at for r in github.seen("PUT")]
    assert len(times) == 3
    assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(times))


def test_pynacl_is_imported_only_when_the_store_writes(
    github: FakeGitHub, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", {"ONLY": "value-1"})
    script = (
        "import sys\n"
        "from stagecraft import cli\n"
        "args = ['secrets', 'sync', '--from', '.env', '--to', 'github:octo/app']\n"
        "assert cli.main([*args, '--dry-run']) == 0\n"
        "print('after plan', 'nacl' in sys.modules)\n"
        "assert cli.main(args) == 0\n"
        "print('after write', 'nacl' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "after plan False" in done.stdout
    assert "after write True" in done.stdout


# ---------------------------------------------------------------------------- connection


def test_the_token_comes_from_config_then_github_token_then_gh_token(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    github.token = "gh-cli-token-41"
    monkeypatch.setenv("GH_TOKEN", "gh-cli-token-41")
    monkeypatch.setenv("GITHUB_TOKEN", "")
    assert sync(store, ctx, tmp_path, "octo/app", {"A": "1"}).added == ("A",)
    monkeypatch.setenv("GITHUB_TOKEN", "actions-token-7")
    github.token = "actions-token-7"
    assert sync(store, ctx, tmp_path, "octo/app", {"B": "1"}).added == ("B",)
    github.token = "config-token-3"
    result = sync(store, ctx, tmp_path, "octo/app", {"C": "1"},
                  config=Config(token="config-token-3"))
    assert result.added == ("C",)
    assert "config-token-3" not in repr(store.config_for(ctx, Config(token="config-token-3")))
    assert ctx.redactor.redact("x config-token-3 y") != "x config-token-3 y", "token not masked"


def test_the_api_base_comes_from_config_before_github_api_url(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/nothing-here")
    result = sync(store, ctx, tmp_path, "octo/app", {"A": "1"}, config=Config(api_url=github.url))
    assert result.added == ("A",)


def test_no_token_is_one_clear_user_error(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(UserError, match="no token: set GITHUB_TOKEN"):
        sync(store, ctx, tmp_path, "octo/app", {"A": "1"})
    assert github.seen() == []


def test_write_one_reports_what_github_did(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    with store.session(ctx, "octo/app", dry_run=False) as session:
        assert session.write_one("NEW_KEY", "v") is Action.ADDED
        assert session.write_one("new_key", "w") is Action.UPDATED
    assert github.stored("octo/app") == {"NEW_KEY": "w"}
