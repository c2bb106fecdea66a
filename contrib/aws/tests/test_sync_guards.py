"""A mistyped AWS source, an empty source with --prune, and a value rotated in AWS: each
stops the sync before anything is written (moto, every layout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stagecraft.testing import write_env_file
from stagecraft.testing.fixtures import RunStagecraft

VALUES = {"A": "aws-guard-canary-a1", "DB_PASSWORD": "aws-guard-canary-old-pw"}
ROTATED = "aws-guard-canary-rotated-pw"

#: The three layouts, as --to spells them.
LAYOUTS = ["aws-ssm:/{prefix}/prod/", "aws-sm:{prefix}/prod/", "aws-sm:{prefix}/prod"]


@pytest.fixture
def run(tmp_path: Path, aws_env: object) -> RunStagecraft:
    write_env_file(tmp_path / ".env", VALUES)
    return RunStagecraft(tmp_path)


@pytest.fixture(params=LAYOUTS)
def target(request: pytest.FixtureRequest, run: RunStagecraft, prefix: str) -> str:
    """A target of each layout, synced once from ``.env``."""
    where = str(request.param).format(prefix=prefix)
    first = run("secrets", "sync", "--from", ".env", "--to", where)
    assert first.exit_code == 0, first.stderr
    return where


def sync(run: RunStagecraft, *args: str) -> Any:
    return run("secrets", "sync", *args)


def rotate(where: str, sm: Any, ssm: Any) -> None:
    """Put ROTATED in DB_PASSWORD as another client would (the console, a rotation lambda)."""
    store, location = where.split(":", 1)
    if store == "aws-ssm":
        ssm.put_parameter(Name=f"{location}DB_PASSWORD", Value=ROTATED, Type="SecureString",
                          Overwrite=True)
    elif location.endswith("/"):
        sm.put_secret_value(SecretId=f"{location}DB_PASSWORD", SecretString=ROTATED)
    else:
        sm.put_secret_value(SecretId=location,
                            SecretString=json.dumps({**VALUES, "DB_PASSWORD": ROTATED}))


def current(where: str, sm: Any, ssm: Any) -> dict[str, str]:
    store, location = where.split(":", 1)
    if store == "aws-ssm":
        found = ssm.get_parameters_by_path(Path=location.rstrip("/"), WithDecryption=True)
        return {p["Name"][len(location):]: p["Value"] for p in found["Parameters"]}
    if location.endswith("/"):
        return {key: sm.get_secret_value(SecretId=location + key)["SecretString"]
                for key in VALUES}
    return dict(json.loads(sm.get_secret_value(SecretId=location)["SecretString"]))


def test_a_mistyped_source_with_prune_removes_nothing(
    run: RunStagecraft, target: str, sm: Any, ssm: Any
) -> None:
    typo = target.replace("/prod", "/prd")
    result = sync(run, "--from", typo, "--to", target, "--prune")
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert f"error: {typo}: the source does not exist" in result.stderr
    assert current(target, sm, ssm) == VALUES


def test_an_empty_source_with_prune_is_refused(
    run: RunStagecraft, tmp_path: Path, target: str, sm: Any, ssm: Any
) -> None:
    (tmp_path / ".env.empty").write_text("")
    refused = sync(run, "--from", ".env.empty", "--to", target, "--prune")
    assert refused.exit_code == 1
    assert "the source has no selected key" in refused.stderr
    assert current(target, sm, ssm) == VALUES


def test_a_value_rotated_in_aws_is_not_reverted_by_a_stale_source(
    run: RunStagecraft, target: str, sm: Any, ssm: Any
) -> None:
    rotate(target, sm, ssm)

    stale = sync(run, "--from", ".env", "--to", target)
    assert (stale.exit_code, stale.stdout) == (1, "= A\n! DB_PASSWORD\n"), stale.stderr
    assert current(target, sm, ssm) == {**VALUES, "DB_PASSWORD": ROTATED}
    check = sync(run, "--from", ".env", "--to", target, "--check")
    assert check.exit_code == 4
    for result in (stale, check):
        assert ROTATED not in result.stdout + result.stderr

    forced = sync(run, "--from", ".env", "--to", target, "--force")
    assert (forced.exit_code, forced.stdout) == (0, "= A\n~ DB_PASSWORD\n"), forced.stderr
    assert current(target, sm, ssm) == VALUES
