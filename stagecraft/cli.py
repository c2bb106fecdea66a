"""The ``stagecraft`` command.

::

    stagecraft [--config FILE] [-p MODULE | -p no:NAME]... [--plugins-dir DIR]... [-v|-q]
               [--color {auto,always,never}] [--version] COMMAND
    stagecraft secrets sync [--provider ID] [--from [ID:]SOURCE|-] [--to [ID:]TARGET]
                            [--dry-run | --check] [--prune] [--allow-empty-source] [--force]
                            [--exclude PATTERN]... [--no-record] [--timeout SECONDS] [--json]
                            [KEY|PATTERN ...]
    stagecraft secrets providers [ID] [--json]
    stagecraft plugins [--json]
    stagecraft config check
    stagecraft config show [--json]
    stagecraft init [--provider ID]
    stagecraft completion {bash,zsh,fish}

Results go to stdout, diagnostics (errors, summaries, log records) to stderr,
and every line that reaches stderr first passes through the run's
:class:`~stagecraft.redact.Redactor`, so a value a provider read cannot leak
through an exception message or a ``-v`` traceback.

Exit codes: 0 success, 1 user or config error, 2 provider or external
failure, 3 internal error, 4 ``--check`` found pending changes, 130
interrupted (Ctrl-C), after reporting which keys were written.

On a terminal, plan lines and errors are coloured and long remote writes
show a progress line on stderr (:mod:`stagecraft.colour`,
:mod:`stagecraft.progress`); anywhere else (pipes, files, CI logs) the
output is plain text without terminal control codes, as it always was.

Start-up time is measured, so each command imports only what it needs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER_ERROR,
    EXIT_USER_ERROR,
    StagecraftError,
    UserError,
)
from stagecraft.output_loss import (
    OutputLostError,
    discard_unwritten,
    lost_output_text,
    writing_output,
)
from stagecraft.redact import Redactor, Structural

if TYPE_CHECKING:
    from stagecraft.config.schema import Config
    from stagecraft.plugins import PluginInfo, PluginManager, PluginSettings
    from stagecraft.providers.secrets import SyncResult

PROG = "stagecraft"
#: ``!``: changed in the target since this machine last synced it (nothing written).
SYMBOLS = {"added": "+", "updated": "~", "unchanged": "=", "removed": "-", "conflict": "!"}
#: Plan lines are coloured like a diff (terminals only).
COLOURS = {"added": "green", "updated": "yellow", "unchanged": "dim", "removed": "red",
           "conflict": "bold"}


# ------------------------------------------------------------------ session


class Session:
    """One run of the command: parsed arguments, output streams and the redactor.

    Text the command composes (plan lines, summaries, its own error
    messages) is structural: key names, ids, paths, counts, never values.
    It is shown as it is, so that no output changes shape because of what
    a secret happens to be.  Free text from providers and plugins (their
    exception messages, what they print or log) is masked.
    """

    def __init__(
        self, args: argparse.Namespace, *, started: Callable[[], None] = lambda: None
    ) -> None:
        self.args = args
        #: Called when start-up is over and a provider is about to run.
        self.started = started
        self.verbosity: int = args.verbosity
        self.redactor = Redactor()
        self.cwd = _working_directory()
        # The streams of the run, kept so that output still reaches them
        # while a provider's prints are diverted (see _provider_output).
        self.stdout = sys.stdout
        self.stderr = sys.stderr
        #: The provider, options and resolved source and target of the sync being run,
        #: for the JSON error report.
        self.sync_provider: str | None = None
        self.sync_options: Any = None
        self.sync_endpoints: dict[str, str] = {}
        from stagecraft.colour import Palette, wants_colour

        mode = getattr(args, "color", "auto")
        #: Colours of results (never for ``--json``) and of diagnostics.
        self.paint_out = Palette(
            not getattr(args, "json", False) and wants_colour(mode, self.stdout)
        ).paint
        self.paint_err = Palette(wants_colour(mode, self.stderr)).paint
        #: The progress line on stderr while a sync writes (terminals only), if any.
        self.progress: Any = None

    def show_progress(self, store_id: str, done: int, total: int) -> None:
        """Writes done so far, on the progress line while there is one (a run's ``on_progress``)."""
        line = self.progress
        if line is not None:
            line(store_id, done, total)

    def out(self, text: str = "") -> None:
        """A line of results on stdout."""
        with writing_output():
            self.stdout.write(text + "\n")

    def err(self, text: str, *, free: bool = False, colour: str | None = None) -> None:
        """A diagnostic on stderr; ``free`` text (from providers and plugins) is masked.

        Control characters are escaped before the colour is added, so only
        the command's own escape codes reach the terminal.
        """
        if free:
            text = self.redactor.redact(text)
        if self.progress is not None:
            self.progress.clear()
        text = _escape_controls(text)
        if colour is not None:
            text = self.paint_err(text, colour)
        self.stderr.write(text + "\n")

    def note(self, text: str) -> None:
        """An informational diagnostic, silenced by ``-q``."""
        if self.verbosity >= 0:
            self.err(f"{PROG}: {text}")

    def error(self, message: str, *, label: str = "error", free: bool = False) -> None:
        """``stagecraft: error: ...`` for each top-level line; indented lines are details.

        A config error lists one ``FILE:LINE:COL: ...`` problem per line, and
        each gets its own prefix so editors and CI annotators can parse it.
        """
        if free:
            message = self.redactor.redact(message)
        colour = "red" if label == "error" else "yellow"
        for line in message.splitlines() or [""]:
            self.err(line if line[:1].isspace() else f"{PROG}: {label}: {line}", colour=colour)


def _escape_controls(text: str) -> str:
    """Each line of ``text`` with control characters escaped (line breaks stay)."""
    from stagecraft.errors import printable

    return "\n".join(printable(line) for line in text.split("\n"))


def _working_directory() -> Path:
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UserError(
            "the working directory no longer exists (it was removed); cd to an existing one"
        ) from None


def _setup_logging(session: Session) -> Callable[[], None]:
    from stagecraft.redacted_logging import install

    return install(PROG, session.redactor, session.verbosity)


# ------------------------------------------------------------------ parser


class _Parser(argparse.ArgumentParser):
    """argparse, except that usage errors exit 1 (2 means a provider failed), and
    two start-up savings: a command's options are added when it is used, and the
    help width is found without importing shutil."""

    _populate: Callable[[argparse.ArgumentParser], None] | None = None

    #: ``--color`` as found on the command line before parsing (a usage error stops
    #: parsing before the option is read, yet its message is coloured by it too).
    colour_mode = "auto"
    #: The command line being parsed and the top-level parser reading it: a usage
    #: error is diagnosed on the whole line (:mod:`stagecraft.usage`).
    argv: Sequence[str] = ()
    root: argparse.ArgumentParser | None = None

    def error(self, message: str) -> NoReturn:
        from stagecraft.colour import Palette, wants_colour
        from stagecraft.usage import diagnose, json_error, with_suggestion

        parser: argparse.ArgumentParser = self
        diagnosis = diagnose(_Parser.root, _Parser.argv) if _Parser.root is not None else None
        if diagnosis is not None:  # the word at fault, shown with its own command's usage
            parser, message = diagnosis.parser, diagnosis.message
        else:
            message = with_suggestion(message)
        parser.print_usage(sys.stderr)
        line = f"{PROG}: error: {message} (see '{parser.prog} --help')"
        paint = Palette(wants_colour(_Parser.colour_mode, sys.stderr)).paint
        sys.stderr.write(paint(line, "red") + "\n")
        report = json_error(_Parser.argv, message, EXIT_USER_ERROR)
        if report is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.write(report + "\n")
        raise SystemExit(EXIT_USER_ERROR)

    def populate_when_used(self, populate: Callable[[argparse.ArgumentParser], None]) -> None:
        """Call ``populate(self)`` to add the arguments before this parser is first used.

        Building every command's options costs start-up time; a run parses
        one command, so the others are never built.
        """
        self._populate = populate

    def _populated(self) -> None:
        populate, self._populate = self._populate, None
        if populate is not None:
            populate(self)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        self._populated()
        return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        self._populated()
        return super().format_usage()

    def format_help(self) -> str:
        self._populated()
        return super().format_help()

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes a formatter for every add_argument() call, and the
        # default one imports shutil (and with it zlib, bz2 and lzma) for the
        # terminal width: measurable start-up time for a command that prints
        # no help.  Same width, without the import.
        formatter = cast("type[argparse.HelpFormatter]", self.formatter_class)(
            prog=self.prog, width=_help_width()
        )
        set_color = getattr(formatter, "_set_color", None)
        if set_color is not None:  # Python 3.14+ colours help; ours is plain text everywhere
            set_color(False)
        return formatter


def _help_width() -> int:
    """``shutil.get_terminal_size().columns - 2``, as argparse computes it."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _HelpFormatter(argparse.HelpFormatter):
    """Prose paragraphs are wrapped to the width; laid-out ones (lists of commands,
    examples, exit codes: any paragraph of several lines) are kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(
            paragraph if "\n" in paragraph else super(_HelpFormatter, self)._fill_text(
                paragraph, width, indent)
            for paragraph in text.split("\n\n")
        )


class _VersionAction(argparse.Action):
    """``--version``: the core version and each installed plugin distribution, like pytest."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        sys.stdout.write(version_text() + "\n")
        raise SystemExit(EXIT_OK)


def version_text() -> str:
    """Read from distribution metadata only, so a broken plugin cannot break ``--version``."""
    from stagecraft import __version__
    from stagecraft.discovery import entry_points

    found: dict[str, str] = {}
    # The entry-point group is the project name; naming it here rather than
    # importing stagecraft.hookspecs keeps pluggy out of `--version`.
    for ep in entry_points(PROG):
        if ep.dist_name is not None:
            found.setdefault(ep.dist_name, ep.dist_version or "?")
    lines = [f"{PROG} {__version__} (Python {sys.version.split()[0]})"]
    if found:
        lines.append("plugin distributions:")
        lines += [f"  {name} {found[name]}" for name in sorted(found, key=str.lower)]
    else:
        lines.append("plugin distributions: none")
    return "\n".join(lines)


#: Global options may also follow the command (``stagecraft secrets sync -v``).
#: There they parse into these ``*_late`` names, merged by :func:`_merge_late`,
#: so a late ``-p`` adds to an early one instead of replacing it.
_LATE = "_late"


def _add_global_options(parser: Any, *, late: bool = False) -> None:
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
        "--color", dest="color" + suffix, choices=("auto", "always", "never"),
        default=default("auto"),
        help="colour output: auto (on terminals, unless NO_COLOR is set), always or never",
    )


def _merge_late(args: argparse.Namespace) -> argparse.Namespace:
    """Fold global options given after the command into the ordinary names."""
    for name in ("config", "verbosity", "color"):
        if hasattr(args, name + _LATE):
            setattr(args, name, getattr(args, name + _LATE))
    for name in ("plugin_args", "plugins_dirs"):
        if hasattr(args, name + _LATE):
            setattr(args, name, getattr(args, name) + getattr(args, name + _LATE))
    return args


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
    ``arguments``, then the global options (so its own come first in the usage line).

    The options are added when the command is used (parsed, or its help or
    usage shown): a run builds the options of one command, not of all.
    """
    parser: _Parser = group.add_parser(
        name, help=help, description=description, epilog=_examples(example),
        formatter_class=_HelpFormatter,
    )
    parser.set_defaults(handler=handler)

    def populate(leaf: argparse.ArgumentParser) -> None:
        if json_help is not None:
            leaf.add_argument("--json", action="store_true", help=json_help)
        if arguments is not None:
            arguments(leaf)
        _add_global_options(
            leaf.add_argument_group("global options (also accepted before the command)"),
            late=True,
        )

    parser.populate_when_used(populate)


def _examples(text: str) -> str:
    """An epilog of examples: one command per line, ``#`` comments kept as they are."""
    lines = [line.strip() for line in text.strip("\n").splitlines()]
    return "examples:\n" + "\n".join(f"  {line}" if line else "" for line in lines)


def _completer(kind: str) -> Callable[..., Any]:
    """A shell-completion callback for values of ``kind`` (imported only when completing)."""

    def complete(**kwargs: Any) -> Any:
        from stagecraft import completion

        return completion.complete(kind, **kwargs)

    return complete


def _sync_arguments(sync: argparse.ArgumentParser) -> None:
    sync.add_argument("--provider", metavar="ID",
                      help="provider to use (default: secrets.provider in stagecraft.yml)"
                      ).completer = _completer("provider")  # type: ignore[attr-defined]
    sync.add_argument("--from", dest="source", default="", metavar="[ID:]SOURCE",
                      help="where to read: an env file ('-': standard input), or ID:LOCATION "
                      "of a store (default: secrets.from, else the provider's configured source)"
                      ).completer = _completer("source")  # type: ignore[attr-defined]
    sync.add_argument("--to", dest="target", default="", metavar="[ID:]TARGET",
                      help="where to write: a location in the provider, or ID:LOCATION "
                      "(default: secrets.to, else the provider's configured target)"
                      ).completer = _completer("target")  # type: ignore[attr-defined]
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="change nothing; show what would")
    mode.add_argument(
        "--check", action="store_true",
        help="change nothing; exit 4 if the target is out of sync (for CI)",
    )
    sync.add_argument("--prune", action="store_true",
                      help="also remove target keys the source lacks (within the selection)")
    sync.add_argument("--allow-empty-source", action="store_true",
                      help="with --prune, go on when the source yields no selected key "
                      "(then every selected target key is removed)")
    sync.add_argument("--force", action="store_true",
                      help="overwrite keys changed in the target since this machine last "
                      "synced them (without it they are a conflict and nothing is written)")
    sync.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                      help="leave out keys matching PATTERN (a name or glob; repeatable)")
    sync.add_argument("--no-record", dest="record", action="store_false",
                      help="neither read nor update the record of what this machine last "
                      "synced (no conflicts are found; write-only plans never say unchanged)")
    sync.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                      help="stop starting writes after SECONDS and report what was not written")
    sync.add_argument("keys", nargs="*", metavar="KEY|PATTERN",
                      help="keys to sync, by name or glob such as 'STRIPE_*' (default: all)")


def _providers_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("provider_id", nargs="?", metavar="ID",
                        help="describe this provider instead of listing them all"
                        ).completer = _completer("provider")  # type: ignore[attr-defined]


def _init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", metavar="ID",
                        help="configure this provider (default: guessed from the files here)"
                        ).completer = _completer("provider")  # type: ignore[attr-defined]


def _completion_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh", "fish"),
                        help="the shell to print the script for")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


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
    """The command's parser (each leaf command's options are added when it is used).

    Every ArgumentParser asks gettext for the same few strings ("options",
    "show this help message and exit"), and each ask searches the file
    system for message catalogues again: with a dozen commands that is a
    measurable part of start-up.  The answers cannot change while the
    parser is built, so they are looked up once each meanwhile.
    """
    lookup = getattr(argparse, "_", None)
    if lookup is None:  # not the argparse this was written against: build as it is
        return _build_parser()
    answers: dict[str, str] = {}

    def once(message: str) -> str:
        if message not in answers:
            answers[message] = lookup(message)
        return answers[message]

    setattr(argparse, "_", once)  # noqa: B010
    try:
        return _build_parser()
    finally:
        setattr(argparse, "_", lookup)  # noqa: B010


def _build_parser() -> argparse.ArgumentParser:
    description, epilog = _top_help()
    parser = _Parser(
        prog=PROG, description=description, epilog=epilog,
        formatter_class=_HelpFormatter,
    )
    _add_global_options(parser)
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
        description="Secrets commands.", formatter_class=_HelpFormatter,
        epilog=_examples("""
            stagecraft secrets sync --dry-run
            stagecraft secrets providers envfile
        """),
    )
    secrets_commands = secrets.add_subparsers(dest="secrets_command", metavar="COMMAND",
                                              required=True)
    _command(
        secrets_commands, "sync", cmd_sync,
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
        arguments=_sync_arguments,
    )
    _command(
        secrets_commands, "providers", cmd_providers,
        help="list secrets providers, or describe one",
        description="List the installed secrets providers, with the plugin providing each; "
        "with ID, describe that provider: its distribution, location syntax, config keys "
        "with types and defaults, and whether it can be read back and prune.",
        example="""
            stagecraft secrets providers
            stagecraft secrets providers encore --json
        """,
        json_help="print the list (or the description) as JSON",
        arguments=_providers_arguments,
    )
    _command(
        commands, "plugins", cmd_plugins,
        help="list plugins and their status",
        description="List every plugin found, including disabled and failed ones.",
        example="""
            stagecraft plugins
            stagecraft -p no:encore plugins --json
        """,
        json_help="print the list as JSON",
    )
    config = commands.add_parser(
        "config", help="config file commands", description="Config file commands.",
        formatter_class=_HelpFormatter,
        epilog=_examples("""
            stagecraft config check
            stagecraft config show --json
        """),
    )
    config_commands = config.add_subparsers(dest="config_command", metavar="COMMAND",
                                            required=True)
    _command(
        config_commands, "check", cmd_config_check,
        help="validate stagecraft.yml",
        description="Validate stagecraft.yml, its plugins and the chosen provider's section.",
        example="""
            stagecraft config check
            stagecraft --config deploy/stagecraft.yml config check
        """,
    )
    _command(
        config_commands, "show", cmd_config_show,
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
        commands, "init", cmd_init,
        help="create stagecraft.yml for the project here",
        description="Create stagecraft.yml in the working directory (or the file --config "
        "names) from what is there (env files, an encore.app) or for --provider ID. Never "
        "overwrites an existing file. In a git work tree, the env files it configures "
        "(source and target) are added to .gitignore.",
        example="""
            stagecraft init
            stagecraft init --provider encore
        """,
        arguments=_init_arguments,
    )
    _command(
        commands, "completion", cmd_completion,
        help="print a shell completion script",
        description="Print the completion script for SHELL. It completes commands, options "
        "and their values, provider ids and store prefixes (--from ID:, --to ID:) of the "
        "installed plugins.",
        example="""
            eval "$(stagecraft completion bash)"      # in ~/.bashrc
            eval "$(stagecraft completion zsh)"       # in ~/.zshrc
            stagecraft completion fish > ~/.config/fish/completions/stagecraft.fish
        """,
        arguments=_completion_arguments,
    )
    return parser


# ------------------------------------------------------------------ shared steps


def _load_config(session: Session, *, required: bool = False) -> Config | None:
    from stagecraft.config_location import CONFIG_NAME, find_config

    path = find_config(session.cwd, session.args.config)
    if path is None:
        if required:
            raise UserError(
                f"no {CONFIG_NAME} found in {session.cwd} or its parents (pass --config FILE)"
            )
        return None
    from stagecraft.config.loading import load

    return load(path, cwd=session.cwd)


def _plugin_settings(session: Session, config: Config | None) -> PluginSettings:
    """Environment, then stagecraft.yml's ``plugins`` section, then ``-p`` and ``--plugins-dir``."""
    from stagecraft.plugins import plugin_settings

    return plugin_settings(
        config,
        options=session.args.plugin_args,
        dirs=session.args.plugins_dirs,
        cwd=session.cwd,
    )


def _manager(session: Session, config: Config | None, *, strict: bool = True) -> PluginManager:
    from stagecraft.plugins import load_plugin_manager

    return load_plugin_manager(_plugin_settings(session, config), strict=strict)


def _print_json(session: Session, data: object) -> None:
    import json

    session.out(json.dumps(data, indent=2))


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


# ------------------------------------------------------------------ commands


def cmd_sync(session: Session) -> int:
    """``secrets sync``: one run of the chosen provider, printed per key."""
    from stagecraft.errors import PluginError
    from stagecraft.plan import ConflictError
    from stagecraft.providers.secrets import Context, PartialSyncError, SyncOptions, SyncResult

    args = session.args
    if args.target == "-":
        raise UserError(
            "--to -: standard output cannot be a target (secret values are never printed); "
            "for a file named '-', write --to ./-"
        )
    config = _load_config(session)
    manager = _manager(session, config)
    registry = manager.build_registry()
    provider, target = _target_provider(session, config, registry)
    source = args.source or _configured(config, registry, "source")
    import time

    ctx = Context(
        cwd=session.cwd,
        config_dir=config.directory if config is not None else session.cwd,
        deadline=None if args.timeout is None else time.monotonic() + args.timeout,
        redactor=session.redactor,
        registry=registry,
        configs=config.provider_config if config is not None else None,
        on_progress=session.show_progress,
    )
    options = SyncOptions(
        config=config.provider_config(provider) if config is not None else None,
        source=source,
        target=target,
        keys=tuple(args.keys),
        dry_run=args.dry_run or args.check,
        exclude=tuple(args.exclude),
        prune=args.prune,
        record=args.record,
        allow_empty_source=args.allow_empty_source,
        force=args.force,
    )
    _refuse_store_options(provider, options)
    session.sync_provider = provider.id
    session.sync_options = options
    session.sync_endpoints = ctx.endpoints
    if source == "-" and _is_terminal(sys.stdin):
        session.note("reading the env file from standard input (end it with Ctrl-D)")
    session.started()
    try:
        with (_interrupts_cancel(session, ctx), _progress_line(session, ctx),
              _provider_output(session)):
            result = manager.hook.secrets_sync(provider=provider, ctx=ctx, options=options)
    except ConflictError as exc:
        if args.check:  # a conflict is drift: the plan, and exit 4
            _report_sync(session, provider.id, options, exc.result)
            session.note("check failed: keys changed in the target since the last sync")
            return EXIT_DRIFT
        if not args.json:  # with --json the error report carries the changes
            _report_sync(session, provider.id, options, exc.result)
        raise
    except PartialSyncError as exc:
        if not args.json:  # with --json the error report carries the changes
            _report_sync(session, provider.id, options, exc.result)
        raise
    if not isinstance(result, SyncResult):
        raise PluginError(
            f"secrets_sync returned {type(result).__name__}, not SyncResult: a plugin "
            "wrapping secrets_sync is broken (see `stagecraft plugins`)"
        )
    _report_sync(session, provider.id, options, result)
    if ctx.cancelled:  # a provider that finished its work despite the interrupt
        session.error(f"{provider.id}: interrupted; the changes listed were written")
        return EXIT_INTERRUPTED
    if args.check and result.changed:
        session.note("check failed: the target is out of sync (run without --check to sync)")
        return EXIT_DRIFT
    return EXIT_OK


def _target_provider(
    session: Session, config: Config | None, registry: Any
) -> tuple[Any, str]:
    """The provider that writes, and the location in it.

    ``--to ID:LOC`` (or ``secrets.to``) names the store itself; otherwise
    ``--provider`` or ``secrets.provider`` chooses it and ``--to`` is a
    location inside it, as in v1.
    """
    from stagecraft.locations import split

    args = session.args
    text = args.target or _configured(config, registry, "target")
    store_id, location = split(text, registry, cwd=session.cwd, reserved=_reserved(registry))
    if store_id is not None:
        if args.provider and args.provider != store_id:
            raise UserError(
                f"--provider {args.provider} and --to {store_id}:... name different providers; "
                "drop one of them"
            )
        return registry.get(store_id), location
    if args.provider:  # --provider wins; the config module is not needed to honour it
        return registry.get(args.provider), location
    from stagecraft.config.provider_choice import choose_provider

    return choose_provider(config, registry), location


def _configured(config: Config | None, registry: Any, role: str) -> str:
    """``secrets.from`` / ``secrets.to``, with a relative file path made relative to the
    config's directory, as every path in stagecraft.yml is (``source_file`` and the like).

    A location is a path when it goes to a file store, or is an unprefixed source
    (an env file); other stores' locations are names and stay as written.
    """
    text: str | None = getattr(config.secrets, role) if config is not None else None
    if not text or config is None:
        return ""
    from stagecraft.filestore import FileStore
    from stagecraft.locations import split

    store_id, location = split(text, registry, cwd=config.directory, reserved=_reserved(registry))
    owner = store_id if store_id is not None else config.secrets.provider
    if store_id is None and role == "source":
        is_path = True  # an env file
    else:
        is_path = owner is not None and isinstance(
            registry.get(owner) if registry.has(owner) else None, FileStore
        )
    if not is_path or Path(location).expanduser().is_absolute():
        return text
    resolved = str(config.directory / Path(location).expanduser())
    return f"{store_id}:{resolved}" if store_id is not None else resolved


def _reserved(registry: Any) -> set[str]:
    """Words that stores use in their own location grammar (``env:`` of Encore)."""
    words: set[str] = set()
    for provider in registry.list():
        words.update(getattr(provider, "reserved_prefixes", ()))
    return words


def _refuse_store_options(provider: Any, options: Any) -> None:
    """``--exclude``, ``--prune``, ``--force`` and ``ID:`` sources need the engine, so a store."""
    from stagecraft.selection import is_pattern
    from stagecraft.store import SecretStore

    if isinstance(provider, SecretStore):
        return
    used = [flag for flag, on in (("--exclude", options.exclude), ("--prune", options.prune),
                                  ("--allow-empty-source", options.allow_empty_source),
                                  ("--force", options.force)) if on]
    used += ["KEY patterns"] if any(is_pattern(key) for key in options.keys) else []
    used += ["--from -"] if options.source == "-" else []
    if used:
        raise UserError(
            f"provider {provider.id!r} implements sync itself, so {', '.join(used)} "
            "cannot apply to it (they are features of stores)"
        )


@contextlib.contextmanager
def _interrupts_cancel(session: Session, ctx: Any) -> Iterator[None]:
    """While a sync runs, the first Ctrl-C cancels it: no new write starts, those in
    flight finish, and the sync reports what was written (exit 130).  A second one
    stops waiting (KeyboardInterrupt: the engine reports the calls in flight as
    unknown and stops them).  Child processes of stores run in sessions of their
    own, so a terminal's Ctrl-C reaches stagecraft alone."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def cancel(signum: int, frame: object) -> None:
        if ctx.cancelled:
            raise KeyboardInterrupt
        ctx.cancel()
        if ctx.stops_at_once:  # reading or planning: nothing in flight to wait for
            raise KeyboardInterrupt
        session.note("interrupted: no new write starts, the writes in flight finish "
                     "(Ctrl-C again to stop waiting)")

    before = signal.signal(signal.SIGINT, cancel)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextlib.contextmanager
def _progress_line(session: Session, ctx: Any) -> Iterator[None]:
    """On a terminal (and without ``-q``), a progress line on stderr while the sync writes."""
    import os

    if (session.verbosity < 0 or not _is_terminal(session.stderr)
            or os.environ.get("TERM") == "dumb"):
        yield
        return
    import logging

    from stagecraft.progress import ProgressLine

    line = session.progress = ProgressLine(session.stderr)

    class ClearFirst(logging.Filter):
        """A log record (a warning mid-sync) starts on a clean line, not after the counts."""

        def filter(self, record: logging.LogRecord) -> bool:
            line.clear()
            return True

    clear_first = ClearFirst()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(clear_first)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(clear_first)
        line.clear()
        session.progress = None


@contextlib.contextmanager
def _provider_output(session: Session) -> Iterator[None]:
    """What providers print goes to stderr, masked, marked as theirs: stdout holds results
    only (``--json`` stays parseable), and a value printed by mistake is masked."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = _MaskedStream(session)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = out, err


class _MaskedStream(io.TextIOBase):
    """A text stream that masks each line and writes it to the session's stderr."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            prefix = Structural(f"{PROG}: provider output: ")
            self._session.err(self._session.redactor.render(prefix, line))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.write(pending + "\n")


def _changes_json(result: SyncResult) -> list[dict[str, str]]:
    return [{"key": change.key, "action": change.action.value} for change in result.changes]


def _report_sync(session: Session, provider_id: str, options: Any, result: SyncResult) -> None:
    from stagecraft.errors import printable

    if session.args.json:
        _print_json(
            session,
            {
                "provider": provider_id,
                "source": result.source or options.source,
                "target": result.target or options.target,
                "dry_run": options.dry_run,
                "changes": _changes_json(result),
            },
        )
    else:
        for change in result.changes:
            action = change.action.value
            session.out(session.paint_out(f"{SYMBOLS[action]} {printable(change.key)}",
                                          COLOURS[action]))
    counts = dict.fromkeys(SYMBOLS, 0)
    for change in result.changes:
        counts[change.action.value] += 1
    summary = ", ".join(f"{count} {action}" for action, count in counts.items()
                        if count or action != "conflict")
    suffix = " (dry run: nothing written)" if options.dry_run else ""
    session.note(f"{provider_id}: {summary}{suffix}")


def cmd_providers(session: Session) -> int:
    """``secrets providers``: ids in order, with the plugin and distribution of each."""
    config = _load_config(session)
    registry = _manager(session, config).build_registry()
    if session.args.provider_id:
        from stagecraft.describe import describe, render

        provider = registry.get(session.args.provider_id)
        info = describe(provider, registry.origin(provider.id))
        if session.args.json:
            _print_json(session, info)
        else:
            for line in render(info):
                session.out(line)
        return EXIT_OK
    entries = []
    for provider_id in registry.ids():
        origin = registry.origin(provider_id)
        entries.append(
            {
                "id": provider_id,
                "plugin": origin.plugin,
                "distribution": origin.distribution,
                "version": origin.version,
            }
        )
    if session.args.json:
        _print_json(session, entries)
        return EXIT_OK
    if not entries:
        session.note("no secrets providers installed (see `stagecraft plugins`)")
        return EXIT_OK
    rows = [["ID", "PLUGIN", "DISTRIBUTION"]]
    for entry in entries:
        dist = entry["distribution"]
        rows.append([
            str(entry["id"]),
            str(entry["plugin"]),
            f"{dist} {entry['version'] or '?'}" if dist else "-",
        ])
    for line in _table(rows):
        session.out(line)
    return EXIT_OK


def cmd_plugins(session: Session) -> int:
    """``plugins``: every plugin with its status; a broken plugin shows as failed."""
    from stagecraft.errors import PluginError, PluginLoadError
    from stagecraft.plugins import Status

    config = _load_config(session)
    manager = _manager(session, config, strict=False)
    try:
        manager.build_registry()
    except PluginLoadError:
        pass  # the plugins at fault are now listed as failed, with the reason
    except PluginError as exc:
        # Id conflicts and empty ids involve several plugins or none in
        # particular: shown once, above the listing.
        session.error(str(exc), label="warning")
    infos = manager.list_plugins()
    if session.args.json:
        _print_json(session, [_plugin_json(info) for info in infos])
        return EXIT_OK
    rows = [["NAME", "STATUS", "KIND", "DISTRIBUTION", "VERSION", "HOOKS"]]
    for info in infos:
        rows.append([
            info.name,
            info.status.value,
            info.kind.value,
            info.distribution or "-",
            info.version or "-",
            ", ".join(info.hooks) or "-",
        ])
    lines = _table(rows)
    session.out(lines[0])
    for line, info in zip(lines[1:], infos, strict=True):
        session.out(line)
        if info.error:
            label = "error" if info.status is Status.FAILED else "reason"
            session.out(session.redactor.redact(f"    {label}: {info.error}"))
    return EXIT_OK


def _plugin_json(info: PluginInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "kind": info.kind.value,
        "status": info.status.value,
        "distribution": info.distribution,
        "version": info.version,
        "hooks": list(info.hooks),
        "error": info.error,
    }


def cmd_config_check(session: Session) -> int:
    """``config check``: the file, its plugins, ``secrets.provider`` and every known section."""
    from stagecraft.config.provider_choice import check_sections, choose_provider

    config = _load_config(session, required=True)
    assert config is not None
    registry = _manager(session, config).build_registry()
    check_sections(config, registry)
    chosen = None
    if config.secrets.provider is not None:
        chosen = choose_provider(config, registry)
    for provider_id in config.secrets.providers:
        config.provider_config(registry.get(provider_id))
    session.out(f"{config.display}: ok")
    if chosen is None:
        session.note("secrets.provider is not set: `secrets sync` will need --provider ID")
    else:
        session.note(f"provider {chosen.id!r} from {registry.origin(chosen.id)}")
    return EXIT_OK


def cmd_config_show(session: Session) -> int:
    """``config show``: the effective configuration, credentials masked."""
    from stagecraft import config_show

    config = _load_config(session)
    settings = _plugin_settings(session, config)
    registry = _manager(session, config).build_registry()
    chosen = config.secrets.provider if config is not None else None
    ids = list(config.secrets.providers) if config is not None else []
    if chosen is not None and chosen not in ids:
        ids.append(chosen)
    sections: dict[str, Any] = {}
    for provider_id in ids:
        if not registry.has(provider_id):
            raw = config.secrets.providers.get(provider_id) if config is not None else None
            sections[provider_id] = {"installed": False, "settings": config_show.mask(raw or {})}
            continue
        provider = registry.get(provider_id)
        structured = config.provider_config(provider) if config is not None else None
        config_class = getattr(provider, "Config", None)
        if structured is None and config_class is not None:
            structured = config_class()  # no section: the defaults, as a sync uses them
        sections[provider_id] = config_show.mask(config_show.section(structured or {}))
    data: dict[str, Any] = {
        "file": str(config.path) if config is not None else None,
        "provider": chosen,
        "from": config.secrets.source if config is not None else None,
        "to": config.secrets.target if config is not None else None,
        "plugins": {
            "disable": list(settings.disable),
            "only": None if settings.allow is None else list(settings.allow),
            "modules": list(settings.modules),
            "dirs": [str(d) for d in settings.dirs],
        },
        "providers": sections,
    }
    if session.args.json:
        _print_json(session, data)
    else:
        session.out(config_show.render(data))
    if config is None:
        session.note("no stagecraft.yml found: these are the defaults (create one with "
                     "`stagecraft init`)")
    return EXIT_OK


def cmd_init(session: Session) -> int:
    """``init``: write stagecraft.yml (or ``--config FILE``) for the project in the working
    directory."""
    from stagecraft.init_command import initialise

    config = None  # a config elsewhere (a parent's) must not stop a new project's own
    registry = _manager(session, config).build_registry()
    given = session.args.config
    report = initialise(
        session.cwd, registry, provider_id=session.args.provider,
        config_path=session.cwd / Path(given).expanduser() if given else None,
    )
    for line in report.lines:
        session.out(line)
    return EXIT_OK


def cmd_completion(session: Session) -> int:
    """``completion SHELL``: the shell's completion script, on stdout."""
    from stagecraft.completion import script

    session.out(script(session.args.shell))
    return EXIT_OK


# ------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code.

    For embedding and tests: the process goes on afterwards.  The console
    script and ``python -m stagecraft`` use :func:`run`.
    """
    return _main(argv, _CollectorPause(own_process=False))


def run() -> NoReturn:
    """The ``stagecraft`` console script: :func:`main` in a process of its own, then exit.

    A Ctrl-C before a command has its own handling (while the parser or the
    plugins load) exits 130 too, without a traceback.
    """
    try:
        code = _main(None, _CollectorPause(own_process=True))
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        code = EXIT_INTERRUPTED
    raise SystemExit(code)


def _main(argv: Sequence[str] | None, pause: _CollectorPause) -> int:
    with pause:
        parser = build_parser()
        words = sys.argv[1:] if argv is None else list(argv)
        _Parser.colour_mode = _colour_mode(words)
        _Parser.argv, _Parser.root = words, parser
        if _completing():
            from stagecraft.completion import answer

            answer(parser)  # prints the candidates and exits, as the shell expects
        try:
            args = _merge_late(parser.parse_args(argv))
        except SystemExit as exc:  # --help, --version and usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
        finally:
            _Parser.argv, _Parser.root = (), None  # no later parse is diagnosed by this line
        _ensure_streams()
        try:
            session = Session(args, started=pause.resume)
        except StagecraftError as exc:
            sys.stderr.write(f"{PROG}: error: {exc}\n")
            return exc.exit_code
        undo_logging = _setup_logging(session)
        try:
            code = _run(session)
            with writing_output():
                session.stdout.flush()
            return code
        except OutputLostError as exc:
            session.error(lost_output_text(exc, session.sync_options))
            discard_unwritten(session.stdout)
            return exc.exit_code
        finally:
            undo_logging()
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                pass


def _colour_mode(argv: Sequence[str]) -> str:
    """The last valid ``--color WHEN`` / ``--color=WHEN`` in ``argv`` (default ``auto``)."""
    mode = "auto"
    for index, word in enumerate(argv):
        if word == "--":
            break
        value = word.partition("=")[2] if word.startswith("--color=") else (
            argv[index + 1] if word == "--color" and index + 1 < len(argv) else None)
        if value in ("auto", "always", "never"):
            mode = value
    return mode


def _completing() -> bool:
    """Whether a shell's completion script is asking for candidates (argcomplete's protocol)."""
    import os

    return "_ARGCOMPLETE" in os.environ


def _ensure_streams() -> None:
    """A closed stdout or stderr (``>&-``) discards output instead of failing the command."""
    import os

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


class _CollectorPause:
    """How the cyclic garbage collector treats start-up (measured by ``benchmarks/startup.py``).

    Start-up imports plugins and defines classes: a few hundred thousand
    long-lived objects and no garbage cycles, yet the collector would walk
    them again and again while they are created, again during a large sync,
    and once more when the interpreter exits (about a tenth of a small
    command's time).  So collection is off during start-up, and
    :meth:`resume` switches it back on before a provider runs (leaving the
    ``with`` block does in any case).

    In a process of its own (``own_process``: the console script), resuming
    also freezes what start-up created (:func:`gc.freeze`): it lives until the
    process ends anyway, and later collections, the one at exit included,
    skip it.  Not when embedded: the caller's objects would be frozen too.
    A caller that turned collection off itself keeps it that way.
    """

    def __init__(self, *, own_process: bool) -> None:
        self._own_process = own_process
        self._paused = False

    def __enter__(self) -> _CollectorPause:
        import gc

        if gc.isenabled():
            gc.disable()
            self._paused = True
        return self

    def resume(self) -> None:
        """Collect again from now on."""
        if self._paused:
            import gc

            self._paused = False
            if self._own_process:
                gc.freeze()
            gc.enable()

    def __exit__(self, *exc_info: object) -> None:
        self.resume()


def _run(session: Session) -> int:
    handler: Callable[[Session], int] = session.args.handler
    try:
        return handler(session)
    except BrokenPipeError:
        # stdout was closed early (`| head`): not an error worth a traceback.
        return EXIT_OK
    except OutputLostError:
        raise  # told with what the command did, by _main
    except StagecraftError as exc:
        from stagecraft.error_text import message_text

        _traceback(session, exc)
        _report_error(session, exc, message_text(session.redactor, exc), exc.exit_code)
        return exc.exit_code
    except KeyboardInterrupt:
        _report_error(session, None, "interrupted", EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a file or network problem outside Stagecraft's control
        _traceback(session, exc)
        text = session.redactor.redact(f"{type(exc).__name__}: {exc}")
        _report_error(session, exc, text, EXIT_PROVIDER_ERROR)
        return EXIT_PROVIDER_ERROR
    except Exception as exc:  # noqa: BLE001 - anything else is a bug, reported as one
        _traceback(session, exc)
        first = (str(exc).strip().splitlines() or [""])[0]
        detail = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        _report_error(session, exc, session.redactor.redact(f"internal error: {detail}"),
                      EXIT_INTERNAL_ERROR)
        if session.verbosity < 1:
            session.err(f"{PROG}: this is a bug in stagecraft or a plugin; "
                        "run with -v for the traceback")
        return EXIT_INTERNAL_ERROR


def _report_error(
    session: Session, exc: BaseException | None, text: str, exit_code: int
) -> None:
    """The error on stderr; with ``--json``, also one JSON object on stdout."""
    session.error(text)
    if not getattr(session.args, "json", False):
        return
    from stagecraft.providers.secrets import PartialSyncError

    report: dict[str, Any] = {"error": {"message": text, "exit_code": exit_code}}
    options = session.sync_options
    if options is not None:
        where = session.sync_endpoints
        report = {"provider": session.sync_provider,
                  "source": where.get("source", options.source),
                  "target": where.get("target", options.target),
                  "dry_run": options.dry_run, **report}
    from stagecraft.plan import ConflictError

    if isinstance(exc, ConflictError):
        report["changes"] = _changes_json(exc.result)
    if isinstance(exc, PartialSyncError):
        report["changes"] = _changes_json(exc.result)
        report["failed"] = [
            {"key": key, "reason": session.redactor.redact(reason)}
            for key, reason in exc.failed.items()
        ]
        report["unknown"] = [
            {"key": key, "reason": session.redactor.redact(reason)}
            for key, reason in getattr(exc, "unknown", {}).items()
        ]
        report["source"] = exc.result.source or report.get("source", "")
        report["target"] = exc.result.target or report.get("target", "")
    with contextlib.suppress(BrokenPipeError, ValueError):
        _print_json(session, report)


def _traceback(session: Session, exc: BaseException) -> None:
    """With ``-v``, the traceback (frames as they are, messages masked); otherwise nothing."""
    if session.verbosity < 1:
        return
    from stagecraft.error_text import traceback_text

    session.err(traceback_text(session.redactor, exc).rstrip("\n"))
