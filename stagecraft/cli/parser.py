"""The command line's grammar: the parser of every command, its help and its usage errors.

Each command's own options are declared in its module
(``stagecraft.cli.<command>``, an ``arguments`` function beside its
handler); this module puts them together with the global options
(:mod:`stagecraft.cli.global_options`), the help texts and the exit codes.
What a usage error says (the word at fault, a did-you-mean) is
:mod:`stagecraft.usage`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from stagecraft.cli import completion, config, init, plugins, providers, sync
from stagecraft.cli.global_options import add_global_options
from stagecraft.cli.session import PROG, Session
from stagecraft.cli.version import version_text
from stagecraft.colour import Palette, wants_colour
from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER_ERROR,
    EXIT_USER_ERROR,
)
from stagecraft.usage import diagnose, json_error, with_suggestion

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


def _command(
    group: Any,
    name: str,
    handler: Callable[[Session], int],
    *,
    help: str,
    description: str,
    example: str,
    json_help: str | None = None,
    arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """A leaf command with its handler, ``--json`` if it has one, its own
    ``arguments``, then the global options (so its own come first in the usage line)."""
    parser: Parser = group.add_parser(
        name, help=help, description=description, epilog=_examples(example),
        formatter_class=HelpFormatter,
    )
    parser.set_defaults(handler=handler)
    if json_help is not None:
        parser.add_argument("--json", action="store_true", help=json_help)
    if arguments is not None:
        arguments(parser)
    add_global_options(
        parser.add_argument_group("global options (also accepted before the command)"),
        late=True,
    )


def _examples(text: str) -> str:
    """An epilog of examples: one command per line, ``#`` comments kept as they are."""
    lines = [line.strip() for line in text.strip("\n").splitlines()]
    return "examples:\n" + "\n".join(f"  {line}" if line else "" for line in lines)


#: Every command, one line each, for ``stagecraft --help``.
COMMANDS = (
    ("secrets sync", "copy secrets from a source to a target"),
    ("secrets providers", "list secrets providers, or describe one"),
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
    (EXIT_DRIFT, "`secrets sync --check` found pending changes"),
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

    secrets = commands.add_parser(
        "secrets", help="sync secrets; list and describe providers",
        description="Secrets commands.", formatter_class=HelpFormatter,
        epilog=_examples("""
            stagecraft secrets sync --dry-run
            stagecraft secrets providers envfile
        """),
    )
    secrets_commands = secrets.add_subparsers(dest="secrets_command", metavar="COMMAND",
                                              required=True)
    _command(
        secrets_commands, "sync", sync.cmd_sync,
        help="copy secrets from a source to a target",
        description="Copy secrets from SOURCE to TARGET with a provider. Prints one line per "
        "key: '+ KEY' added, '~ KEY' updated, '= KEY' unchanged, '- KEY' removed.",
        example="""
            stagecraft secrets sync --dry-run
            stagecraft secrets sync --from .env.local --to envfile:.env.staging 'STRIPE_*'
            stagecraft secrets sync --check --json   # in CI: exit 4 when out of sync
            sops -d prod.env | stagecraft secrets sync --from - --to encore:dev,local
        """,
        json_help="print the result as JSON",
        arguments=sync.arguments,
    )
    _command(
        secrets_commands, "providers", providers.cmd_providers,
        help="list secrets providers, or describe one",
        description="List the installed secrets providers, with the plugin providing each; "
        "with ID, describe that provider: its distribution, location syntax, config keys "
        "with types and defaults, and whether it can be read back and prune.",
        example="""
            stagecraft secrets providers
            stagecraft secrets providers encore --json
        """,
        json_help="print the list (or the description) as JSON",
        arguments=providers.arguments,
    )
    _command(
        commands, "plugins", plugins.cmd_plugins,
        help="list plugins and their status",
        description="List every plugin found, including disabled and failed ones.",
        example="""
            stagecraft plugins
            stagecraft -p no:encore plugins --json
        """,
        json_help="print the list as JSON",
    )
    config_parser = commands.add_parser(
        "config", help="config file commands", description="Config file commands.",
        formatter_class=HelpFormatter,
        epilog=_examples("""
            stagecraft config check
            stagecraft config show --json
        """),
    )
    config_commands = config_parser.add_subparsers(dest="config_command", metavar="COMMAND",
                                                   required=True)
    _command(
        config_commands, "check", config.cmd_config_check,
        help="validate stagecraft.yml",
        description="Validate stagecraft.yml, its plugins and the chosen provider's section.",
        example="""
            stagecraft config check
            stagecraft --config deploy/stagecraft.yml config check
        """,
    )
    _command(
        config_commands, "show", config.cmd_config_show,
        help="show the effective configuration",
        description="Show the configuration in effect: which file, which provider, the "
        "plugin settings (environment included) and each provider section with its "
        "defaults filled in. Anything that looks like a credential is masked.",
        example="""
            stagecraft config show
            stagecraft config show --json
        """,
        json_help="print the configuration as JSON",
    )
    _command(
        commands, "init", init.cmd_init,
        help="create stagecraft.yml for the project here",
        description="Create stagecraft.yml in the working directory (or the file --config "
        "names) from what is there (env files, an encore.app) or for --provider ID. Never "
        "overwrites an existing file. In a git work tree, the env files it configures "
        "(source and target) are added to .gitignore.",
        example="""
            stagecraft init
            stagecraft init --provider encore
        """,
        arguments=init.arguments,
    )
    _command(
        commands, "completion", completion.cmd_completion,
        help="print a shell completion script",
        description="Print the completion script for SHELL. It completes commands, options "
        "and their values, provider ids and store prefixes (--from ID:, --to ID:) of the "
        "installed plugins.",
        example="""
            eval "$(stagecraft completion bash)"      # in ~/.bashrc
            eval "$(stagecraft completion zsh)"       # in ~/.zshrc
            stagecraft completion fish > ~/.config/fish/completions/stagecraft.fish
        """,
        arguments=completion.arguments,
    )
    return parser
