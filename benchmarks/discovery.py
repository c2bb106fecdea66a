"""Row 6: building the provider registry as local plugins pile up.

For each count, a directory of that many plugin files, each contributing one
provider, is loaded with ``load_plugin_manager(PluginSettings(dirs=...,
entry_points=False))`` and ``build_registry()`` is called: that is the work
the command does before any sync.  Installed entry points are left out so the
count is exact.  The fixed cost (a manager with an empty plugin directory) is
measured too and taken off, so the per-plugin cost compares like with like;
the smallest count is the reference, and a linear build keeps the ratio near 1.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from benchmarks.harness import Row, cost_row, median_times
from benchmarks.parsing import label
from stagecraft.plugins import PluginSettings, load_plugin_manager

LINEAR_TARGET = 1.5

PLUGIN_SOURCE = '''\
"""Benchmark plugin {index}: one provider that is never synced."""

import stagecraft


class Provider:
    id = "bench{index:04d}"

    def sync(self, ctx, opts):
        raise NotImplementedError


PROVIDER = Provider()


@stagecraft.hookimpl
def secrets_provider_register():
    return PROVIDER
'''


def write_plugins(directory: Path, count: int) -> None:
    directory.mkdir()
    for index in range(count):
        (directory / f"plugin_{index:04d}.py").write_text(
            PLUGIN_SOURCE.format(index=index), encoding="utf-8"
        )


def build(directory: Path, expected: int) -> None:
    """Load the directory's plugins and build the registry, as the command would."""
    settings = PluginSettings(dirs=(directory,), entry_points=False)
    registry = load_plugin_manager(settings).build_registry()
    if len(registry.ids()) != expected:
        raise AssertionError(f"expected {expected} providers, got {len(registry.ids())}")


def run(sizes: Sequence[tuple[int, int]]) -> list[Row]:
    """A row per ``(plugins, repeats)``: per-plugin cost against the smallest count's."""
    marginal: dict[int, float] = {}
    totals: dict[int, float] = {}
    runs: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="stagecraft-bench-plugins-") as raw:
        root = Path(raw)
        empty = root / "empty"
        write_plugins(empty, 0)
        for count, repeats in sizes:
            directory = root / f"plugins-{count}"
            write_plugins(directory, count)
            build(directory, count)  # warm-up: writes __pycache__, checks the count
            timing = median_times(
                [partial(build, empty, 0), partial(build, directory, count)], repeats
            )
            totals[count] = timing.medians[1]
            # The median of each round's difference (not the difference of the
            # medians): the two runs of a round saw the same machine load.
            fixed_runs, plugin_runs = timing.samples
            extra = statistics.median(b - a for a, b in zip(fixed_runs, plugin_runs, strict=True))
            marginal[count] = max(extra, 1e-9) / count
            runs[count] = timing.runs
    smallest = min(marginal)
    rows: list[Row] = []
    for count, _ in sizes:
        rows.append(cost_row(
            f"registry build, {label(count)} local plugins (total {totals[count] * 1000:.1f} ms), "
            "per plugin",
            marginal[count], f"per plugin at {label(smallest)}", marginal[smallest],
            LINEAR_TARGET if count != smallest else None, what="per-plugin cost",
            runs=runs[count],
        ))
    return rows
