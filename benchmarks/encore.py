"""Row 4: the encore provider against one CLI call per key and per type, in sequence.

Also the plan: one ``encore secret list`` call for every key before any
``set`` (a dry run costs one call's latency, not one per key), and a
``--check`` of keys unchanged since the last sync (one ``list`` call, no
``set``: the write record says they are unchanged).  The write record goes
to a temporary ``XDG_STATE_HOME`` / ``XDG_CONFIG_HOME``, never the real home.

Both go through the same fake ``encore`` (``contrib/encore/tests/fake_encore.py``,
installed as an executable with this interpreter on its ``#!`` line) that
sleeps ``latency`` seconds per call, standing in for the network round trip.  The provider sets
all of a key's types in one call (``--type development,preview,local``) and
runs ``concurrency`` calls at a time; the baseline is the naive tool: a call
per key and per type, one after the other.  The ideal is
``ceil(keys / concurrency) x latency``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from types import ModuleType
from unittest import mock

from benchmarks.harness import Row, cost_row, median_times, speedup_row
from stagecraft.providers.secrets import Action, Context, SyncOptions
from stagecraft_encore.config import Config
from stagecraft_encore.provider import EncoreProvider

FAKE_SCRIPT = (
    Path(__file__).resolve().parent.parent / "contrib" / "encore" / "tests" / "fake_encore.py"
)


def _load_fake() -> ModuleType:
    """The fake CLI's module, for :func:`install` and :func:`read_log` (it is not a package)."""
    spec = importlib.util.spec_from_file_location("stagecraft_bench_fake_encore", FAKE_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {FAKE_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake = _load_fake()
TYPES = ("dev", "preview", "local")
SPEEDUP_TARGET = 15.0
IDEAL_TARGET = 1.3
#: The latency a dry run's plan adds, against one call's: one list call
#: (a call per key, 8 at a time, would be 8x for 60 keys).
PLAN_TARGET = 1.5


class Setup:
    """A temporary app with ``keys`` secrets in ``.env`` and the fake CLI wrapper."""

    def __init__(self, root: Path, keys: int) -> None:
        self.root = root
        self.keys = keys
        # The fake installed with this interpreter on its #! line: no shell in
        # between, so each call costs one process start, as a compiled binary would.
        self.binary = Path(fake.install(str(root / "bin")))
        self.app = root / "app"
        self.app.mkdir()
        (self.app / "encore.app").write_text("{}\n", encoding="utf-8")
        self.values = {f"SECRET_{i:03d}": f"value-{i:03d}-not-a-real-secret" for i in range(keys)}
        (self.app / ".env").write_text(
            "".join(f"{key}={value}\n" for key, value in self.values.items()), encoding="utf-8"
        )
        self.state = root / "state.marshal"
        self.log = root / "calls.marshal"

    def reset(self) -> None:
        """Forget what earlier runs stored, so every run creates the same secrets."""
        for path in (self.state, self.log):
            path.unlink(missing_ok=True)

    def calls(self, command: str | None = None) -> int:
        return sum(
            1 for call in fake.read_log(str(self.log))
            if command is None or call["argv"][:2] == ["secret", command]
        )

    def provider_sync(self, concurrency: int, **options: bool) -> dict[Action, int]:
        """One sync (or dry run / check with ``dry_run=True``); the count of each action."""
        ctx = Context(cwd=self.app, config_dir=self.app)
        config = Config(encore_bin=str(self.binary), concurrency=concurrency)
        opts = SyncOptions(config=config, source=".env", target=",".join(TYPES), **options)
        result = EncoreProvider().sync(ctx, opts)
        return {action: len(result.keys_with(action)) for action in Action}

    def full_sync(self, concurrency: int) -> None:
        counts = self.provider_sync(concurrency)
        if counts[Action.ADDED] != self.keys or self.calls("set") != self.keys:
            raise AssertionError("the encore provider did not set every key with one call")
        if self.calls("list") != 1:
            raise AssertionError("the plan did not come from one `encore secret list` call")

    def plan_only(self, concurrency: int, latency: str | None = None) -> None:
        with mock.patch.dict(os.environ, {} if latency is None else
                             {"FAKE_ENCORE_LATENCY": latency}):
            counts = self.provider_sync(concurrency, dry_run=True)
        if counts[Action.ADDED] != self.keys or self.calls() != 1:
            raise AssertionError("the dry run did not plan every key from one list call")

    def check_after_sync(self, concurrency: int) -> tuple[int, int]:
        """Sync, then ``--check``: the CLI calls the check made, and how many were ``set``."""
        self.reset()
        self.provider_sync(concurrency)
        self.log.unlink()
        counts = self.provider_sync(concurrency, dry_run=True)
        if counts[Action.UNCHANGED] != self.keys:
            raise AssertionError("--check right after a sync did not find every key unchanged")
        return self.calls(), self.calls("set")

    def sequential(self) -> None:
        """The baseline: ``encore secret set --type T KEY`` per key and type, in turn."""
        for key, value in self.values.items():
            for kind in TYPES:
                subprocess.run(
                    [str(self.binary), "secret", "set", "--type", kind, key],
                    input=value.encode(), cwd=self.app, check=True, capture_output=True,
                )
        if self.calls() != self.keys * len(TYPES):
            raise AssertionError("the sequential baseline did not make one call per key and type")


def run(
    keys: int, latency: float, concurrency: int, repeats: int, baseline_repeats: int
) -> list[Row]:
    """The provider against the sequential baseline and against the ideal.

    A third, informational row times the same sync when the fake answers at
    once (0 ms): what starting ``keys`` processes of the fake CLI costs on this
    machine, which no provider can avoid.  On two busy cores it is of the order
    of the ideal itself, and it overlaps the latency only partly.
    """
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-encore-") as raw:
        setup = Setup(Path(raw), keys)
        fake_settings = {
            "FAKE_ENCORE_STATE": str(setup.state),
            "FAKE_ENCORE_LOG": str(setup.log),
            "FAKE_ENCORE_LATENCY": str(latency),
            # The write record of these runs stays in the temporary directory.
            "XDG_CONFIG_HOME": str(Path(raw) / "config"),
            "XDG_STATE_HOME": str(Path(raw) / "state"),
        }
        with mock.patch.dict(os.environ, fake_settings):
            ours = median_times([lambda: setup.full_sync(concurrency)], repeats,
                                setup=setup.reset)
            # Interleaved with the same dry run against a fake that answers at
            # once: the difference is the latency the plan adds, without the
            # process start-ups that a loaded machine makes noisy.
            plan = median_times(
                [lambda: setup.plan_only(concurrency),
                 lambda: setup.plan_only(concurrency, latency="0")],
                repeats, setup=setup.reset,
            )
            baseline = median_times([setup.sequential], baseline_repeats, setup=setup.reset)
            with mock.patch.dict(os.environ, {"FAKE_ENCORE_LATENCY": "0"}):
                overhead = median_times([lambda: setup.full_sync(concurrency)], repeats,
                                        setup=setup.reset)
            check_calls, check_sets = setup.check_after_sync(concurrency)
    ms = f"{latency * 1000:g} ms"
    added = statistics.median(
        a - b for a, b in zip(plan.samples[0], plan.samples[1], strict=True)
    )
    ideal = (1 + math.ceil(keys / concurrency)) * latency
    ideal_name = f"ideal 1 list + ceil({keys}/{concurrency}) sets, x {ms}"
    measured = ours.medians[0]
    name = (f"encore {keys} keys x {len(TYPES)} types, concurrency {concurrency}, "
            f"{ms} a call")
    return [
        speedup_row(
            name, measured, f"sequential: {keys * len(TYPES)} calls, one per key and type",
            baseline.medians[0], SPEEDUP_TARGET, runs=ours.runs,
        ),
        cost_row(name, measured, ideal_name, ideal, IDEAL_TARGET, what="ideal", runs=ours.runs),
        # Where a gap to the ideal comes from: the same sync with a fake that answers
        # at once costs only the fake CLI's process start-ups (sh + Python).
        cost_row(
            f"encore {keys} keys, same sync with the fake at 0 ms (process cost only)",
            overhead.medians[0], ideal_name, ideal, None, what="ideal", runs=overhead.runs,
        ),
        # The plan (a dry run) asks Encore once for every key: one call's latency.
        cost_row(
            f"encore plan (dry run) of {keys} keys: latency it adds (vs same at 0 ms)",
            added, f"ideal: one `secret list` call, {ms}", latency,
            PLAN_TARGET, what="ideal", runs=plan.runs,
        ),
        cost_row(
            f"encore plan (dry run) of {keys} keys, {ms} a call",
            plan.medians[0], f"a call per key, {concurrency} at a time: "
            f"ceil({keys}/{concurrency}) x {ms}", math.ceil(keys / concurrency) * latency,
            None, what="of per-key calls", runs=plan.runs,
        ),
        # Counted, not timed: --check of keys unchanged since the last sync.
        cost_row(
            f"encore --check of {keys} unchanged keys: CLI calls ({check_sets} set)",
            check_calls, "one `secret list` call, no set", 1, 1.0, unit="calls",
            what="ideal",
        ),
    ]
