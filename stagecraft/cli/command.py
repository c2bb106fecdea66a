"""What a command module declares: its words, handler, help, examples and options.

The parser (:mod:`stagecraft.cli.parser`) builds one leaf parser per
:class:`Command`, so a new command is a new module with a ``COMMAND`` and
one line in the parser's list.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NamedTuple

from stagecraft.cli.session import Session

__all__ = ["Command"]


class Command(NamedTuple):
    """One leaf command (``("secrets", "sync")``) and everything its parser needs."""

    words: tuple[str, ...]
    handler: Callable[[Session], int]
    help: str
    description: str
    #: Example command lines, one per line, for the help's epilog.
    example: str
    #: The help of ``--json``; None for a command without it.
    json_help: str | None = None
    #: Adds the command's own arguments to its parser.
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    #: Where the words after ``--`` go, for a command that runs another
    #: (``stagecraft run ... -- COMMAND ARG...``); None for the others.
    passthrough: str | None = None
