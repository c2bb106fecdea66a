"""``stagecraft secrets list LOCATION|ENV``: the key names there, one per line; never values."""

from __future__ import annotations

import argparse

from stagecraft.cli.command import Command
from stagecraft.cli.loading import project_of
from stagecraft.cli.options import completed
from stagecraft.cli.session import Session
from stagecraft.errors import EXIT_OK, printable

__all__ = ["COMMAND", "arguments", "cmd_list"]


def arguments(parser: argparse.ArgumentParser) -> None:
    completed(parser, "source", "location", metavar="LOCATION|ENV",
              help="an environment of secrets.environments, ID:LOCATION of a store, or an env file")


def cmd_list(session: Session) -> int:
    """``secrets list``: the names, sorted, on stdout (``--json``: a JSON list)."""
    # Imported here: not loaded by every other command's start (docs/performance.md, row 5).
    from stagecraft.key_listing import key_names, listing

    args = session.args
    config, ctx = project_of(session)
    names = key_names(ctx, listing(ctx, config, args.location))
    if args.json:
        session.json(names)
    else:
        for name in names:
            session.out(printable(name))
    return EXIT_OK


COMMAND = Command(
    ("secrets", "list"), cmd_list,
    help="list the key names at a location or environment",
    description="Print the key names at LOCATION (an environment of secrets.environments, "
    "ID:LOCATION or an env file), sorted, one per line. Values are never shown. A write-only "
    "store answers when it can list its names; one that cannot exits 2.",
    example="""
        stagecraft secrets list .env.local
        stagecraft secrets list staging --json
        stagecraft secrets list vault:secret/myapp/staging
    """,
    json_help="print the names as a JSON list",
    arguments=arguments,
)
