"""The options every command takes, before the command or after it.

``stagecraft secrets sync -v`` means ``stagecraft -v secrets sync``: each
command repeats the global options under ``*_late`` names, and
:func:`merge_late` folds them into the ordinary ones, so that a late ``-p``
adds to an early one instead of replacing it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["COLOUR_MODES", "add_global_options", "colour_mode", "merge_late"]

_LATE = "_late"
COLOUR_MODES = ("auto", "always", "never")


def add_global_options(parser: Any, *, late: bool = False) -> None:
    """Add the global options to ``parser`` (or to a command's group, with ``late``)."""
    suffix = _LATE if late else ""

    def default(value: object) -> object:
        return argparse.SUPPRESS if late else value

    parser.add_argument(
        "--config", dest="config" + suffix, metavar="FILE", default=default(None),
        help="config file (default: stagecraft.yml here or in the nearest parent directory)",
    )
    parser.add_argument(
        "-p", dest="plugin_args" + suffix, action="append", default=default([]),
        metavar="MODULE|no:NAME",
        help="load plugin module MODULE, or never load plugin NAME (repeatable)",
    )
    parser.add_argument(
        "--plugins-dir", dest="plugins_dirs" + suffix, action="append", default=default([]),
        metavar="DIR", help="load every *.py in DIR as a local plugin (repeatable)",
    )
    volume = parser.add_mutually_exclusive_group()
    volume.add_argument(
        "-v", "--verbose", dest="verbosity" + suffix, action="store_const", const=1,
        default=default(0),
        help="show progress and, on errors, the (redacted) traceback",
    )
    volume.add_argument(
        "-q", "--quiet", dest="verbosity" + suffix, action="store_const", const=-1,
        default=default(0), help="show errors only",
    )
    parser.add_argument(
        "--color", dest="color" + suffix, choices=COLOUR_MODES,
        default=default("auto"),
        help="colour output: auto (on terminals, unless NO_COLOR is set), always or never",
    )


def merge_late(args: argparse.Namespace) -> argparse.Namespace:
    """Fold global options given after the command into the ordinary names."""
    for name in ("config", "verbosity", "color"):
        if hasattr(args, name + _LATE):
            setattr(args, name, getattr(args, name + _LATE))
    for name in ("plugin_args", "plugins_dirs"):
        if hasattr(args, name + _LATE):
            setattr(args, name, getattr(args, name) + getattr(args, name + _LATE))
    return args


def colour_mode(argv: Sequence[str]) -> str:
    """The last valid ``--color WHEN`` / ``--color=WHEN`` in ``argv`` (default ``auto``).

    Read before parsing: a usage error stops parsing before the option is
    read, yet its message is coloured by it too.
    """
    mode = "auto"
    for index, word in enumerate(argv):
        if word == "--":
            break
        value = word.partition("=")[2] if word.startswith("--color=") else (
            argv[index + 1] if word == "--color" and index + 1 < len(argv) else None)
        if value in COLOUR_MODES:
            mode = value
    return mode
