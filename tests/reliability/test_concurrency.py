"""Concurrency: 8 processes syncing their own keys into one target, many times over.

Each worker is a separate Python process that, round after round, rewrites
its own source file with new values and runs ``stagecraft secrets sync``
(``stagecraft.cli.main`` in-process, so the rounds are not dominated by
interpreter start-up; the processes still contend for the real file lock).
At the end every key of every worker must hold that worker's last value:
a read-modify-write that lost another process's update would show here.
In the env file run the audit_log example plugin is active too, and its log
must hold exactly one whole JSON line per sync.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import reliability_helpers as h

from stagecraft_encore import cue

WORKERS = 8
ROUNDS = h.scaled(30, 300)
KEYS_PER_WORKER = 4

WORKER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    from stagecraft import dotenv
    from stagecraft.cli import main

    worker, rounds, keys = (int(arg) for arg in sys.argv[1:4])
    sync_args = sys.argv[4:]
    source = Path(f"source{worker}.env")
    # Start together: imports done, wait for the go signal.
    Path(f"ready{worker}").touch()
    while not Path("go").exists():
        time.sleep(0.002)
    for round_ in range(rounds):
        document = dotenv.new_document()
        for key in range(keys):
            document.set(f"W{worker}_K{key}", f"w{worker}-r{round_}-k{key} value")
        source.write_bytes(document.to_bytes())
        code = main([*sync_args, "--from", source.name])
        if code != 0:
            sys.exit(f"worker {worker}: round {round_} exited {code}")
    """
)


def _expected() -> dict[str, str]:
    return {
        f"W{w}_K{k}": f"w{w}-r{ROUNDS - 1}-k{k} value"
        for w in range(WORKERS)
        for k in range(KEYS_PER_WORKER)
    }


def _run_workers(cwd: Path, sync_args: list[str]) -> None:
    env = h.base_env({"STAGECRAFT_AUDIT_LOG": "audit.jsonl"})
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(w), str(ROUNDS), str(KEYS_PER_WORKER), *sync_args],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for w in range(WORKERS)
    ]
    deadline = time.monotonic() + 120
    while not all((cwd / f"ready{w}").exists() for w in range(WORKERS)):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(proc.poll() is None for proc in procs), "a worker died before starting"
        time.sleep(0.01)
    (cwd / "go").touch()
    failures = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(err.decode())
    assert not failures, "\n".join(failures)


def test_no_lost_update_in_a_shared_env_file(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    target = tmp_path / "shared.env"
    target.write_bytes(b"# written by hand\nHAND_MADE=keep me\n")
    # The audit_log example plugin appends one line per sync from every process.
    (tmp_path / "audit").mkdir()
    shutil.copy(h.EXAMPLE_PLUGINS / "audit_log.py", tmp_path / "audit" / "audit_log.py")
    _run_workers(tmp_path, ["-q", "--plugins-dir", "audit", "secrets", "sync", "--provider",
                            "envfile", "--to", target.name])

    values = h.read_env(target)
    assert values == {"HAND_MADE": "keep me", **_expected()}
    assert target.read_bytes().startswith(b"# written by hand\nHAND_MADE=keep me\n")
    assert h.temporaries(tmp_path) == []
    # Concurrent appends never interleave: one whole JSON line per sync.
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == WORKERS * ROUNDS
    assert all(record["outcome"] == "ok" for record in records)
    record_property("syncs", WORKERS * ROUNDS)
    print(f"\nconcurrency envfile: {WORKERS} processes x {ROUNDS} syncs, no lost key")


def test_no_lost_update_in_the_encore_override_file(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    # No stagecraft.yml: the app root is the working directory, which holds encore.app.
    (tmp_path / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")
    target = tmp_path / ".secrets.local.cue"
    target.write_text('// local overrides\nHandMade: "keep me"\n', encoding="utf-8")
    _run_workers(
        tmp_path, ["-q", "secrets", "sync", "--provider", "encore", "--to", ".secrets.local.cue"]
    )

    values = cue.parse(target.read_text(encoding="utf-8")).values()
    assert values == {"HandMade": "keep me", **_expected()}
    assert target.read_text(encoding="utf-8").startswith('// local overrides\nHandMade: "keep')
    assert h.temporaries(tmp_path) == []
    record_property("syncs", WORKERS * ROUNDS)
    print(f"\nconcurrency encore .cue: {WORKERS} processes x {ROUNDS} syncs, no lost key")
