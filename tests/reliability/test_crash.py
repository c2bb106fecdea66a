"""Crash consistency: SIGKILL real ``stagecraft secrets sync`` processes at random moments.

Several victims at a time sync one of a few source files (a hundred and more
keys each) into one shared target (an env file with the envfile provider, and
``.secrets.local.cue`` with the encore provider), which also holds a large hand-written
part the sync must keep, so a write takes measurable time.  Batches
alternate between two ways of choosing the moment of the kills:

* random: each victim is killed after a random delay (the window adapts so
  that most victims die yet some complete, spreading kills over whole runs);
* on write: the directory is polled and every live victim is killed as soon
  as a write shows (a temporary file appears, or the target changes), so
  kills land inside the short window where a non-atomic write would tear
  the file.  A random moment almost never falls there.

After every batch the target must parse and hold either the state before the
batch or the state after one of its syncs (each sync writes every key, so a
completed sync leaves exactly "before plus that source").  After the last
batch, one ordinary sync must leave no temporary file behind.  Only kills
that hit a live process are counted.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import attrs
import pytest
import reliability_helpers as h

from stagecraft_encore import cue

KEYS = h.scaled(150, 800)
KILLS = {"envfile": h.scaled(200, 2000), "encore": h.scaled(50, 500)}
VICTIMS = 8  # processes per batch
SOURCES = 4
#: Hand-written lines the sync keeps (~300 kB), so every write takes a while.
NOTES = [f"hand-written note {n:05d} {'-' * 40}\n" for n in range(5000)]


@attrs.frozen
class Target:
    """The shared target of one provider: its file, its padding and how to read it."""

    provider: str
    name: str
    padding: str

    def read(self, path: Path) -> dict[str, str]:
        if self.provider == "envfile":
            return h.read_env(path)
        return cue.parse(path.read_text(encoding="utf-8"), name=str(path)).values()

    def initial(self) -> str:
        if self.provider == "envfile":
            return f"# shared target\n{self.padding}KEEP_ME=untouched\nexport KEY_0003=old\n"
        return f'// shared target\n{self.padding}KEEP_ME: "untouched"\nKEY_0003: "old"\n'


TARGETS = [
    Target("envfile", "target.env", "".join(f"# {note}" for note in NOTES)),
    Target("encore", ".secrets.local.cue", "".join(f"// {note}" for note in NOTES)),
]


def _source_values(index: int) -> dict[str, str]:
    rng = random.Random(index)
    filler = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(100))
    values = {f"KEY_{k:04d}": f"s{index}-{k}-{filler}" for k in range(KEYS)}
    # A few values that need quoting, so the writer's slower paths run too.
    values["KEY_0001"] = f"s{index} with spaces # and a hash"
    values["KEY_0002"] = f"s{index}\nsecond line\n"
    return values


def _fingerprint(target: Path) -> tuple[object, ...]:
    """Changes as soon as a write to ``target`` begins (temp file) or lands (new inode)."""
    temps = tuple(h.temporaries(target.parent))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return (temps, None)
    return (temps, info.st_ino, info.st_size, info.st_mtime_ns)


def _kill_on_write(victims: list[subprocess.Popen[bytes]], target: Path, limit: float) -> None:
    """Kill every live victim at the first sign of a write (or when ``limit`` s passed)."""
    start = _fingerprint(target)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and any(proc.poll() is None for proc in victims):
        if _fingerprint(target) != start:
            break
    for proc in victims:
        proc.send_signal(signal.SIGKILL)


def _kill_at_random(victims: list[subprocess.Popen[bytes]], start: float, window: float,
                    rng: random.Random) -> None:
    kills = sorted((rng.uniform(0.15 * window, window), i) for i in range(len(victims)))
    for delay, index in kills:
        pause = start + delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        victims[index].send_signal(signal.SIGKILL)  # harmless after exit (not yet reaped)


@pytest.mark.parametrize("kind", TARGETS, ids=[t.provider for t in TARGETS])
def test_sigkilled_syncs_leave_the_old_or_the_new_target(
    kind: Target, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    rng = random.Random(20261126)
    sources = [h.write_env(tmp_path / f"source{i}.env", _source_values(i)) for i in range(SOURCES)]
    source_values = [h.read_env(path) for path in sources]
    (tmp_path / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")
    target = tmp_path / kind.name
    target.write_text(kind.initial(), encoding="utf-8")
    target.chmod(0o640)
    wanted = KILLS[kind.provider]

    def args(index: int) -> list[str]:
        return ["secrets", "sync", "--provider", kind.provider, "--from", sources[index].name,
                "--to", target.name]

    window = 0.5  # random mode: adapted after each batch
    env = h.base_env()
    counts = dict.fromkeys(("random", "on write"), 0)
    live_kills = completed = batches = mid_write = changed = 0
    max_batches = 6 * wanted // VICTIMS
    while live_kills < wanted and batches < max_batches:
        batches += 1
        mode = "on write" if batches % 2 else "random"
        before = kind.read(target)
        chosen = [rng.randrange(SOURCES) for _ in range(VICTIMS)]
        start = time.monotonic()
        victims = [
            subprocess.Popen(h.command(*args(i)), cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for i in chosen
        ]
        if mode == "random":
            _kill_at_random(victims, start, window, rng)
        else:
            _kill_on_write(victims, target, limit=30)
        killed = 0
        for proc in victims:
            _, err = proc.communicate(timeout=60)
            if proc.returncode == -signal.SIGKILL:
                killed += 1
            else:
                assert proc.returncode == 0, err.decode()
                completed += 1
        live_kills += killed
        counts[mode] += killed
        if mode == "random" and killed < 0.75 * VICTIMS:
            window *= 0.85
        elif mode == "random" and killed == VICTIMS:
            window = min(window * 1.1, 5.0)
        mid_write += bool(h.temporaries(tmp_path))

        after = kind.read(target)  # parses: raises on a torn file
        allowed = [before] + [{**before, **source_values[i]} for i in set(chosen)]
        assert after in allowed, f"batch {batches} ({mode}): target is neither before nor after"
        changed += after != before
        assert kind.padding in target.read_text(encoding="utf-8")
        assert target.stat().st_mode & 0o777 == 0o640

    assert live_kills >= wanted, f"only {live_kills} kills hit a live process in {batches} batches"

    final = h.run(*args(0), cwd=tmp_path)
    assert final.code == 0, final.describe()
    assert h.temporaries(tmp_path) == []
    assert kind.read(target) == {**after, **source_values[0]}
    assert kind.read(target)["KEEP_ME"] == "untouched"

    record_property("live_kills", live_kills)
    print(
        f"\ncrash {kind.provider} {kind.name}: {live_kills} SIGKILLs hit live syncs "
        f"({counts['random']} at random moments, "
        f"{counts['on write']} at the first sign of a write; {completed} syncs completed, "
        f"{batches} batches, the target changed in {changed}, a temporary file was left by a "
        f"kill in {mid_write}); "
        "the target was always the old or the new state"
    )
