"""The aws-sm store (one secret per key) against a sequential boto3 loop, over a slow link.

A real ``moto_server`` stands in for Secrets Manager, behind the tests' fault
proxy (``contrib/aws/tests/aws_fault_proxy.py``) set to add ``latency`` seconds to
every request, as a network round trip to AWS would.  Both contenders write
the same ``keys`` new secrets under a fresh prefix:

* stagecraft: ``stagecraft secrets sync --from .env --to aws-sm:PREFIX/`` run
  in-process (plan reads, then ``concurrency`` writes in flight);
* the baseline: what chamber-style tools do, one ``CreateSecret`` after another.

Rows: the speed-up over the baseline; the cost against the ideal,
``ceil(keys / concurrency) x latency`` plus the plan's reads (counted at the
proxy, each one round trip); the same sync with no added latency, for the
part of the gap that is moto's and the client's own time (informational);
and the requests a second sync makes when nothing changed (counted at the
proxy), against a budget of 15 for 200 keys.

On two cores the 0 ms row is the floor: moto spends 5-6 ms of CPU on each
request and boto3 about 3 ms, on the same cores as the proxy and the sync,
so 200 writes cost about 2 s of CPU whatever the latency; the ideal (1.05 s
at concurrency 10) ignores that time, which AWS spends on its own machines.

moto is reset before every run: it checks each new name against every secret
it holds, so runs would otherwise slow down as secrets pile up.  It also
fails a share of concurrent CreateSecret calls with a 500 (a race in its
secret table); the engine retries those, as it would AWS's 5xx.
"""

from __future__ import annotations

import math
import os
import tempfile
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.harness import Row, cost_row, median_times, speedup_row
from benchmarks.inprocess import load_test_helper, run_command

TESTS = Path(__file__).resolve().parent.parent / "contrib" / "aws" / "tests"
SPEEDUP_TARGET = 6.0
IDEAL_TARGET = 1.5
NO_CHANGE_BUDGET = 15
WRITES = ("CreateSecret", "PutSecretValue")


class Setup:
    """An app directory with ``keys`` secrets in ``.env``, and AWS reached through the proxy."""

    def __init__(self, root: Path, keys: int, proxy: Any, moto_url: str) -> None:
        self.root = root
        self.keys = keys
        self.proxy = proxy
        self.moto_url = moto_url
        self.values = {f"SECRET_{i:03d}": f"value-{i:03d}-not-a-real-secret" for i in range(keys)}
        (root / ".env").write_text(
            "".join(f"{key}={value}\n" for key, value in self.values.items()), encoding="utf-8"
        )
        self.prefix = ""

    def fresh(self) -> None:
        """An empty moto, so every run creates ``keys`` secrets; counters back to zero.

        moto checks a new name against every secret it holds (a linear scan),
        so without the reset each run would pay for the secrets of the runs before.
        """
        url = f"{self.moto_url}/moto-api/reset"  # http://127.0.0.1:PORT: our own moto
        request = urllib.request.Request(url, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            answer.read()
        self.prefix = f"bench-{uuid.uuid4().hex[:10]}/"
        self.proxy.faults.reset()

    def stagecraft(self) -> None:
        run_command(self.root, ["secrets", "sync", "--from", ".env",
                                "--to", f"aws-sm:{self.prefix}"])

    def sequential(self) -> None:
        """The baseline: a fresh client, then one CreateSecret per key, in turn."""
        import boto3

        client = boto3.client("secretsmanager")
        for key, value in self.values.items():
            client.create_secret(Name=self.prefix + key, SecretString=value)

    def writes(self) -> int:
        return sum(self.proxy.faults.calls[name] for name in WRITES)

    def written(self) -> int:
        """Secrets written at least once (retries of moto's 500s aside)."""
        return len({name for op, name in self.proxy.faults.attempts if op in WRITES})

    def reads(self) -> int:
        return self.proxy.faults.total() - self.writes()


def run(keys: int, latency: float, repeats: int, baseline_repeats: int) -> list[Row]:
    """The three rows (see the module doc); ``keys`` 0 runs nothing."""
    if keys <= 0:
        return []
    moto_server = load_test_helper(TESTS, "moto_server")
    aws_fault_proxy = load_test_helper(TESTS, "aws_fault_proxy")
    from stagecraft_aws.secretsmanager import SecretPerKeyStore

    concurrency = SecretPerKeyStore.concurrency
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-aws-") as raw:
        root = Path(raw)
        server = moto_server.MotoServer(root / "moto.log")
        try:
            server.wait_ready()
            faults = aws_fault_proxy.Faults(latency=latency)
            with aws_fault_proxy.FaultProxy(("127.0.0.1", server.port), faults) as proxy, \
                    mock.patch.dict(os.environ, moto_server.aws_environment(proxy.url, root)):
                setup = Setup(root, keys, proxy, server.url)
                reads: list[int] = []
                retried: list[int] = []  # writes retried after moto's own 500s

                def ours() -> None:
                    setup.stagecraft()
                    if setup.written() != keys:
                        raise AssertionError(f"expected {keys} secrets, saw {setup.written()}")
                    reads.append(setup.reads())
                    retried.append(setup.writes() - keys)

                timed = median_times([ours], repeats, setup=setup.fresh)
                baseline = median_times([setup.sequential], baseline_repeats, setup=setup.fresh)
                # Where a gap to the ideal comes from: the same sync with no added
                # latency costs moto's own time (one process, one request at a
                # time under its lock) plus the client's.
                faults.latency = 0.0
                floor = median_times([ours], repeats, setup=setup.fresh)
                faults.latency = latency
                # The same sync again, nothing changed: count its requests.
                setup.proxy.faults.reset()
                setup.stagecraft()
                no_change = setup.proxy.faults.total()
                no_change_writes = setup.writes()
        finally:
            server.stop()
    if no_change_writes:
        raise AssertionError(f"a sync with nothing to change wrote {no_change_writes} secrets")
    plan_reads = max(reads)
    ideal = (math.ceil(keys / concurrency) + plan_reads) * latency
    measured = timed.medians[0]
    name = f"aws-sm {keys} keys, one secret each, concurrency {concurrency}, " \
           f"{latency * 1000:g} ms a request"
    return [
        speedup_row(name, measured, f"sequential boto3 loop: {keys} CreateSecret calls",
                    baseline.medians[0], SPEEDUP_TARGET, runs=timed.runs),
        cost_row(f"{name} (moto 500s retried: {sum(retried)} in {len(retried)} runs)", measured,
                 f"ideal (ceil({keys}/{concurrency}) writes + {plan_reads} reads) x "
                 f"{latency * 1000:g} ms", ideal, IDEAL_TARGET, what="ideal", runs=timed.runs),
        cost_row(f"aws-sm {keys} keys, same sync with 0 ms added (moto + client cost only)",
                 floor.medians[0], f"ideal (ceil({keys}/{concurrency}) writes + {plan_reads} "
                 f"reads) x {latency * 1000:g} ms", ideal, None, what="ideal", runs=floor.runs),
        cost_row(f"aws-sm {keys} keys, sync with nothing changed: requests", no_change,
                 f"budget of {NO_CHANGE_BUDGET} requests", NO_CHANGE_BUDGET, 1.0,
                 unit="req", what="budget"),
    ]
