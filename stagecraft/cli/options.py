"""Options several commands share, defined once: where to read, which keys, and what a
shell offers to complete each value.

``secrets sync`` and ``run`` both read a source and select keys from it, so
``--from``, ``--exclude`` and the KEYS positional mean the same in both and
are declared here; every option whose value a shell should complete gets its
callback through :func:`completed`.
"""

from __future__ import annotations

import argparse
from typing import Any

from stagecraft.cli.completion import completer

__all__ = ["add_exclude", "add_keys", "add_source", "completed"]


def completed(parser: Any, kind: str | None, *names: str, **settings: Any) -> argparse.Action:
    """``parser.add_argument(*names, **settings)`` (``parser`` may be a group), whose values
    a shell completes as ``kind`` (see :func:`~stagecraft.cli.completion.completer`;
    ``None``: nothing, for values that are neither files nor names Stagecraft knows)."""
    action: argparse.Action = parser.add_argument(*names, **settings)
    action.completer = completer(kind) if kind else _nothing  # type: ignore[attr-defined]
    return action


def add_source(parser: Any, *, metavar: str, help: str) -> None:
    """``--from`` (``args.source``): where to read; ``parser`` may be a group."""
    completed(parser, "source", "--from", dest="source", default="", metavar=metavar, help=help)


def add_exclude(parser: argparse.ArgumentParser) -> None:
    """``--exclude PATTERN`` (repeatable; ``args.exclude``)."""
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="leave out keys matching PATTERN (a name or glob; repeatable)")


def add_keys(parser: argparse.ArgumentParser, *, help: str) -> None:
    """The KEY|PATTERN positionals (``args.keys``), which a shell does not complete."""
    completed(parser, None, "keys", nargs="*", metavar="KEY|PATTERN", help=help)


def _nothing(**_: object) -> list[str]:
    """No candidates: key names are not files, and COMMAND is the shell's to complete."""
    return []
