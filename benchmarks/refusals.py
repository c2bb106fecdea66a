"""Refused keys: stderr and memory of a whole ``stagecraft`` process, against fixed budgets.

A refusal must grow linearly with the number of keys (issue 20, item 5:
2,000 keys once printed 38.6 MB of stderr, and 100,000 keys used 23.9 GB).
Two syncs of ``keys`` keys, each a fresh process, each refused before any
write:

* per key: every value holds ``${...}``, which python-dotenv (one of the
  envfile target's default readers) would expand, so the envfile store
  refuses each key; the keys share one reason, stated once, a line per key;
* whole: the same number of keys into one Vault secret, more fields than
  one write may carry (an OpenBao dev server, started here and stopped by
  process id; the client's ``max_request_strings`` set to its least, so
  small smoke runs are refused too): one message.

Each is measured as the bytes of stderr against a budget of 10 MB and the
child's peak resident memory (``wait4``'s ``ru_maxrss``, taken by a small
parent process of its own: see ``_PEAK_OF_CHILD``) against 1 GB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Row, cost_row
from benchmarks.startup import clean_env, console_script

STDERR_BUDGET = 10_000_000
PEAK_BUDGET = 1_000_000_000


def _env_file(path: Path, keys: int) -> None:
    """``keys`` keys whose values python-dotenv would expand (single-quoted: read as written)."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(keys):
            out.write(f"REFUSED_{i:06d}='v{i}-${{HOME}}'\n")


#: Runs its arguments as a child (stdout discarded); prints the child's exit status and
#: peak RSS (KiB).
#: Started first, small, so the measured process is its child: Linux starts a forked
#: child's ``ru_maxrss`` at its parent's resident size, and the benchmark process
#: may hold a gigabyte by now (the 1M-key scaling row), which would be counted.
_PEAK_OF_CHILD = (
    "import os, subprocess, sys; "
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "_, status, usage = os.wait4(p.pid, 0); "
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)"
)


def _measure(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, int, int]:
    """Exit status, stderr bytes and peak resident bytes of one ``stagecraft`` process."""
    with tempfile.TemporaryFile() as err:
        done = subprocess.run([sys.executable, "-c", _PEAK_OF_CHILD, str(console_script()),
                               *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=err, check=True, text=True)
        code, peak_kib = (int(word) for word in done.stdout.split())
        size = err.seek(0, os.SEEK_END)
    return code, size, peak_kib * 1024


def _rows(what: str, keys: int, code: int, size: int, peak: int) -> list[Row]:
    if code != 1:
        raise AssertionError(f"{what}: the refused sync exited {code}, not 1")
    return [
        cost_row(f"refusal, {what}, {keys} keys: stderr", size, "budget 10 MB",
                 STDERR_BUDGET, 1.0, unit="B", what="budget"),
        cost_row(f"refusal, {what}, {keys} keys: peak memory (RSS)", peak, "budget 1 GB",
                 PEAK_BUDGET, 1.0, unit="B", what="budget"),
    ]


def run(keys: int) -> list[Row]:
    """The per-key and whole-write refusal rows for ``keys`` keys."""
    from stagecraft.testing.servers.openbao import dev_server

    rows: list[Row] = []
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-refusals-") as raw:
        root = Path(raw)
        _env_file(root / "big.env", keys)
        code, size, peak = _measure(
            ["secrets", "sync", "--provider", "envfile", "--from", "big.env", "--to", "out.env"],
            root, {**env, "STAGECRAFT_LOAD_PLUGINS": "envfile"})
        rows += _rows("a reason per key (envfile)", keys, code, size, peak)
        if (root / "out.env").exists():
            raise AssertionError("the refused sync wrote its target")
        # The client's limit, as small as it may be: the same one message at any size.
        (root / "stagecraft.yml").write_text(
            "secrets:\n  providers:\n    vault:\n      max_request_strings: 10\n",
            encoding="utf-8")
        with dev_server() as server:
            code, size, peak = _measure(
                ["secrets", "sync", "--from", "big.env", "--to", "vault:secret/bench-refused"],
                root, {**env, **server.env(), "STAGECRAFT_LOAD_PLUGINS": "envfile,vault"})
        rows += _rows("the whole write (vault fields)", keys, code, size, peak)
    return rows


if __name__ == "__main__":
    from benchmarks.harness import table

    print(table(run(100_000)))
