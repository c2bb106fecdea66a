"""Timeouts against the real server: what they bound, and what a timed-out write is reported as.

A write whose answer does not come in time may have been applied: its keys
are reported unknown, never "not written".  The configured ``timeout``
bounds a whole read or write, retries included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from vault_helpers import SilentServer, kv_get

from stagecraft.testing import write_env_file
from stagecraft.testing.fixtures import RunStagecraft
from stagecraft.testing.servers.openbao import DevServer

pytestmark = pytest.mark.usefixtures("vault_env")

pytest_plugins = ["stagecraft.testing"]

VALUES = {f"SLOW_{i}": f"slow-canary-{i}-Zq8" for i in range(4)}


@pytest.fixture
def slow_writes(bao: DevServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A proxy in front of the server that answers each write 4 s after the server applied it."""
    proxy = FaultProxy(bao.address, share=0.0, seed=0, write_delay=4.0)
    monkeypatch.setenv("VAULT_ADDR", proxy.address)
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_write_cut_short_by_the_timeout_is_reported_unknown(
    run_stagecraft: RunStagecraft, tmp_path: Path, bao: DevServer, path: str,
    slow_writes: FaultProxy,
) -> None:
    write_env_file(tmp_path / ".env", VALUES)
    run = run_stagecraft("secrets", "sync", "--from", ".env", "--to", f"vault:secret/{path}",
                         "--timeout", "2", "--json")
    assert run.exit_code == 2, run.stderr
    report = json.loads(run.stdout)
    assert report["failed"] == [], "a write that may have landed was reported not written"
    assert sorted(entry["key"] for entry in report["unknown"]) == sorted(VALUES)
    assert all(entry["reason"].startswith("may or may not have been written: ")
               for entry in report["unknown"])
    assert "not written" not in run.stderr
    assert "may or may not have been written" in run.stderr
    fields, version = kv_get(bao, path)
    assert (fields, version) == (VALUES, 1), "the server did apply the write"
    for value in VALUES.values():
        assert value not in run.stdout + run.stderr


def sync_to_silent_server(
    run_stagecraft: RunStagecraft, tmp_path: Path, silent_server: SilentServer,
    monkeypatch: pytest.MonkeyPatch, settings: str, *options: str,
) -> str:
    """A sync into a server that never answers, with these config ``settings``; its stderr."""
    monkeypatch.setenv("VAULT_ADDR", silent_server.address)
    write_env_file(tmp_path / ".env", VALUES)
    (tmp_path / "stagecraft.yml").write_text(
        f"secrets:\n  providers:\n    vault:\n{settings}      kv_version: 2\n", encoding="utf-8")
    run = run_stagecraft("secrets", "sync", "--from", ".env", "--to", "vault:secret/hung",
                         *options)
    assert run.exit_code == 2, run.stderr
    return run.stderr


def test_the_configured_timeout_bounds_a_read_retries_included(
    run_stagecraft: RunStagecraft, tmp_path: Path, silent_server: SilentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = sync_to_silent_server(run_stagecraft, tmp_path, silent_server, monkeypatch,
                                   "      timeout: 0.5\n")
    assert (f"vault: {silent_server.address} did not answer within 0.5 s "
            "(secrets.providers.vault.timeout) while reading secret/hung") in stderr
    # One request: neither the client nor the engine tried again past the timeout
    # (before, 4 tries by the client times 4 by the engine).
    assert len(silent_server.accepted) == 1


def test_the_deadline_during_the_plan_read_names_the_store_place_and_step(
    run_stagecraft: RunStagecraft, tmp_path: Path, silent_server: SilentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = sync_to_silent_server(run_stagecraft, tmp_path, silent_server, monkeypatch, "",
                                   "--timeout", "0.5")
    assert f"vault: {silent_server.address} did not answer within" in stderr
    assert "(the --timeout deadline) while reading secret/hung" in stderr
