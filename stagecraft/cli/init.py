"""``stagecraft init``: write stagecraft.yml for the project in the working directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from stagecraft.cli.command import Command
from stagecraft.cli.loading import manager_of
from stagecraft.cli.options import completed
from stagecraft.cli.session import Session
from stagecraft.errors import EXIT_OK

__all__ = ["COMMAND", "arguments", "cmd_init"]


def arguments(parser: argparse.ArgumentParser) -> None:
    completed(parser, "provider", "--provider", metavar="ID",
              help="configure this provider (default: guessed from the files here)")


def cmd_init(session: Session) -> int:
    """``init``: write stagecraft.yml (or ``--config FILE``) for the project in the working
    directory."""
    # Imported here: not loaded by every other command's start (docs/performance.md, row 5).
    from stagecraft.init_command import initialise

    config = None  # a config elsewhere (a parent's) must not stop a new project's own
    registry = manager_of(session, config).build_registry()
    given = session.args.config
    report = initialise(
        session.cwd, registry, provider_id=session.args.provider,
        config_path=session.cwd / Path(given).expanduser() if given else None,
    )
    for line in report.lines:
        session.out(line)
    return EXIT_OK


COMMAND = Command(
    ("init",), cmd_init,
    help="create stagecraft.yml for the project here",
    description="Create stagecraft.yml in the working directory (or the file --config "
    "names) from what is there (env files, an encore.app) or for --provider ID. Never "
    "overwrites an existing file. Env files become environments (.env.NAME is NAME, "
    ".env is default) and .env.example the declared keys. In a git work tree, the env "
    "files it configures are added to .gitignore.",
    example="""
        stagecraft init
        stagecraft init --provider encore
    """,
    arguments=arguments,
)
