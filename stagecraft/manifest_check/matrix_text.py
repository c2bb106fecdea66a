"""``secrets check``'s text output: a matrix of keys by environments, then what needs attention.

``✓`` present, ``✗`` missing, an en dash optional and absent, ``?`` not known
(the environment could not be checked).  Key names and environment names
only: a check never reads, let alone shows, a value.
"""

from __future__ import annotations

from stagecraft.colour import Palette
from stagecraft.errors import printable
from stagecraft.manifest_check.result import CheckResult, EnvironmentStatus, KeyStatus

MARKS = {
    KeyStatus.PRESENT: ("✓", "green"),
    KeyStatus.MISSING: ("✗", "red"),
    KeyStatus.OPTIONAL_ABSENT: ("\u2013", "dim"),  # an en dash
    KeyStatus.UNKNOWN: ("?", "yellow"),
}
_GAP = "  "


def render(result: CheckResult, palette: Palette | None = None) -> str:
    """The matrix and the notes below it, as lines of text (no trailing newline)."""
    paint = palette or Palette(False)
    names = [printable(report.name) for report in result.environments]
    keys = [printable(key) for key in result.keys]
    key_width = max([len("KEY"), *map(len, keys)])
    widths = [max(len(name), 1) for name in names]
    columns = [name.ljust(width) for name, width in zip(names, widths, strict=True)]
    header = _GAP.join(["KEY".ljust(key_width), *columns])
    lines = [paint.paint(header.rstrip(), "bold")]
    for key, shown in zip(result.keys, keys, strict=True):
        cells = []
        for report, width in zip(result.environments, widths, strict=True):
            mark, colour = MARKS[report.keys.get(key, KeyStatus.UNKNOWN)]
            cells.append(paint.paint(mark, colour) + " " * (width - 1))
        lines.append(_GAP.join([shown.ljust(key_width), *cells]).rstrip())
    if not result.keys:
        lines.append("(no keys declared or found)")
    for report, name in zip(result.environments, names, strict=True):
        if report.undeclared:
            listed = ", ".join(printable(key) for key in report.undeclared)
            lines.append(f"{name}: undeclared: {listed}")
        if report.absent:
            lines.append(f"{name}: {paint.paint(report.absent, 'yellow')}")
        if report.status is EnvironmentStatus.UNREADABLE:
            lines.append(f"{name}: {paint.paint('cannot read', 'red')}: {report.error}")
        elif report.status is EnvironmentStatus.CANNOT_CHECK:
            lines.append(f"{name}: {paint.paint(report.error, 'yellow')}")
    return "\n".join(lines)
