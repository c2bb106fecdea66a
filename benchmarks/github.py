"""The github store against a plain loop of PUTs, over a fake GitHub with a set latency.

The tests' fake of GitHub's API (``contrib/github/tests/fake_github.py``)
serves on 127.0.0.1 and sleeps ``latency`` seconds in every request, as a
round trip to api.github.com would.  Both contenders write the same
``keys`` new repository secrets, one request at a time (GitHub's guidance):

* stagecraft: :meth:`SecretStore.sync` of an env file into
  ``github:octo/repo-N`` (a fresh repository each run) -- the names list,
  the public key, then one sealed ``PUT`` per key, and the write record;
* the baseline: a plain loop that already holds the public key and a kept-
  alive connection, sealing each value and sending its ``PUT``.

The target row compares the time *beyond the fake's latency*: the sync's
time less ``(keys + 2) x latency`` (its two extra requests are latency
too) against the loop's time less ``keys x latency``; both pay the fake's
own processing of every request.  An informational row shows the whole
``stagecraft secrets sync`` command in-process (plugin discovery, config,
output) on the same terms.  The last row counts the requests of a sync
that changes nothing: the names list only (one request per 100 names),
against a budget of those plus the public-key request; it must write nothing.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.harness import Row, cost_row, median_times
from benchmarks.inprocess import load_test_helper, run_command
from stagecraft.providers.secrets import Context, Registry, SyncOptions

TESTS = Path(__file__).resolve().parent.parent / "contrib" / "github" / "tests"
BEYOND_LATENCY_TARGET = 1.2


class Setup:
    """A source env file of ``keys`` secrets, and a fresh repository on the fake per run."""

    def __init__(self, root: Path, keys: int, fake: Any) -> None:
        from stagecraft_github.store import GitHubStore

        self.root = root
        self.keys = keys
        self.fake = fake
        self.values = {f"SECRET_{i:03d}": f"value-{i:03d}-not-a-real-secret" for i in range(keys)}
        (root / ".env").write_text(
            "".join(f"{key}={value}\n" for key, value in self.values.items()), encoding="utf-8"
        )
        self.store = GitHubStore()
        self.registry = Registry([self.store])
        self.runs = 0
        self.repository = ""

    def fresh(self) -> None:
        self.runs += 1
        self.repository = f"repo-{self.runs}"
        self.fake.add_repository("octo", self.repository)

    def stagecraft(self) -> None:
        ctx = Context(cwd=self.root, registry=self.registry)
        result = self.store.sync(ctx, SyncOptions(source=".env",
                                                  target=f"octo/{self.repository}"))
        if len(result.added) != self.keys:
            raise AssertionError(f"expected {self.keys} keys added, got {len(result.added)}")

    def command(self) -> None:
        run_command(self.root, ["secrets", "sync", "--from", ".env",
                                "--to", f"github:octo/{self.repository}"])

    def loop(self) -> None:
        """The baseline: the key already in hand, one kept-alive connection, one PUT a key."""
        self.loop_with(*self.key_in_hand())

    def key_in_hand(self) -> tuple[Any, str]:
        from nacl.public import PublicKey, SealedBox

        scope = self.fake.scope(f"octo/{self.repository}")
        return SealedBox(PublicKey(base64.b64decode(scope.public_key))), scope.key_id

    def loop_with(self, box: Any, key_id: str) -> None:
        host, port = self.fake.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Authorization": f"Bearer {self.fake.token}",
                   "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json"}
        try:
            for key, value in self.values.items():
                sealed = base64.b64encode(box.encrypt(value.encode())).decode()
                body = json.dumps({"encrypted_value": sealed, "key_id": key_id})
                connection.request("PUT", f"/repos/octo/{self.repository}/actions/secrets/{key}",
                                   body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 201:
                    raise AssertionError(f"the loop's PUT of {key} got {answer.status}")
        finally:
            connection.close()


def run(keys: int, latency: float, repeats: int) -> list[Row]:
    """The rows (see the module doc); ``keys`` 0 runs nothing."""
    if keys <= 0:
        return []
    fake_github = load_test_helper(TESTS, "fake_github")
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-github-") as raw, \
            fake_github.serving() as fake:
        root = Path(raw)
        environment = {"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": fake.token,
                       "XDG_STATE_HOME": str(root / "state"),
                       "XDG_CONFIG_HOME": str(root / "config")}
        with mock.patch.dict(os.environ, environment):
            setup = Setup(root, keys, fake)
            setup.fresh()
            setup.stagecraft()  # a warm-up that checks the sync works (and imports PyNaCl)
            fake.latency = latency
            timed = median_times([setup.stagecraft, setup.loop, setup.command], repeats,
                                 setup=setup.fresh)
            fake.latency = 0.0
            before = len(fake.seen())
            ctx = Context(cwd=root, registry=setup.registry)
            setup.store.sync(ctx, SyncOptions(source=".env", target=f"octo/{setup.repository}"))
            quiet = fake.seen()[before:]
    writes = [r for r in quiet if r.method != "GET"]
    if writes:
        raise AssertionError(f"a sync with nothing to change sent {len(writes)} writes")
    pages = math.ceil(keys / 100)
    ours, loop, command = timed.medians
    beyond = [max(1e-9, s - (keys + 2) * latency) / max(1e-9, b - keys * latency)
              for s, b in zip(timed.samples[0], timed.samples[1], strict=True)]
    beyond_command = [max(1e-9, c - (keys + 2) * latency) / max(1e-9, b - keys * latency)
                      for c, b in zip(timed.samples[2], timed.samples[1], strict=True)]
    loop_name = f"plain loop of {keys} PUTs, key in hand (beyond {keys} x latency)"
    ms = f"{latency * 1000:g} ms a request"
    return [
        cost_row(f"github sync {keys} new secrets, {ms} (beyond {keys + 2} x latency)",
                 ours - (keys + 2) * latency, loop_name, loop - keys * latency,
                 BEYOND_LATENCY_TARGET, what="the loop", runs=timed.runs,
                 ratio=statistics.median(beyond)),
        cost_row(f"same, whole `secrets sync` command in-process (beyond {keys + 2} x latency)",
                 command - (keys + 2) * latency, loop_name, loop - keys * latency, None,
                 what="the loop", runs=timed.runs, ratio=statistics.median(beyond_command)),
        cost_row(f"github sync {keys} keys, nothing changed: requests", len(quiet),
                 f"budget: {pages} list page(s) + 1 public key", pages + 1, 1.0, unit="req",
                 what="budget"),
    ]
