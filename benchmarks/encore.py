"""Row 4: the encore provider against one CLI call per key and per type, in sequence.

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

    def calls(self) -> int:
        return len(fake.read_log(str(self.log)))

    def provider_sync(self, concurrency: int) -> None:
        ctx = Context(cwd=self.app, config_dir=self.app)
        config = Config(encore_bin=str(self.binary), concurrency=concurrency)
        options = SyncOptions(config=config, source=".env", target=",".join(TYPES))
        result = EncoreProvider().sync(ctx, options)
        if len(result.keys_with(Action.ADDED)) != self.keys or self.calls() != self.keys:
            raise AssertionError("the encore provider did not set every key with one call")

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
        }
        with mock.patch.dict(os.environ, fake_settings):
            ours = median_times([lambda: setup.provider_sync(concurrency)], repeats,
                                setup=setup.reset)
            baseline = median_times([setup.sequential], baseline_repeats, setup=setup.reset)
            with mock.patch.dict(os.environ, {"FAKE_ENCORE_LATENCY": "0"}):
                overhead = median_times([lambda: setup.provider_sync(concurrency)], repeats,
                                        setup=setup.reset)
    ideal = math.ceil(keys / concurrency) * latency
    measured = ours.medians[0]
    name = (f"encore {keys} keys x {len(TYPES)} types, concurrency {concurrency}, "
            f"{latency * 1000:g} ms a call")
    return [
        speedup_row(
            name, measured, f"sequential: {keys * len(TYPES)} calls, one per key and type",
            baseline.medians[0], SPEEDUP_TARGET, runs=ours.runs,
        ),
        cost_row(
            name, measured, f"ideal ceil({keys}/{concurrency}) x {latency * 1000:g} ms", ideal,
            IDEAL_TARGET, what="ideal", runs=ours.runs,
        ),
        # Where a gap to the ideal comes from: the same sync with a fake that answers
        # at once costs only the fake CLI's process start-ups (sh + Python).
        cost_row(
            f"encore {keys} keys, same sync with the fake at 0 ms (process cost only)",
            overhead.medians[0],
            f"ideal ceil({keys}/{concurrency}) x {latency * 1000:g} ms", ideal,
            None, what="ideal", runs=overhead.runs,
        ),
    ]
