"""Fault injection: a proxy answers 500/429 or drops connections for a share of requests.

Each sync either completes with every value right, or fails with an error
naming every key it did not write (or remove); the secret is never left
half-written without the error saying so.  The proxy sits between the store
and the dev server; the tests check the server directly, around the proxy.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from vault_helpers import kv_get, kv_put, make_ctx

from stagecraft import retrying
from stagecraft.errors import StagecraftError
from stagecraft.providers.secrets import PartialSyncError, SyncOptions
from stagecraft.testing import write_env_file
from stagecraft.testing.servers.openbao import DevServer
from stagecraft_vault import client
from stagecraft_vault.store import VaultStore

pytestmark = pytest.mark.usefixtures("vault_env")

KEYS = 20


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same retries, shorter waits: the outcome does not depend on the delays."""
    monkeypatch.setattr(client, "BACKOFF", 0.005)
    monkeypatch.setattr(retrying, "BACKOFF", 0.005)


@pytest.fixture
def proxy_factory(bao: DevServer) -> Iterator[list[FaultProxy]]:
    proxies: list[FaultProxy] = []
    yield proxies
    for proxy in proxies:
        proxy.close()


def one_run(bao: DevServer, proxy: FaultProxy, tmp_path: Path, path: str, run: int,
            monkeypatch: pytest.MonkeyPatch) -> str:
    """One sync through ``proxy``; checks the outcome and says which it was."""
    before = {"KEEP": "kept", "K00": "old", "STALE": "to be pruned"}
    kv_put(bao, path, before)
    wanted = {f"K{i:02d}": f"run-{run}-value-{i}" for i in range(KEYS)}
    source = write_env_file(tmp_path / f"source-{run}.env", wanted)
    monkeypatch.setenv("VAULT_ADDR", proxy.address)
    ctx = make_ctx(tmp_path)
    options = SyncOptions(source=str(source), target=f"secret/{path}", prune=True,
                          exclude=("KEEP",))
    error: StagecraftError | None = None
    try:
        VaultStore().sync(ctx, options)
    except StagecraftError as exc:
        error = exc
    fields, _version = kv_get(bao, path)
    written = {key for key, value in wanted.items() if fields.get(key) == value}
    assert written in (set(), set(wanted)), "the secret was half-written"
    assert fields["KEEP"] == "kept"
    if error is None:
        assert written == set(wanted)
        assert "STALE" not in fields
        return "ok"
    message = str(error)
    assert error.exit_code == 2, message
    for value in wanted.values():
        assert value not in message
    assert bao.token not in message
    if fields == before and "writing" not in message:
        # Failed while reading (login, mount, the secret): nothing was planned or sent.
        assert any(step in message for step in ("reading", "looking up", "logging in")), message
        return "failed before writing"
    missing = (set(wanted) - written) | ({"STALE"} & set(fields))
    named = set(error.failed) | set(error.unknown) if isinstance(error, PartialSyncError) else {
        key for key in missing if key in message
    }
    assert missing <= named, f"not named: {sorted(missing - named)} in {message!r}"
    return "failed naming its keys"


@pytest.mark.parametrize(("share", "runs"), [(0.3, 25), (0.7, 15)])
def test_syncs_through_a_faulty_network(
    bao: DevServer, proxy_factory: list[FaultProxy], tmp_path: Path, path: str, share: float,
    runs: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    for run in range(runs):
        proxy = FaultProxy(bao.address, share, seed=run)
        proxy_factory.append(proxy)
        outcomes[one_run(bao, proxy, tmp_path, f"{path}-{run}", run, monkeypatch)] += 1
        faults.update(proxy.counts)
    assert sum(faults[kind] for kind in ("500", "429", "close", "lost")) > 0
    assert outcomes["ok"] > 0  # retries carry most syncs through
    print(  # the figures of the closing note (shown with -s)
        f"\nfault share {share}: {runs} syncs: {dict(sorted(outcomes.items()))}; "
        f"requests: {dict(sorted(faults.items()))}",
        file=sys.stderr,
    )
