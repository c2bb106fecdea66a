"""What goes wrong with GitHub, and what the user sees: one line naming the location.

Rate limits are waited out within the deadline (and pace the writes that
follow a secondary limit); refusals stop the sync before any write; other
4xx answers say what to fix; a cancelled sync stops waiting at once.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import attrs
import pytest
from fake_github import TOKEN, FakeGitHub, Request, Secret

from stagecraft.engine import InterruptedSyncError
from stagecraft.errors import CancelledError, UserError
from stagecraft.providers.secrets import Context, PartialSyncError, SyncOptions, SyncResult
from stagecraft.testing import write_env_file
from stagecraft.testing.fixtures import RunResult, RunStagecraft
from stagecraft_github.store import GitHubStore

VALUES = {"ALPHA": "alpha-value-1", "BRAVO": "bravo-value-2", "CHARLIE": "charlie-value-3"}


def sync(store: GitHubStore, ctx: Context, tmp_path: Path, target: str,
         values: dict[str, str] = VALUES, **options: Any) -> SyncResult:
    write_env_file(tmp_path / "source.env", values)
    return store.sync(ctx, SyncOptions(source="source.env", target=target, **options))


def command(tmp_path: Path, target: str, *args: str, values: dict[str, str] = VALUES,
            env: dict[str, str | None] | None = None) -> RunResult:
    write_env_file(tmp_path / "source.env", values)
    return RunStagecraft(tmp_path)("secrets", "sync", "--from", "source.env", "--to",
                                   f"github:{target}", *args, env=env)


def one_line(result: RunResult) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return lines[0]


def put_gaps(github: FakeGitHub) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(github.seen("PUT"))]


# ------------------------------------------------------------------------- rate limits


@pytest.mark.parametrize("status", [429, 403])
def test_a_secondary_limit_is_waited_out_then_writes_are_paced(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub, status: int
) -> None:
    github.throttle(status, retry_after=0.5)
    result = sync(store, ctx, tmp_path, "octo/app")
    assert set(result.added) == set(VALUES)
    assert github.stored("octo/app") == VALUES
    gaps = put_gaps(github)
    assert len(gaps) == 3  # the throttled PUT, its retry, then two more
    assert gaps[0] >= 0.4, "the retry did not wait what retry-after said"
    assert all(gap >= 0.9 for gap in gaps[1:]), "writes after a secondary limit not paced"


def test_the_primary_limit_is_waited_out_until_its_reset(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    github.throttle(403, retry_after=None, reset_in=0, secondary=False)
    result = sync(store, ctx, tmp_path, "octo/app", {"ALPHA": "a"})
    assert result.added == ("ALPHA",)
    assert put_gaps(github)[0] >= 0.9  # until x-ratelimit-reset, plus a second


def test_a_wait_past_the_deadline_fails_at_once_naming_the_limit(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.throttle(429, retry_after=3600, count=3)
    result = command(tmp_path, "octo/app", "--timeout", "20")
    assert result.exit_code == 2
    assert "octo/app: writing ALPHA: GitHub's secondary rate limit (HTTP 429) asks for a " \
        "wait of 3600 s, past this sync's deadline" in result.stderr
    assert github.stored("octo/app") == {}
    assert TOKEN not in result.stderr


def test_a_limit_that_keeps_coming_back_is_reported(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    github.throttle(429, retry_after=0, count=20, methods=("GET",))
    with pytest.raises(Exception, match=r"rate limit \(HTTP 429\) 5 times in a row"):
        sync(store, ctx, tmp_path, "octo/app")
    assert github.seen("PUT") == []


def test_cancelling_stops_the_wait_for_a_rate_limit(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    github.throttle(429, retry_after=300)

    def cancel_on_first_put(request: Request) -> None:
        if request.method == "PUT":
            threading.Timer(0.2, ctx.cancel).start()

    github.on_request = cancel_on_first_put
    with pytest.raises(InterruptedSyncError) as info:
        sync(store, ctx, tmp_path, "octo/app")
    assert set(info.value.failed) == set(VALUES)
    assert all("interrupted" in reason for reason in info.value.failed.values())
    assert github.stored("octo/app") == {}
    assert len(github.seen("PUT")) == 1, "a write was sent after the cancellation"


def test_a_server_error_is_retried(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    github.fail_next(502, "Bad Gateway")
    assert set(sync(store, ctx, tmp_path, "octo/app").added) == set(VALUES)
    assert github.stored("octo/app") == VALUES


def test_a_deadline_stops_the_writes(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    import time

    github.latency = 0.3
    ctx = attrs.evolve(ctx, deadline=time.monotonic() + 1.0)
    with pytest.raises((PartialSyncError, CancelledError)) as info:
        sync(store, ctx, tmp_path, "octo/app", {f"K_{i}": str(i) for i in range(10)})
    stored = github.stored("octo/app")
    assert len(stored) < 10
    if isinstance(info.value, PartialSyncError):
        assert {c.key for c in info.value.result.changes} == set(stored)


# ------------------------------------------------------------------------- other answers


def test_a_bad_token_is_one_line_naming_the_location(tmp_path: Path, github: FakeGitHub) -> None:
    result = command(tmp_path, "octo/app", env={"GITHUB_TOKEN": "ghp_wrong_token_123456"})
    assert result.exit_code == 2
    line = one_line(result)
    assert "github: octo/app: listing secrets: the token was refused (Bad credentials)" in line
    assert "ghp_wrong_token_123456" not in result.stderr
    assert github.seen("PUT") == []


def test_a_token_without_write_access_is_named(tmp_path: Path, github: FakeGitHub) -> None:
    github.read_only_tokens.add("ghp_read_only_token_99")
    result = command(tmp_path, "octo/app", env={"GITHUB_TOKEN": "ghp_read_only_token_99"})
    assert result.exit_code == 2
    assert "the token has no access (Resource not accessible by personal access token); it " \
        "needs Secrets: read and write" in result.stderr
    assert "ghp_read_only_token_99" not in result.stdout + result.stderr


@pytest.mark.parametrize(("target", "expected"), [
    ("octo/app/environments/nope", "the repository octo/app has no environment 'nope'"),
    ("octo/missing", "the repository octo/missing was not found, or the token cannot see it"),
    ("octo/missing/environments/prod",
     "the repository octo/missing was not found, or the token cannot see it"),
    ("orgs/nobody", "the organization nobody was not found, or the token cannot see it"),
])
def test_missing_places_are_one_line_each(
    tmp_path: Path, github: FakeGitHub, target: str, expected: str
) -> None:
    result = command(tmp_path, target, "--dry-run")
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith(f"stagecraft: github: {target}: listing secrets: ") or \
        f"github: {target}: listing secrets: " in line
    assert expected in line


def test_an_unreachable_api_is_named(tmp_path: Path, github: FakeGitHub) -> None:
    result = command(tmp_path, "octo/app", env={"GITHUB_API_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 2
    assert "github: octo/app: listing secrets: cannot reach http://127.0.0.1:9" in one_line(result)


# ------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("values", "expected"), [
    ({"1ABC": "x", "OK": "y"}, "1ABC: GitHub secret names hold only letters, digits and _"),
    ({"has-dash": "x"}, "has-dash: GitHub secret names hold only letters"),
    ({"GITHUB_SHA": "x"}, "GITHUB_SHA: names starting with GITHUB_ are GitHub's own"),
    ({"github_x": "x"}, "github_x: names starting with GITHUB_ are GitHub's own"),
    ({"BIG": "x" * (48 * 1024 + 1)}, "BIG: the value is 49,153 bytes; GitHub holds at most 48 KB"),
    ({"db_url": "a", "DB_URL": "b"}, "keys that differ only in case are one GitHub secret "
     "(GitHub stores names in upper case): db_url and DB_URL"),
])
def test_refusals_come_before_any_write(
    tmp_path: Path, github: FakeGitHub, values: dict[str, str], expected: str
) -> None:
    for dry in ((), ("--dry-run",)):
        result = command(tmp_path, "octo/app", *dry, values=values)
        assert result.exit_code == 1, result.stderr
        assert expected in one_line(result)
    assert github.seen("PUT") == []
    assert "x" * 100 not in result.stderr


def test_more_secrets_than_the_location_holds_is_refused(
    store: GitHubStore, ctx: Context, tmp_path: Path, github: FakeGitHub
) -> None:
    scope = github.scope("octo/app")
    for i in range(98):
        scope.secrets[f"OLD_{i:02d}"] = Secret("x", "t", "t")
    with pytest.raises(UserError, match=r"would make 101 secrets \(98 there, 3 new\); GitHub "
                                        r"holds at most 100 here; nothing was written"):
        sync(store, ctx, tmp_path, "octo/app")
    assert github.seen("PUT") == []
    # Updating listed ones is fine: the count does not grow.
    assert sync(store, ctx, tmp_path, "octo/app", {"OLD_01": "y", "NEW": "z"}).added == ("NEW",)


def test_ctrl_c_during_a_rate_limit_wait_exits_130_at_once(
    tmp_path: Path, github: FakeGitHub
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    write_env_file(tmp_path / "source.env", VALUES)
    throttled = threading.Event()

    def throttle_second_put(request: Request) -> None:
        if request.method == "PUT" and len(github.seen("PUT")) == 2:
            github.throttle(429, retry_after=300)
            throttled.set()

    github.on_request = throttle_second_put
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("stagecraft")), "secrets", "sync", "--from",
         "source.env", "--to", "github:octo/app"],
        cwd=tmp_path, env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert throttled.wait(60), "the second write never arrived"
        time.sleep(0.3)  # the command is now waiting out the limit
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    assert github.stored("octo/app") == {"ALPHA": VALUES["ALPHA"]}
    assert "interrupted" in err
    assert "BRAVO" in err
    assert "CHARLIE" in err
    assert TOKEN not in out + err
    assert not any(value in out + err for value in VALUES.values())


def test_a_token_no_header_can_carry_is_refused_without_showing_it(
    tmp_path: Path, github: FakeGitHub
) -> None:
    result = command(tmp_path, "octo/app", env={"GITHUB_TOKEN": "ghp_abc\x01def ghi"})
    assert result.exit_code == 1
    assert "the token holds spaces or characters an HTTP header cannot carry" in one_line(result)
    assert "ghp_abc" not in result.stderr
    assert github.seen() == []
