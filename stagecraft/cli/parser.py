"""The command line's grammar: the parser of every command, its help and its usage errors.

Each command is declared in its own module (``stagecraft.cli.<command>``,
a :class:`~stagecraft.cli.command.Command` beside its handler); this module
puts them together with the global options
(:mod:`stagecraft.cli.global_options`), the help texts and the exit codes.
What a usage error says (the word at fault, a did-you-mean) is
:mod:`stagecraft.usage`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from stagecraft.cli import (
    completion,
    config,
    init,
    plugins,
    providers,
    run,
    secrets_check,
    secrets_list,
    sync,
)
from stagecraft.cli.command import Command
from stagecraft.cli.global_options import add_global_options
from stagecraft.cli.session import PROG
from stagecraft.cli.version import version_text
from stagecraft.colour import Palette, wants_colour
from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_EXECUTABLE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PROVIDER_ERROR,
    EXIT_USER_ERROR,
)
from stagecraft.usage import diagnose, json_error, with_suggestion

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = ["COMMANDS", "EXIT_CODES", "Parser", "build_parser"]


class Parser(argparse.ArgumentParser):
    """argparse, except that usage errors exit 1 (2 means a provider failed) and name
    the word at fault with its own command's usage; help is plain text everywhere."""

    #: ``--color`` as found on the command line before parsing (a usage error stops
    #: parsing before the option is read, yet its message is coloured by it too).
    colour_mode = "auto"
    #: The command line being parsed and the top-level parser reading it: a usage
    #: error is diagnosed on the whole line (:mod:`stagecraft.usage`).
    argv: Sequence[str] = ()
    root: argparse.ArgumentParser | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if sys.version_info >= (3, 14):  # argparse colours help from 3.14; ours stays plain
            kwargs.setdefault("color", False)
        super().__init__(*args, **kwargs)

    #: Where the words after the first ``--`` go (see :attr:`Command.passthrough`).
    passthrough: str | None = None

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """As argparse, except that a command that runs another takes every word after
        ``--`` as that command's, untouched (argparse would match them to its positionals)."""
        words = list(args) if args is not None else None
        if self.passthrough is None or words is None or "--" not in words:
            return super().parse_known_args(words, namespace)
        split = words.index("--")
        parsed, extras = super().parse_known_args(words[:split], namespace)
        setattr(parsed, self.passthrough, words[split + 1:])
        return parsed, extras

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        """argparse's, without its silence on a failed write: a lost help is told (exit 2)."""
        (file if file is not None else sys.stdout).write(self.format_help())

    def error(self, message: str) -> NoReturn:
        parser: argparse.ArgumentParser = self
        diagnosis = diagnose(Parser.root, Parser.argv) if Parser.root is not None else None
        if diagnosis is not None:  # the word at fault, shown with its own command's usage
            parser, message = diagnosis.parser, diagnosis.message
        else:
            message = with_suggestion(message)
        parser.print_usage(sys.stderr)
        line = f"{PROG}: error: {message} (see '{parser.prog} --help')"
        paint = Palette(wants_colour(Parser.colour_mode, sys.stderr)).paint
        sys.stderr.write(paint(line, "red") + "\n")
        report = json_error(Parser.argv, message, EXIT_USER_ERROR)
        if report is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.write(report + "\n")
        raise SystemExit(EXIT_USER_ERROR)


class HelpFormatter(argparse.HelpFormatter):
    """Prose paragraphs are wrapped to the width; laid-out ones (lists of commands,
    examples, exit codes: any paragraph of several lines) are kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(
            paragraph if "\n" in paragraph else super(HelpFormatter, self)._fill_text(
                paragraph, width, indent)
            for paragraph in text.split("\n\n")
        )


class _VersionAction(argparse.Action):
    """``--version``: the core version and each installed plugin distribution, like pytest."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        sys.stdout.write(version_text() + "\n")
        raise SystemExit(EXIT_OK)


def _add_command(group: Any, command: Command) -> None:
    """A leaf command with its handler, ``--json`` if it has one, its own
    arguments, then the global options (so its own come first in the usage line)."""
    parser: Parser = group.add_parser(
        command.words[-1], help=command.help, description=command.description,
        epilog=_examples(command.example), formatter_class=HelpFormatter,
    )
    parser.set_defaults(handler=command.handler)
    parser.passthrough = command.passthrough
    if command.json_help is not None:
        parser.add_argument("--json", action="store_true", help=command.json_help)
    if command.arguments is not None:
        command.arguments(parser)
    add_global_options(
        parser.add_argument_group("global options (also accepted before the command)"),
        late=True,
    )


def _examples(text: str) -> str:
    """An epilog of examples: one command per line, ``#`` comments kept as they are."""
    lines = [line.strip() for line in text.strip("\n").splitlines()]
    return "examples:\n" + "\n".join(f"  {line}" if line else "" for line in lines)


#: The leaf commands, in the order of ``--help`` and of argparse's choices.
LEAVES = (sync.COMMAND, secrets_list.COMMAND, secrets_check.COMMAND, providers.COMMAND,
          run.COMMAND, plugins.COMMAND, config.CHECK, config.SHOW, init.COMMAND, completion.COMMAND)

#: The commands that group leaves: help, description and examples of each.
GROUPS = {
    "secrets": ("sync, list and check secrets; describe providers", "Secrets commands.", """
        stagecraft secrets sync --dry-run
        stagecraft secrets check
        stagecraft secrets providers envfile
    """),
    "config": ("config file commands", "Config file commands.", """
        stagecraft config check
        stagecraft config show --json
    """),
}

#: Every command, one line each, for ``stagecraft --help``.
COMMANDS = (
    ("secrets sync", "copy secrets from a source to a target"),
    ("secrets list", "list the key names at a location or environment"),
    ("secrets check", "check that every environment holds the keys it needs"),
    ("secrets providers", "list secrets providers, or describe one"),
    ("run", "run a command with secrets in its environment"),
    ("plugins", "list plugins and their status"),
    ("config check", "validate stagecraft.yml"),
    ("config show", "show the effective configuration, credentials masked"),
    ("init", "create stagecraft.yml for the project here"),
    ("completion", "print a shell completion script (bash, zsh, fish)"),
)

EXIT_CODES = (
    (EXIT_OK, "success"),
    (EXIT_USER_ERROR, "user or config error (bad input, unknown provider, missing key)"),
    (EXIT_PROVIDER_ERROR, "provider or external failure"),
    (EXIT_INTERNAL_ERROR, "internal error: a bug in stagecraft or a plugin"),
    (EXIT_DRIFT,
     "`secrets sync --check` found pending changes; `secrets check` found a missing key"),
    (EXIT_NOT_EXECUTABLE, "`run`: COMMAND cannot be executed (else `run` exits with "
     "COMMAND's status)"),
    (EXIT_NOT_FOUND, "`run`: COMMAND not found"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C), after reporting which keys were written"),
)


def _top_help() -> tuple[str, str]:
    width = max(len(name) for name, _ in COMMANDS)
    commands = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS)
    description = (
        "Sync secrets between env files, secret stores and in-house providers.\n\n"
        f"commands:\n{commands}"
    )
    codes = "\n".join(f"  {code:<3}  {text}" for code, text in EXIT_CODES)
    epilog = _examples("""
        stagecraft init
        stagecraft secrets sync --dry-run
        stagecraft secrets sync --from .env.local --to encore:dev,local
        stagecraft secrets sync --help
    """) + f"\n\nexit codes:\n{codes}"
    return description, epilog


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line."""
    description, epilog = _top_help()
    parser = Parser(
        prog=PROG, description=description, epilog=epilog, formatter_class=HelpFormatter,
    )
    add_global_options(parser)
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0,
        help="show the version and plugin distributions, then exit",
    )
    # The commands are listed in the description, one line each (argparse
    # would list only the first word of each, and nest the rest).
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help=argparse.SUPPRESS
    )

    groups: dict[str, Any] = {}
    for command in LEAVES:
        if len(command.words) == 1:
            _add_command(commands, command)
            continue
        group = command.words[0]
        if group not in groups:
            help, description, example = GROUPS[group]
            parent = commands.add_parser(group, help=help, description=description,
                                         formatter_class=HelpFormatter,
                                         epilog=_examples(example))
            groups[group] = parent.add_subparsers(dest=f"{group}_command", metavar="COMMAND",
                                                  required=True)
        _add_command(groups[group], command)
    return parser
