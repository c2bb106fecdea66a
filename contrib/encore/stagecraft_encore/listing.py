"""What ``encore secret list KEY...`` says, and what ``set`` will do given that.

The CLI has no JSON output, so this module reads its table, as printed by
Go's ``tabwriter`` (columns padded with at least three spaces)::

    ID              Secret Key   Environment(s)
    secgrp_abc...   MySecret     type:development, type:local
    secgrp_old...   MySecret     type:production   (archived)

one line per secret *group*; selectors are ``type:<type>`` or ``env:<slug>``
joined by ``", "``; archived groups come last, marked ``(archived)``.  Any
other line is refused rather than guessed at: a plan built on a misread
table would be worse than no plan.

From a key's groups and the requested selection, :func:`classify` predicts
``set`` exactly as the CLI's server decides: a group with the same selector
set gets a new version (updated, archived or not); no group sharing a
selector means a new group (added); a group sharing some selectors but not
all makes ``set`` fail (a conflict).  Values never appear in this output.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable

import attrs

from stagecraft_encore.errors import ListFormatError
from stagecraft_encore.targets import ENV_PREFIX, TYPES, CliTarget

__all__ = [
    "Group", "ListFormatError", "Prediction", "classify", "location_of", "parse_list",
    "selectors_of",
]

HEADER = ("ID", "Secret Key", "Environment(s)")
ARCHIVED = "(archived)"
TYPE_PREFIX = "type:"

# Columns are separated by tabwriter padding (3+ spaces) or a tab; a single
# space only ever appears inside the ", "-joined selector list.
_COLUMNS = re.compile(r"\t+| {2,}")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SELECTOR = re.compile(rf"type:(?:{'|'.join(TYPES)})|env:[^\s,]+")


@attrs.frozen
class Group:
    """One secret group of one key, as listed."""

    id: str
    key: str
    selectors: frozenset[str]
    archived: bool = False

    def describe(self) -> str:
        return ", ".join(sorted(self.selectors)) + (" (archived)" if self.archived else "")


class Prediction(enum.Enum):
    """What ``encore secret set`` would do for one key."""

    ADDED = "added"
    UPDATED = "updated"
    CONFLICT = "conflict"


def selectors_of(target: CliTarget) -> frozenset[str]:
    """The selectors a ``set`` with ``target`` requests, as ``list`` prints them."""
    return frozenset(
        [TYPE_PREFIX + name for name in target.types] + [ENV_PREFIX + name for name in target.envs]
    )


def location_of(selectors: Iterable[str]) -> str:
    """The ``--to`` that requests exactly ``selectors`` (types first, then ``env:``)."""
    chosen = set(selectors)
    types = [name for name in TYPES if TYPE_PREFIX + name in chosen]
    envs = sorted(s[len(ENV_PREFIX):] for s in chosen if s.startswith(ENV_PREFIX))
    parts = list(types)
    if envs:
        parts.append(ENV_PREFIX + ",".join(envs))
    return ",".join(parts)


def parse_list(text: str, keys: Collection[str]) -> dict[str, list[Group]]:
    """The groups of each of ``keys`` (absent keys map to no groups), or :class:`ListFormatError`.

    Empty output and a header alone both mean "no groups".
    """
    groups: dict[str, list[Group]] = {key: [] for key in keys}
    lines = [_ANSI.sub("", line).rstrip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return groups
    if tuple(_COLUMNS.split(lines[0])) != HEADER:
        raise ListFormatError("line 1: not the header `ID  Secret Key  Environment(s)`")
    for number, line in enumerate(lines[1:], start=2):
        cells = _COLUMNS.split(line.strip())
        archived = False
        if len(cells) == 4 and cells[3] == ARCHIVED:
            archived = True
            cells = cells[:3]
        elif len(cells) == 3 and cells[2].endswith(" " + ARCHIVED):
            archived = True
            cells[2] = cells[2][: -len(ARCHIVED) - 1].rstrip()
        if len(cells) != 3:
            raise ListFormatError(f"line {number}: expected ID, key and environments")
        group_id, key, environments = cells
        if key not in groups:
            raise ListFormatError(f"line {number}: a group of a key that was not asked for")
        selectors = environments.split(", ")
        if not all(_SELECTOR.fullmatch(selector) for selector in selectors):
            raise ListFormatError(
                f"line {number}: environments are not `type:T` or `env:NAME`, joined by `, `"
            )
        groups[key].append(Group(group_id, key, frozenset(selectors), archived))
    return groups


def classify(groups: Iterable[Group], wanted: frozenset[str]) -> tuple[Prediction, Group | None]:
    """What ``set`` does for a key with these groups, and the group it touches or clashes with."""
    groups = list(groups)
    for group in groups:
        if group.selectors == wanted:
            return Prediction.UPDATED, group
    for group in groups:
        if group.selectors & wanted:
            return Prediction.CONFLICT, group
    return Prediction.ADDED, None
