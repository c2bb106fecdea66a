"""Rows for named syncs: 8 syncs of 25 keys in one ``stagecraft secrets sync``.

A project names 8 syncs (``secrets.syncs``), each copying its own env file of
``keys`` keys to its own target, in two kinds of target:

* ``latent``: a local plugin store answering every call (the read, each
  ``write_one``) after ``latency`` seconds, as a remote store does; it keeps
  nothing, so every run writes every key;
* ``envfile``: env files (the targets are restored before each run).

Against, in the same run:

* the same 8 syncs as 8 ``stagecraft secrets sync --from --to`` commands one
  after another (target: the named syncs >= 5x faster);
* one of them alone (they do the same work, so any one is the slowest), as a
  command (``--only``) and, for the latent store, in process
  (``stagecraft.sync_all()`` against ``stagecraft.sync()``): target <= 1.5x.
  Env files cost CPU, not waiting, so 8 of them in one process cost about 8
  of one: that in-process row is information only.

Ratios are medians of per-round ratios (:meth:`Timing.paired_ratio`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import stagecraft
from benchmarks.harness import Row, cost_row, median_times, speedup_row
from benchmarks.startup import clean_env, console_script

SYNCS = 8
COMMANDS_TARGET = 5.0
SINGLE_TARGET = 1.5

LATENT_PLUGIN = '''
import time
import stagecraft

LATENCY = {latency!r}

class Latent(stagecraft.SecretStore):
    """Answers every call after LATENCY seconds; keeps nothing."""

    id = "latent"
    writes_one_by_one = True
    concurrency = 8

    def read(self, ctx, location, keys):
        time.sleep(LATENCY)
        return {{}}

    def write_one(self, ctx, location, key, value):
        time.sleep(LATENCY)

@stagecraft.hookimpl
def secrets_provider_register():
    return Latent()
'''


def _project(root: Path, kind: str, keys: int, latency: float) -> list[tuple[str, str]]:
    """Write the project; the ``(--from, --to)`` of each sync."""
    (root / "plugins").mkdir()
    (root / "plugins" / "latent.py").write_text(LATENT_PLUGIN.format(latency=latency),
                                                encoding="utf-8")
    pairs = []
    lines = ["plugins:", "  dirs: [plugins]", "secrets:", "  syncs:"]
    for number in range(SYNCS):
        source = f"src-{number}.env"
        (root / source).write_text("".join(f"S{number}_KEY_{i:02d}=value-{number}-{i:02d}\n"
                                           for i in range(keys)), encoding="utf-8")
        target = f"latent:target-{number}" if kind == "latent" else f"envfile:target-{number}.env"
        pairs.append((source, target))
        lines += [f"    s{number}:", f"      from: ./{source}", f"      to: {target}"]
    (root / "stagecraft.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pairs


@contextlib.contextmanager
def _inside(root: Path) -> Iterator[None]:
    """In ``root``, with the write record under it (never the user's)."""
    cwd, state = Path.cwd(), os.environ.get("XDG_STATE_HOME")
    os.chdir(root)
    os.environ["XDG_STATE_HOME"] = str(root / "state")
    try:
        yield
    finally:
        os.chdir(cwd)
        if state is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = state


def _rows(kind: str, keys: int, latency: float, repeats: int, root: Path) -> list[Row]:
    pairs = _project(root, kind, keys, latency)
    env = {**clean_env(), "XDG_STATE_HOME": str(root / "state")}
    script = str(console_script())

    def command(*argv: str) -> Callable[[], None]:
        def call() -> None:
            subprocess.run([script, *argv], cwd=root, env=env, check=True, capture_output=True)
        return call

    def separate() -> None:
        for source, target in pairs:
            command("secrets", "sync", "--from", source, "--to", target)()

    def restore() -> None:  # env-file targets: absent, so every run writes every key
        for number in range(SYNCS):
            (root / f"target-{number}.env").unlink(missing_ok=True)

    def in_process_all() -> None:
        with _inside(root):
            results = stagecraft.sync_all()
        if not all(result.ok for result in results):
            raise AssertionError("a named sync failed in the benchmark")

    def in_process_one() -> None:
        with _inside(root):
            stagecraft.sync(*pairs[0])

    named = command("secrets", "sync")
    named()  # a warm-up that fails loudly if the project is wrong
    timing = median_times([named, separate, command("secrets", "sync", "--only", "s0"),
                           in_process_all, in_process_one], repeats, setup=restore)
    all_named, eight, single, inside_all, inside_one = timing.medians
    what = (f"latent store, {latency * 1000:g} ms a call" if kind == "latent"
            else "env files")
    label = f"{SYNCS} named syncs x {keys} keys ({what}), one command"
    in_process_target = SINGLE_TARGET if kind == "latent" else None
    return [
        speedup_row(label, all_named, f"{SYNCS} `secrets sync --from --to` commands", eight,
                    COMMANDS_TARGET, runs=timing.runs),
        cost_row(label, all_named, "one of them (`--only s0`)", single, SINGLE_TARGET,
                 what="one sync", runs=timing.runs, ratio=timing.paired_ratio(0, 2)),
        cost_row(f"{SYNCS} named syncs x {keys} keys ({what}), stagecraft.sync_all()",
                 inside_all, "one of them, stagecraft.sync()", inside_one, in_process_target,
                 what="one sync", runs=timing.runs, ratio=timing.paired_ratio(3, 4)),
    ]


def run(keys: int, latency: float, repeats: int) -> list[Row]:
    """The rows for both kinds of target."""
    rows = []
    for kind in ("latent", "envfile"):
        with tempfile.TemporaryDirectory(prefix=f"stagecraft-bench-named-{kind}-") as raw:
            rows += _rows(kind, keys, latency, repeats, Path(raw))
    return rows
