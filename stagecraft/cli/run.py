"""``stagecraft run [--env NAME | --from LOCATION] [KEY ...] -- COMMAND [ARG ...]``.

Reads the source as ``secrets list`` does (the same project, plugins and
word resolution), selects the secrets and refuses a run missing required
declared keys (:func:`stagecraft.run.secrets_to_run`), then runs COMMAND
with them in its environment (:func:`stagecraft.run.run_command`).

Without ``--mask`` Stagecraft *becomes* COMMAND: the handler does not
return, so nothing is printed after it and the exit status is COMMAND's own
(in-process callers of :func:`stagecraft.cli.main` should know this).  With
``--mask`` it returns COMMAND's status (128+N for a death by signal N).
COMMAND that cannot start exits 127 (not found) or 126 (not executable),
with one line naming it, as shells do.
"""

from __future__ import annotations

import argparse

from stagecraft.cli.command import Command
from stagecraft.cli.loading import project_of
from stagecraft.cli.options import add_exclude, add_keys, add_source, completed
from stagecraft.cli.session import Session
from stagecraft.errors import UserError
from stagecraft.redact import Structural

__all__ = ["COMMAND", "arguments", "cmd_run"]


def arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    completed(where, "environment", "--env", metavar="NAME",
              help="an environment of secrets.environments in stagecraft.yml")
    add_source(where, metavar="LOCATION", help="an env file, ID:LOCATION of a store, or an "
               "environment name (default: secrets.from)")
    add_exclude(parser)
    parser.add_argument("--mask", action="store_true",
                        help="pass COMMAND's stdout and stderr through Stagecraft, with every "
                        "secret value masked (they are then pipes, not the terminal)")
    add_keys(parser, help="keys to give COMMAND, by name or glob (default: the declared "
             "keys present there, or every key when none are declared)")
    # Shown in the usage and help only: the words after -- are taken whole by the
    # parser (Command.passthrough), never matched here; None when there is no --.
    completed(parser, None, "command", nargs="?", default=None, metavar="-- COMMAND [ARG ...]",
              help="the command to run, and its arguments, after --")


def cmd_run(session: Session) -> int:
    """``run``: COMMAND with the selected secrets; its exit status (or no return at all)."""
    args = session.args
    if not args.command:
        raise UserError(Structural(
            "no command to run: give it after --, as in `stagecraft run --env dev -- ./app`"
        ))
    # Imported when the command runs: the declared keys need the config model, which
    # a command run without a stagecraft.yml never loads (its start-up:
    # tests/test_cli_process.py), and the parser imports this module for every command.
    from stagecraft.run import run_command, secrets_to_run

    config, ctx = project_of(session)
    secrets = secrets_to_run(ctx, config, env=args.env, location=args.source, keys=args.keys,
                             exclude=args.exclude)
    return run_command(args.command, secrets, mask=args.mask, redactor=session.redactor)


COMMAND = Command(
    ("run",), cmd_run,
    help="run a command with secrets in its environment",
    description="Run COMMAND with the secrets of an environment (--env), a location (--from) "
    "or secrets.from in its environment, over inherited variables of the same name. With "
    "keys declared in stagecraft.yml it gets the declared keys present there, and a declared "
    "key required there but missing stops the run before COMMAND starts (exit 1). The exit "
    "status is COMMAND's (127: not found, 126: not executable); signals reach it, and its "
    "stdin, stdout and stderr are its own. Values never appear in an argument, a message or "
    "a file.",
    example="""
        stagecraft run --env dev -- ./manage.py runserver
        stagecraft run --from .env.local DATABASE_URL -- psql
        stagecraft run --env staging --mask -- ./smoke-test.sh   # values masked in its output
    """,
    arguments=arguments,
    passthrough="command",
)
