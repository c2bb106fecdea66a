"""Row 1: parsing a .env file.

Contenders, all given the same generated text:

* ``stagecraft.dotenv.parse`` on the file's bytes (as ``load`` does: it decodes too);
* python-dotenv's ``dotenv_values(stream=..., interpolate=False)``, the parser most
  Python projects use;
* the floor: ``str.splitlines()`` plus ``str.partition("=")`` into a dict, which
  reads no quotes, comments or ``export`` at all.  No real parser can beat it; the
  target is to stay within a small factor of it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from dotenv import dotenv_values

from benchmarks.harness import Row, Timing, cost_row, median_times, speedup_row
from benchmarks.inputs import env_text
from stagecraft import dotenv

#: Targets apply at the largest size; smaller sizes are shown for the trend.
SPEEDUP_TARGET = 5.0
FLOOR_TARGET = 4.0


def floor_parse(text: str) -> dict[str, str]:
    """The least work that turns lines into a dict: the lower bound for any parser."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def python_dotenv_parse(text: str) -> dict[str, str | None]:
    return dotenv_values(stream=io.StringIO(text), interpolate=False)


def measure(count: int, repeats: int, budget: float | None = None) -> Timing:
    """Medians of (stagecraft, python-dotenv, floor) on a ``count``-key file."""
    text = env_text(count)
    data = text.encode("utf-8")
    ours = dotenv.parse(data).values()
    theirs = python_dotenv_parse(text)
    if ours != theirs:
        raise AssertionError(f"parsers disagree on the {count}-key input")
    return median_times(
        [lambda: dotenv.parse(data), lambda: python_dotenv_parse(text),
         lambda: floor_parse(text)],
        repeats,
        budget=budget,
    )


def label(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count >= 1000 and count % 1000 == 0:
        return f"{count // 1000}k"
    return str(count)


def run(
    sizes: Sequence[tuple[int, int]], budget: float | None = None
) -> tuple[list[Row], dict[int, float]]:
    """Rows for each ``(keys, repeats)``; also python-dotenv's median per size, for reuse.

    The largest size carries the targets; the others are informational.
    ``budget`` caps the seconds spent on each size (see :func:`median_times`).
    """
    rows: list[Row] = []
    python_dotenv_medians: dict[int, float] = {}
    largest = max(count for count, _ in sizes)
    for count, repeats in sizes:
        timing = measure(count, repeats, budget)
        ours, theirs, floor = timing.medians
        python_dotenv_medians[count] = theirs
        judged = count == largest
        rows.append(speedup_row(
            f"parse {label(count)} keys", ours, "python-dotenv dotenv_values", theirs,
            SPEEDUP_TARGET if judged else None, runs=timing.runs,
        ))
        rows.append(cost_row(
            f"parse {label(count)} keys", ours, "floor: splitlines+partition", floor,
            FLOOR_TARGET if judged else None, what="floor", runs=timing.runs,
        ))
    return rows, python_dotenv_medians
