"""Crash consistency: SIGKILL real ``stagecraft secrets sync`` processes at random moments.

Several victims at a time sync one of a few source files (a few hundred keys
each, so a write takes measurable time) into one shared target and are killed
after a random delay.  After every batch the target must parse and hold
either the state before the batch or the state after one of its syncs (each
sync writes every key, so any completed sync leaves exactly "before plus that
source").  After the last batch, one ordinary sync must leave no temporary
file behind.  Only kills that hit a live process are counted.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import reliability_helpers as h

KEYS = h.scaled(150, 800)
KILLS = h.scaled(200, 2000)
VICTIMS = 8  # processes per batch
SOURCES = 4


def _source_values(index: int) -> dict[str, str]:
    rng = random.Random(index)
    filler = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(100))
    values = {f"KEY_{k:04d}": f"s{index}-{k}-{filler}" for k in range(KEYS)}
    # A few values that need quoting, so the writer's slower paths run too.
    values["KEY_0001"] = f"s{index} with spaces # and a hash"
    values["KEY_0002"] = f"s{index}\nsecond line\n"
    return values


def test_sigkilled_syncs_leave_the_old_or_the_new_target(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    rng = random.Random(20261126)
    sources = [h.write_env(tmp_path / f"source{i}.env", _source_values(i)) for i in range(SOURCES)]
    source_values = [h.read_env(path) for path in sources]
    target = tmp_path / "target.env"
    target.write_bytes(b"# shared target\nKEEP_ME=untouched\nexport KEY_0003=old\n")
    target.chmod(0o640)

    def args(index: int) -> list[str]:
        return ["secrets", "sync", "--provider", "envfile", "--from", sources[index].name,
                "--to", target.name]

    # The kill window adapts so that most victims die (a kill after exit is
    # wasted) yet some complete (so kills spread over the whole run, write included).
    window = 0.5

    env = h.base_env()
    live_kills = completed = batches = mid_write = 0
    max_batches = 6 * KILLS // VICTIMS
    while live_kills < KILLS and batches < max_batches:
        batches += 1
        before = h.read_env(target)
        chosen = [rng.randrange(SOURCES) for _ in range(VICTIMS)]
        start = time.monotonic()
        victims = [
            subprocess.Popen(h.command(*args(i)), cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for i in chosen
        ]
        kills = sorted((rng.uniform(0.15 * window, window), i) for i in range(VICTIMS))
        for delay, index in kills:
            proc = victims[index]
            pause = start + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            proc.send_signal(signal.SIGKILL)  # harmless if it already exited (not yet reaped)
        killed = 0
        for proc in victims:
            _, err = proc.communicate(timeout=60)
            if proc.returncode == -signal.SIGKILL:
                killed += 1
            else:
                assert proc.returncode == 0, err.decode()
                completed += 1
        live_kills += killed
        if killed < 0.75 * VICTIMS:
            window *= 0.85
        elif killed == VICTIMS:
            window = min(window * 1.1, 5.0)
        mid_write += bool(h.temporaries(tmp_path))

        after = h.read_env(target)  # parses: raises on a torn file
        allowed = [before] + [{**before, **source_values[i]} for i in set(chosen)]
        assert after in allowed, f"batch {batches}: target is neither before nor after a sync"
        assert target.stat().st_mode & 0o777 == 0o640

    assert live_kills >= KILLS, f"only {live_kills} kills hit a live process in {batches} batches"

    final = h.run(*args(0), cwd=tmp_path)
    assert final.code == 0, final.describe()
    assert h.temporaries(tmp_path) == []
    assert h.read_env(target) == {**after, **source_values[0]}
    assert h.read_env(target)["KEEP_ME"] == "untouched"

    record_property("live_kills", live_kills)
    print(
        f"\ncrash: {live_kills} SIGKILLs hit live syncs ({completed} syncs completed, "
        f"{batches} batches, temporaries left in {mid_write} batches); target always old or new"
    )
