"""Throttling, 5xx and broken connections during writes: every value ends right,
or every key that was not written is named, with exit 2.

The proxy decides per resource and attempt (not per arrival order), so the
faults each key meets, and therefore the counts asserted here, are the same
however the engine's threads interleave.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_fault_proxy import Call

from stagecraft.testing import write_env_file
from stagecraft.testing.fixtures import RunResult, RunStagecraft

KEYS = 40
VALUES = {f"KEY_{i:02d}": f"value-{i:02d}" for i in range(KEYS)}
FIRST_TRY = ("throttle", "server", "reset", "lost", "pass")


def index(resource: str) -> int:
    return int(resource.rsplit("_", 1)[1])


def flaky(operations: tuple[str, ...]) -> Any:
    """Key i meets FIRST_TRY[i % 5] on its first write and, when i % 7 == 0, throttling again."""

    def decide(call: Call) -> str:
        if call.operation not in operations:
            return "pass"
        i = index(call.resource)
        if call.attempt == 1:
            return FIRST_TRY[i % len(FIRST_TRY)]
        if call.attempt == 2 and i % 7 == 0 and FIRST_TRY[i % len(FIRST_TRY)] != "pass":
            return "throttle"
        return "pass"

    return decide


def expected_faults() -> dict[str, int]:
    counts = dict.fromkeys(FIRST_TRY, 0)
    for i in range(KEYS):
        first = FIRST_TRY[i % len(FIRST_TRY)]
        counts[first] += 1
        if i % 7 == 0 and first != "pass":
            counts["throttle"] += 1
    return counts


@pytest.fixture
def run(tmp_path: Path) -> RunStagecraft:
    write_env_file(tmp_path / ".env", VALUES)
    return RunStagecraft(tmp_path)


def not_synced(result: RunResult) -> dict[str, str]:
    """The keys the error names under 'not synced', with their reasons.

    A reason of one key is on its line (``    KEY: reason``); a reason several
    keys share is stated once (``    reason:``), a line per key under it.
    """
    lines = result.stderr.split("not synced (", 1)[1].splitlines()[1:]
    found = {}
    shared = ""
    for line in lines:
        own = re.match(r"^\s{4}(KEY_\d\d): (.*)$", line)
        under = re.match(r"^\s{6}(KEY_\d\d)$", line)
        if own:
            found[own.group(1)] = own.group(2)
        elif under:
            found[under.group(1)] = shared
        elif line.startswith("    ") and line.endswith(":"):
            shared = line.strip()[:-1]
    return found


def test_parameter_store_survives_throttling_errors_and_resets(
    proxy: Any, run: RunStagecraft, prefix: str, ssm: Any
) -> None:
    proxy.faults.reset(flaky(("PutParameter",)))
    result = run("secrets", "sync", "--from", ".env", "--to", f"aws-ssm:/{prefix}/app/", "--json")
    assert result.exit_code == 0, result.stderr
    assert {c["action"] for c in json.loads(result.stdout)["changes"]} == {"added"}
    served = {fault: proxy.faults.served[("PutParameter", fault)] for fault in FIRST_TRY}
    expected = expected_faults()
    # Every key's last attempt, and one more for each 5xx of moto's own.
    expected["pass"] = KEYS + sum(proxy.faults.upstream_failures.values())
    assert served == expected
    stored: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"/{prefix}/app/", WithDecryption=True):
        stored.update({p["Name"].rsplit("/", 1)[1]: p["Value"] for p in page["Parameters"]})
    assert stored == VALUES


def test_secrets_manager_survives_the_same_on_create_and_put(
    proxy: Any, run: RunStagecraft, prefix: str, sm: Any
) -> None:
    target = f"aws-sm:{prefix}/app/"
    proxy.faults.reset(flaky(("CreateSecret",)))
    first = run("secrets", "sync", "--from", ".env", "--to", target)
    assert first.exit_code == 0, first.stderr
    # A "lost" create landed before its answer: its retry carries the same
    # idempotency token, so it is the same call to the service -- no error, no
    # second version.
    lost = [f"KEY_{i:02d}" for i in range(KEYS) if FIRST_TRY[i % 5] == "lost"]
    for key in lost:
        call = ("CreateSecret", f"{prefix}/app/{key}")
        tries = 3 if index(key) % 7 == 0 else 2  # throttled once more
        assert proxy.faults.attempts[call] == tries + proxy.faults.upstream_failures[call]
        versions = sm.list_secret_version_ids(SecretId=f"{prefix}/app/{key}")["Versions"]
        assert len(versions) == 1, key

    write_env_file(run._default_cwd / ".env", {k: v + "-new" for k, v in VALUES.items()})
    proxy.faults.reset(flaky(("PutSecretValue",)))
    second = run("secrets", "sync", "--from", ".env", "--to", target)
    assert second.exit_code == 0, second.stderr
    assert proxy.faults.count("throttle") == expected_faults()["throttle"]
    for key, value in VALUES.items():
        assert sm.get_secret_value(SecretId=f"{prefix}/app/{key}")["SecretString"] == \
            value + "-new"


def test_keys_that_cannot_be_written_are_named_and_the_rest_kept(
    proxy: Any, run: RunStagecraft, prefix: str, ssm: Any
) -> None:
    denied = {f"KEY_{i:02d}" for i in range(KEYS) if i % 6 == 0}
    always_throttled = {f"KEY_{i:02d}" for i in range(KEYS) if i % 13 == 5} - denied

    def decide(call: Call) -> str:
        if call.operation != "PutParameter":
            return "pass"
        key = call.resource.rsplit("/", 1)[1]
        if key in denied:
            return "deny"
        if key in always_throttled:
            return "throttle"
        return "throttle" if call.attempt == 1 and index(key) % 2 else "pass"

    proxy.faults.reset(decide)
    result = run("secrets", "sync", "--from", ".env", "--to", f"aws-ssm:/{prefix}/app/")
    assert result.exit_code == 2
    failed = not_synced(result)
    assert set(failed) == denied | always_throttled
    for key in denied:
        assert "access denied (AccessDeniedException on PutParameter)" in failed[key]
    for key in always_throttled:
        assert "throttled (ThrottlingException on PutParameter)" in failed[key]
        assert proxy.faults.attempts[("PutParameter", f"/{prefix}/app/{key}")] == 7  # 1 + 6
    stored: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"/{prefix}/app/", WithDecryption=True):
        stored.update({p["Name"].rsplit("/", 1)[1]: p["Value"] for p in page["Parameters"]})
    # Every key not named holds its value; no named key was written.
    assert stored == {k: v for k, v in VALUES.items() if k not in failed}


def test_the_plans_reads_are_retried_too(
    proxy: Any, run: RunStagecraft, prefix: str
) -> None:
    """A throttled or failed page restarts the read; the plan is still exact."""
    target = f"aws-sm:{prefix}/app/"
    assert run("secrets", "sync", "--from", ".env", "--to", target).exit_code == 0

    def decide(call: Call) -> str:
        if call.operation == "ListSecrets" and call.nth == 1:
            return "throttle"
        if call.operation == "BatchGetSecretValue" and call.nth == 2:
            return "server"
        return "pass"

    proxy.faults.reset(decide)
    result = run("secrets", "sync", "--from", ".env", "--to", target, "--json")
    assert result.exit_code == 0, result.stderr
    assert {c["action"] for c in json.loads(result.stdout)["changes"]} == {"unchanged"}
    # 40 keys: a page of names and two batches of values.  The throttled
    # listing is read again; then the failed second batch restarts the read.
    assert proxy.faults.calls["ListSecrets"] == 3
    assert proxy.faults.calls["BatchGetSecretValue"] == 4
    assert proxy.faults.calls["PutSecretValue"] == 0


def test_a_write_whose_answer_is_always_lost_is_reported_unknown(
    proxy: Any, run: RunStagecraft, prefix: str, ssm: Any
) -> None:
    """The write lands and the connection breaks before the answer, every time: the key may
    or may not be written, and is reported so, never as not written."""
    lost = {f"KEY_{i:02d}" for i in range(KEYS) if i % 8 == 0}

    def decide(call: Call) -> str:
        key = call.resource.rsplit("/", 1)[-1]
        return "lost" if call.operation == "PutParameter" and key in lost else "pass"

    proxy.faults.reset(decide)
    result = run("secrets", "sync", "--from", ".env", "--to", f"aws-ssm:/{prefix}/app/",
                 "--json")
    assert result.exit_code == 2, result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == []
    assert {entry["key"] for entry in report["unknown"]} == lost
    for entry in report["unknown"]:
        assert entry["reason"].startswith("may or may not have been written: "), entry
        assert "the connection broke during PutParameter" in entry["reason"]
    assert {change["key"] for change in report["changes"]} == set(VALUES) - lost
    stored: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"/{prefix}/app/", WithDecryption=True):
        stored.update({p["Name"].rsplit("/", 1)[1]: p["Value"] for p in page["Parameters"]})
    assert stored == VALUES, "the lost writes did land"


def test_timeout_bounds_a_call_the_endpoint_does_not_answer_in_time(
    proxy: Any, run: RunStagecraft, prefix: str, ssm: Any
) -> None:
    """Every answer takes 3 s and --timeout is 1 s: the plan's read is cut at the deadline
    and named (botocore's own limit, 30 s, would have let it finish, and the sync would
    then have found the deadline gone with every key unwritten)."""
    proxy.faults.latency = 3.0
    result = run("secrets", "sync", "--from", ".env", "--to", f"aws-ssm:/{prefix}/app/",
                 "--timeout", "1")
    assert result.exit_code == 2, result.stderr
    assert "no answer came in time during GetParametersByPath" in result.stderr, result.stderr
    assert "not synced" not in result.stderr  # stopped at the read: nothing was tried
    proxy.faults.latency = 0.0
    assert ssm.get_parameters_by_path(Path=f"/{prefix}/app/")["Parameters"] == []
