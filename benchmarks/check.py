"""The ``secrets check`` row: 4 environments of 200 declared keys, each read taking 50 ms.

A project whose ``stagecraft.yml`` names four environments in a local
plugin's store, ``latent``, whose every read waits ``latency`` seconds (what
a remote store costs per read) and answers the 200 declared keys.  Timed as
whole commands, the way CI runs them:

* ``stagecraft secrets check`` over the four environments;
* against, in the same run: ``stagecraft secrets list e4``, one read of one
  environment (all four are equally slow, so it is the slowest).

Target: at most 1.5x.  ``secrets check`` reads the environments
concurrently, so its cost is one read plus the comparison; four reads one
after another would add three more latencies (0.15 s here) to a command
that starts in about as long.  The ratio is the median of per-round ratios.

:func:`run_stores` is the same comparison over real stores: two env files,
a Vault path on an OpenBao dev server and an aws-sm prefix on a moto server
behind the tests' proxy adding ``latency`` to every AWS request, the
commands run in-process (their work, not the interpreter's start-up).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

from benchmarks.harness import Row, cost_row, median_times
from benchmarks.inprocess import load_test_helper, run_command
from benchmarks.startup import clean_env, console_script
from stagecraft.testing.servers.openbao import dev_server

AWS_TESTS = Path(__file__).resolve().parent.parent / "contrib" / "aws" / "tests"

TARGET = 1.5
ENVIRONMENTS = 4

PLUGIN = '''
import time

import stagecraft

LATENCY = {latency!r}
KEYS = {keys!r}


class Latent(stagecraft.SecretStore):
    """Every read waits LATENCY seconds, then answers KEYS keys."""

    id = "latent"

    def read(self, ctx, location, keys):
        time.sleep(LATENCY)
        return {{f"KEY_{{i:03d}}": f"value-{{location}}-{{i:03d}}" for i in range(KEYS)}}

    def write(self, ctx, location, values):
        raise NotImplementedError("read-only in this benchmark")


@stagecraft.hookimpl
def secrets_provider_register():
    return Latent()
'''


def project(root: Path, keys: int, latency: float) -> None:
    """The project: the plugin, and a manifest of ``ENVIRONMENTS`` environments and ``keys``
    declared keys."""
    (root / "plugins").mkdir()
    (root / "plugins" / "latent.py").write_text(PLUGIN.format(latency=latency, keys=keys),
                                                encoding="utf-8")
    environments = "".join(f"    e{n}: latent:e{n}\n" for n in range(1, ENVIRONMENTS + 1))
    declared = "".join(f"    KEY_{i:03d}: {{}}\n" for i in range(keys))
    (root / "stagecraft.yml").write_text(
        f"secrets:\n  environments:\n{environments}  keys:\n{declared}"
        "plugins:\n  dirs: [plugins]\n",
        encoding="utf-8",
    )


def run(keys: int, latency: float, repeats: int) -> list[Row]:
    """``secrets check`` over four environments against ``secrets list`` of one."""
    env = clean_env()
    stagecraft = str(console_script())
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-check-") as raw:
        root = Path(raw)
        project(root, keys, latency)

        def call(*argv: str) -> str:
            return subprocess.run([stagecraft, *argv], cwd=root, env=env, check=True,
                                  capture_output=True, text=True).stdout

        # A warm-up that checks both commands do the work timed.
        report = json.loads(call("secrets", "check", "--json"))
        if [e["status"] for e in report["environments"]] != ["checked"] * ENVIRONMENTS \
                or report["missing"]:
            raise AssertionError(f"secrets check did not check every environment: {report}")
        if len(call("secrets", "list", f"e{ENVIRONMENTS}").split()) != keys:
            raise AssertionError("secrets list did not list every key")
        timing = median_times(
            [
                lambda: call("secrets", "check"),
                lambda: call("secrets", "list", f"e{ENVIRONMENTS}"),
            ],
            repeats,
        )
    check, one_read = timing.medians
    return [
        cost_row(
            f"secrets check, {ENVIRONMENTS} environments x {keys} keys, "
            f"{latency * 1000:.0f} ms per read",
            check, "secrets list of the slowest environment", one_read, TARGET,
            what="one read", runs=timing.runs, ratio=timing.paired_ratio(0, 1),
        ),
    ]


#: The environments of :func:`run_stores`: name -> location.
STORES = {"dev": "envfile:.env.dev", "local": "envfile:.env.local",
          "staging": "vault:secret/app/staging", "prod": "aws-sm:app/prod/"}


def run_stores(keys: int, latency: float, repeats: int) -> list[Row]:
    """``secrets check`` over env files, OpenBao and moto against ``secrets list`` of the
    slower of the two servers' environments (timed in the same rounds)."""
    moto_server = load_test_helper(AWS_TESTS, "moto_server")
    aws_fault_proxy = load_test_helper(AWS_TESTS, "aws_fault_proxy")
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-check-stores-") as raw:
        root = Path(raw)
        moto = moto_server.MotoServer(root / "moto.log")
        try:
            moto.wait_ready()
            faults = aws_fault_proxy.Faults()
            with dev_server() as bao, \
                    aws_fault_proxy.FaultProxy(("127.0.0.1", moto.port), faults) as proxy, \
                    mock.patch.dict(os.environ, {**moto_server.aws_environment(proxy.url, root),
                                                 **bao.env(), "HOME": str(root)}):
                values = "".join(f"KEY_{i:03d}=value-{i:03d}\n" for i in range(keys))
                for name in (".env.dev", ".env.local", "all.env"):
                    (root / name).write_text(values, encoding="utf-8")
                declared = "".join(f"    KEY_{i:03d}: {{}}\n" for i in range(keys))
                environments = "".join(f"    {name}: {where}\n" for name, where in STORES.items())
                (root / "stagecraft.yml").write_text(
                    f"secrets:\n  environments:\n{environments}  keys:\n{declared}",
                    encoding="utf-8")
                for server_env in ("staging", "prod"):  # filled by a sync, before any latency
                    run_command(root, ["secrets", "sync", "--from", "all.env", "--to",
                                       STORES[server_env]])
                faults.latency = latency
                run_command(root, ["secrets", "check"])  # exits 0: every key everywhere
                timing = median_times(
                    [lambda: run_command(root, ["secrets", "check"]),
                     lambda: run_command(root, ["secrets", "list", "staging"]),
                     lambda: run_command(root, ["secrets", "list", "prod"])],
                    repeats,
                )
        finally:
            moto.stop()
    check, vault, aws = timing.medians
    slowest, index = ("prod (aws-sm)", 2) if aws >= vault else ("staging (vault)", 1)
    return [
        cost_row(
            f"secrets check, 2 env files + vault + aws-sm x {keys} keys, "
            f"{latency * 1000:.0f} ms per AWS request, in-process",
            check, f"secrets list of the slowest environment, {slowest}", timing.medians[index],
            TARGET, what="one read", runs=timing.runs, ratio=timing.paired_ratio(0, index),
        ),
    ]
