"""Stores in any language: the exec protocol, with helpers written in bash (jq) and Node.

The two example helpers in plugins/exec pass the whole store contract suite;
the failure paths run small bash helpers written by each test: a helper that
hangs (and its child), one that prints something other than one JSON object,
one that answers another protocol version, one that exits without an
answer, one that fails transiently, one that echoes values in its errors
and on stderr, and one that fails some keys of a batch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import time
from pathlib import Path

import attrs
import pytest

from stagecraft.exec_command import commands_on_path, exec_command
from stagecraft.exec_protocol import (
    HelperFailedError,
    HelperProtocolError,
    HelperTimeoutError,
)
from stagecraft.exec_store import ExecStore
from stagecraft.providers.secrets import Context, PartialSyncError, Registry, SyncOptions
from stagecraft.testing import CANARY_VALUES, ExecStoreContract, write_env_file

HELPERS = Path(__file__).parent.parent / "plugins" / "exec"
SECRET = "exec-canary-Vq83LmZ2"


class TestJqHelper(ExecStoreContract):
    """A helper in bash and jq: no Python anywhere in the store."""

    command = (str(HELPERS / "stagecraft-store-jq"),)


class TestNodeHelper(ExecStoreContract):
    """A helper in Node with no dependencies."""

    command = (str(HELPERS / "stagecraft-store-node"),)


def test_the_helpers_need_their_languages() -> None:
    # The contract classes above run real bash+jq and node: their absence is a failure.
    assert shutil.which("jq"), "jq is missing: .ci/run installs it (Debian package jq)"
    assert shutil.which("node"), "node is missing"


# -- helpers written by the tests ------------------------------------------------------


def helper(tmp_path: Path, name: str, body: str) -> Path:
    """A bash helper ``name`` in ``tmp_path`` whose script is ``body``."""
    path = tmp_path / name
    path.write_text("#!/usr/bin/env bash\nset -u\nrequest=$(cat)\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return path


DESCRIBE = """
case $(printf '%s' "$request" | jq -r .op) in
  describe) echo '{"protocol": 1, "readable": true, "delete": false}'; exit 0 ;;
esac
"""


def store_of(path: Path, timeout: float = 30.0) -> ExecStore:
    return ExecStore(exec_command("t", {"command": [str(path)], "timeout": timeout}))


def context(tmp_path: Path, store: ExecStore) -> Context:
    return Context(cwd=tmp_path, logger=logging.getLogger("test.exec"), registry=Registry([store]))


def sync(tmp_path: Path, store: ExecStore, values: dict[str, str], **options: object):  # type: ignore[no-untyped-def]
    write_env_file(tmp_path / "source.env", values)
    opts = SyncOptions(source="source.env", target=str(tmp_path / "t.json"), **options)  # type: ignore[arg-type]
    return store.sync(context(tmp_path, store), opts)


# -- failures ------------------------------------------------------------------------


def test_a_hanging_helper_is_stopped_with_its_children(tmp_path: Path) -> None:
    path = helper(tmp_path, "hangs", DESCRIBE + f"""
echo $$ > {tmp_path}/pid
sleep 300 &
echo $! > {tmp_path}/child
wait
""")
    # Long enough for bash and jq to start on a loaded machine, so the child exists.
    store = store_of(path, timeout=5.0)
    ctx = context(tmp_path, store)
    with pytest.raises(HelperTimeoutError, match=r"exec store 't' .*no answer to read within 5 s"):
        store.read(ctx, "x", None)
    for name in ("pid", "child"):
        pid = int((tmp_path / name).read_text())
        assert not running(pid), f"the helper's {name} process was left running"


def running(pid: int) -> bool:
    """Whether ``pid`` is alive: a killed child reparented to init may linger as a zombie
    until init reaps it, which is dead all the same."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_deadline_bounds_a_call(tmp_path: Path) -> None:
    path = helper(tmp_path, "slow", DESCRIBE + "sleep 300\n")
    store = store_of(path, timeout=60.0)
    ctx = attrs.evolve(context(tmp_path, store), deadline=time.monotonic() + 0.5)
    with pytest.raises(HelperTimeoutError, match="no answer to read within"):
        store.read(ctx, "x", None)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("echo hello", "something other than one JSON object"),
        ("echo '{}{}'", "something other than one JSON object"),
        ("echo '[1, 2]'", "JSON that is not an object"),
        ("echo '{\"values\": {\"A\": 5}}'", "values that are not strings for A"),
        ("echo '{\"protocol\": 2, \"values\": {}}'", "answered read with protocol 2, not 1"),
        ("echo '{\"nothing\": 1}'", r'read must answer \{"values"'),
        ("exit 3", "exited with status 3 without an error answer"),
    ],
)
def test_a_broken_answer_is_one_error_naming_the_helper(
    tmp_path: Path, answer: str, message: str
) -> None:
    store = store_of(helper(tmp_path, "broken", DESCRIBE + answer + "\n"))
    with pytest.raises(HelperProtocolError, match=message) as info:
        store.read(context(tmp_path, store), "x", None)
    assert str(info.value).startswith("exec store 't' (")
    assert "exec-protocol.md" in str(info.value)


def test_describe_of_another_protocol_version_is_refused(tmp_path: Path) -> None:
    answer = """echo '{"protocol": 2, "readable": true, "delete": true}'\n"""
    store = store_of(helper(tmp_path, "v2", answer))
    with pytest.raises(HelperProtocolError, match="answered describe with protocol 2, not 1"):
        _ = store.readable


def test_a_transient_error_is_retried(tmp_path: Path) -> None:
    path = helper(tmp_path, "flaky", DESCRIBE + f"""
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{{"values": {{}}}}'; exit 0 ;;
esac
count=$(cat {tmp_path}/count 2>/dev/null || echo 0)
echo $((count + 1)) > {tmp_path}/count
if [ "$count" = 0 ]; then
  echo '{{"error": {{"message": "throttled, try again", "transient": true}}}}'; exit 1
fi
echo '{{}}'
""")
    result = sync(tmp_path, store_of(path), {"A": "a-value-1"})
    assert result.added == ("A",)
    assert (tmp_path / "count").read_text().strip() == "2", "the transient failure was not retried"


def test_a_failure_is_not_retried_and_its_message_is_masked(tmp_path: Path) -> None:
    path = helper(tmp_path, "echoes", DESCRIBE + f"""
count=$(cat {tmp_path}/count 2>/dev/null || echo 0)
echo $((count + 1)) > {tmp_path}/count
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{{"values": {{}}}}' ;;
  *) printf '%s' "$request" |
       jq '{{error: {{message: ("refused " + .values.A), transient: false}}}}'
     exit 1 ;;
esac
""")
    store = store_of(path)
    with pytest.raises(PartialSyncError) as info:
        sync(tmp_path, store, {"A": SECRET})
    assert "A" in info.value.failed
    assert SECRET not in str(info.value) + " ".join(info.value.failed.values())
    assert "refused" in info.value.failed["A"]
    assert (tmp_path / "count").read_text().strip() == "2", "a non-transient failure was retried"


def test_failed_keys_of_a_batch_are_reported_and_the_rest_synced(tmp_path: Path) -> None:
    path = helper(tmp_path, "quota", DESCRIBE + """
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{"values": {}}' ;;
  write) echo '{"failed": {"B": "over quota"}}' ;;
esac
""")
    store = store_of(path)
    with pytest.raises(PartialSyncError) as info:
        sync(tmp_path, store, {"A": "a-value-1", "B": "b-value-2"})
    assert info.value.failed == {"B": "not written: over quota"}
    assert info.value.result.added == ("A",)


def test_failed_keys_that_were_not_asked_for_are_a_protocol_error(tmp_path: Path) -> None:
    path = helper(tmp_path, "liar", DESCRIBE + """echo '{"failed": {"Z": "no"}}'\n""")
    store = store_of(path)
    with pytest.raises(HelperProtocolError, match='"failed" must map keys of the request'):
        store.write(context(tmp_path, store), "x", {"A": "a-value-1"})


def test_values_travel_on_stdin_only(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    path = helper(tmp_path, "spy", DESCRIBE + f"""
{{ printf '%s\\n' "$0" "$@"; env; }} >> {seen}
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{{"values": {{}}}}' ;;
  *) echo '{{}}' ;;
esac
""")
    store = store_of(path)
    result = sync(tmp_path, store, dict(CANARY_VALUES))
    assert set(result.added) == set(CANARY_VALUES)
    text = seen.read_text()
    leaked = [key for key, value in CANARY_VALUES.items() if value in text]
    assert not leaked, f"values of {leaked} reached a helper's argv or environment"


def test_a_helper_that_cannot_start_is_one_error(tmp_path: Path) -> None:
    store = store_of(tmp_path / "missing-helper")
    with pytest.raises(HelperFailedError, match=r"exec store 't' .*cannot start"):
        store.read(context(tmp_path, store), "x", None)


def test_what_a_helper_writes_to_stderr_is_shown_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = helper(tmp_path, "chatty", DESCRIBE + """
printf '%s' "$request" | jq -r '"writing " + (.values.A // "nothing")' >&2
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{"values": {}}' ;;
  *) echo '{}' ;;
esac
""")
    sync(tmp_path, store_of(path), {"A": SECRET})
    err = capsys.readouterr().err
    assert "writing " in err, "the helper's stderr was not shown"
    assert SECRET not in err


def test_config_reaches_the_helper(tmp_path: Path) -> None:
    seen = tmp_path / "config.json"
    path = helper(tmp_path, "config", DESCRIBE + f"""
printf '%s' "$request" | jq -c .config > {seen}
echo '{{"values": {{}}}}'
""")
    store = store_of(path)
    ctx = context(tmp_path, store).for_store({"region": "eu", "depth": 2})
    store.read(ctx, "x", None)
    assert json.loads(seen.read_text()) == {"region": "eu", "depth": 2}


# -- discovery ------------------------------------------------------------------------


def test_commands_on_path_first_directory_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for directory in (first, second):
        directory.mkdir()
        helper(directory, "stagecraft-store-shared", DESCRIBE)
    helper(second, "stagecraft-store-only-b", DESCRIBE)
    (first / "stagecraft-store-not-executable").write_text("")
    (first / "stagecraft-store-bad name").write_text("")
    (first / "stagecraft-store-bad name").chmod(stat.S_IRWXU)
    found = commands_on_path(os.pathsep.join([str(first), str(second), str(tmp_path / "none")]))
    assert sorted(found) == ["only-b", "shared"]
    assert found["shared"].argv == (str(first / "stagecraft-store-shared"),)


@pytest.mark.parametrize(
    ("name", "command", "message"),
    [
        ("", ["x"], "is not a store name"),
        ("a b", ["x"], "is not a store name"),
        ("ok", [], "non-empty list of words"),
        ("ok", "", "non-empty list of words"),
        ("ok", ["x", ""], "non-empty list of words"),
        ("ok", {"command": "x", "timeout": 0}, "timeout must be a positive number"),
        ("ok", {"command": "x", "timeout": True}, "timeout must be a positive number"),
        ("ok", {"command": "x", "retries": 2}, r"unknown key\(s\) retries"),
        ("ok", {"timeout": 3}, "non-empty list of words"),
    ],
)
def test_bad_exec_settings_are_refused(name: str, command: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        exec_command(name, command)


def test_a_command_string_is_split_like_a_shell_does() -> None:
    assert exec_command("ok", "node 'my store.js' --fast").argv == (
        "node", "my store.js", "--fast"
    )


def test_a_write_stopped_at_its_timeout_is_reported_unknown(tmp_path: Path) -> None:
    """The helper wrote, then hung: stopped at the timeout, its keys are unknown, never
    'not written' (the store holds them)."""
    landed = tmp_path / "landed"
    path = helper(tmp_path, "slow-writer", DESCRIBE + f"""
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{{"values": {{}}}}' ;;
  write) printf '%s' "$request" | jq -c .values > {landed}; sleep 300 ;;
esac
""")
    with pytest.raises(PartialSyncError) as info:
        sync(tmp_path, store_of(path, timeout=5.0), {"A": "a-value-1"})
    assert info.value.failed == {}
    assert list(info.value.unknown) == ["A"]
    assert "may or may not" in info.value.unknown["A"]
    assert json.loads(landed.read_text()) == {"A": "a-value-1"}, "the helper did not write"


def test_a_write_failing_keys_it_was_not_asked_about_is_reported_unknown(
    tmp_path: Path,
) -> None:
    """An exit 0 whose "failed" names a key outside the request is no answer the protocol
    knows: the helper may have written, so the keys are unknown, not "not written"."""
    path = helper(tmp_path, "confused", DESCRIBE + """
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{"values": {}}' ;;
  write) echo '{"failed": {"NOT_ASKED": "no"}}' ;;
esac
""")
    with pytest.raises(PartialSyncError) as info:
        sync(tmp_path, store_of(path), {"A": "a-value-1"})
    assert info.value.failed == {}
    assert list(info.value.unknown) == ["A"]
    assert '"failed" must map keys of the request' in info.value.unknown["A"]


def test_a_write_answered_outside_the_protocol_is_reported_unknown(tmp_path: Path) -> None:
    path = helper(tmp_path, "crashes", DESCRIBE + """
case $(printf '%s' "$request" | jq -r .op) in
  read) echo '{"values": {}}' ;;
  write) echo 'panic: half way'; exit 2 ;;
esac
""")
    with pytest.raises(PartialSyncError) as info:
        sync(tmp_path, store_of(path), {"A": "a-value-1"})
    assert info.value.failed == {}
    assert list(info.value.unknown) == ["A"]
