"""The ``stagecraft`` command.

::

    stagecraft [--config FILE] [-p MODULE | -p no:NAME]... [--plugins-dir DIR]... [-v|-q]
               [--version] COMMAND
    stagecraft secrets sync [--provider ID] [--from SOURCE] [--to TARGET]
                            [--dry-run | --check] [--json] [KEY ...]
    stagecraft secrets providers [--json]
    stagecraft plugins [--json]
    stagecraft config check

Results go to stdout, diagnostics (errors, summaries, log records) to stderr,
and every line that reaches stderr first passes through the run's
:class:`~stagecraft.redact.Redactor`, so a value a provider read cannot leak
through an exception message or a ``-v`` traceback.

Exit codes: 0 success, 1 user or config error, 2 provider or external
failure, 3 internal error, 4 ``--check`` found pending changes, 130
interrupted (Ctrl-C), after reporting which keys were written.

Output is plain text without color or terminal control codes, so it reads the
same in CI logs, pipes and terminals (and ``NO_COLOR`` has nothing to turn off).

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
from stagecraft.redact import Redactor

if TYPE_CHECKING:
    from stagecraft.config import Config
    from stagecraft.plugins import PluginInfo, PluginManager, PluginSettings
    from stagecraft.providers.secrets import SyncResult

PROG = "stagecraft"
SYMBOLS = {"added": "+", "updated": "~", "unchanged": "=", "removed": "-"}


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
        #: The provider and options of the sync being run, for the JSON error report.
        self.sync_provider: str | None = None
        self.sync_options: Any = None

    def out(self, text: str = "") -> None:
        """A line of results on stdout."""
        self.stdout.write(text + "\n")

    def err(self, text: str, *, free: bool = False) -> None:
        """A diagnostic on stderr; ``free`` text (from providers and plugins) is masked."""
        if free:
            text = self.redactor.redact(text)
        self.stderr.write(_escape_controls(text) + "\n")

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
        for line in message.splitlines() or [""]:
            self.err(line if line[:1].isspace() else f"{PROG}: {label}: {line}")


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

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{PROG}: error: {message} (see '{self.prog} --help')\n")
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


def _merge_late(args: argparse.Namespace) -> argparse.Namespace:
    """Fold global options given after the command into the ordinary names."""
    for name in ("config", "verbosity"):
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
    json_help: str | None = None,
    arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """A leaf command with its handler, ``--json`` if it has one, its own
    ``arguments``, then the global options (so its own come first in the usage line).

    The options are added when the command is used (parsed, or its help or
    usage shown): a run builds the options of one command, not of all.
    """
    parser: _Parser = group.add_parser(name, help=help, description=description)
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


def _sync_arguments(sync: argparse.ArgumentParser) -> None:
    sync.add_argument("--provider", metavar="ID",
                      help="provider to use (default: secrets.provider in stagecraft.yml)")
    sync.add_argument("--from", dest="source", default="", metavar="[ID:]SOURCE",
                      help="where to read: an env file, or ID:LOCATION of a store "
                      "(default: secrets.from, else the provider's configured source)")
    sync.add_argument("--to", dest="target", default="", metavar="[ID:]TARGET",
                      help="where to write: a location in the provider, or ID:LOCATION "
                      "(default: secrets.to, else the provider's configured target)")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="change nothing; show what would")
    mode.add_argument(
        "--check", action="store_true",
        help="change nothing; exit 4 if the target is out of sync (for CI)",
    )
    sync.add_argument("--prune", action="store_true",
                      help="also remove target keys the source lacks (within the selection)")
    sync.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                      help="leave out keys matching PATTERN (a name or glob; repeatable)")
    sync.add_argument("--no-record", dest="record", action="store_false",
                      help="for write-only stores: neither read nor update the record of "
                      "what this machine wrote (plans then never say unchanged)")
    sync.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                      help="stop starting writes after SECONDS and report what was not written")
    sync.add_argument("keys", nargs="*", metavar="KEY|PATTERN",
                      help="keys to sync, by name or glob such as 'STRIPE_*' (default: all)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Sync secrets between env files, secret stores and in-house providers.",
        epilog="Exit codes: 0 ok, 1 user or config error, 2 provider failure, "
        "3 internal error, 4 `secrets sync --check` found changes, 130 interrupted.",
    )
    _add_global_options(parser)
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0,
        help="show the version and plugin distributions, then exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    secrets = commands.add_parser(
        "secrets", help="sync secrets; list providers", description="Secrets commands."
    )
    secrets_commands = secrets.add_subparsers(dest="secrets_command", metavar="COMMAND",
                                              required=True)
    _command(
        secrets_commands, "sync", cmd_sync,
        help="copy secrets from a source to a target",
        description="Copy secrets from SOURCE to TARGET with a provider. Prints one line per "
        "key: '+ KEY' added, '~ KEY' updated, '= KEY' unchanged, '- KEY' removed.",
        json_help="print the result as JSON",
        arguments=_sync_arguments,
    )
    _command(
        secrets_commands, "providers", cmd_providers,
        help="list secrets providers",
        description="List the installed secrets providers, with the plugin providing each.",
        json_help="print the list as JSON",
    )
    _command(
        commands, "plugins", cmd_plugins,
        help="list plugins and their status",
        description="List every plugin found, including disabled and failed ones.",
        json_help="print the list as JSON",
    )
    config = commands.add_parser("config", help="config file commands",
                                 description="Config file commands.")
    config_commands = config.add_subparsers(dest="config_command", metavar="COMMAND",
                                            required=True)
    _command(
        config_commands, "check", cmd_config_check,
        help="validate stagecraft.yml",
        description="Validate stagecraft.yml, its plugins and the chosen provider's section.",
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
    from stagecraft.config import load

    return load(path, cwd=session.cwd)


def _plugin_settings(session: Session, config: Config | None) -> PluginSettings:
    """Environment, then stagecraft.yml's ``plugins`` section, then ``-p`` and ``--plugins-dir``."""
    from stagecraft.plugins import PluginSettings

    settings = PluginSettings.from_env()
    if config is not None:
        settings = settings.merge(
            disable=config.plugins.disable,
            modules=config.plugins.modules,
            dirs=config.plugin_dirs,
        )
    for option in session.args.plugin_args:
        settings = settings.with_option(option)
    return settings.merge(
        dirs=[session.cwd / Path(d).expanduser() for d in session.args.plugins_dirs]
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
    from stagecraft.providers.secrets import Context, PartialSyncError, SyncOptions, SyncResult

    args = session.args
    config = _load_config(session)
    manager = _manager(session, config)
    registry = manager.build_registry()
    provider, target = _target_provider(session, config, registry)
    source = args.source or _configured(config, registry, "source")
    ctx = Context(
        cwd=session.cwd,
        config_dir=config.directory if config is not None else session.cwd,
        redactor=session.redactor,
    )
    ctx.registry = registry
    if config is not None:
        ctx.configs = config.provider_config
    if args.timeout is not None:
        import time

        ctx.deadline = time.monotonic() + args.timeout
    options = SyncOptions(
        config=config.provider_config(provider) if config is not None else None,
        source=source,
        target=target,
        keys=tuple(args.keys),
        dry_run=args.dry_run or args.check,
        exclude=tuple(args.exclude),
        prune=args.prune,
        record=args.record,
    )
    _refuse_store_options(provider, options)
    session.sync_provider = provider.id
    session.sync_options = options
    session.started()
    try:
        with _interrupts_cancel(ctx), _provider_output(session):
            result = manager.hook.secrets_sync(provider=provider, ctx=ctx, options=options)
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
    from stagecraft.config import choose_provider

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
    """``--exclude``, ``--prune`` and ``ID:`` sources need the engine, so a store."""
    from stagecraft.selection import is_pattern
    from stagecraft.store import SecretStore

    if isinstance(provider, SecretStore):
        return
    used = [flag for flag, on in (("--exclude", options.exclude), ("--prune", options.prune))
            if on]
    used += ["KEY patterns"] if any(is_pattern(key) for key in options.keys) else []
    if used:
        raise UserError(
            f"provider {provider.id!r} implements sync itself, so {', '.join(used)} "
            "cannot apply to it (they are features of stores)"
        )


@contextlib.contextmanager
def _interrupts_cancel(ctx: Any) -> Iterator[None]:
    """While a sync runs, the first Ctrl-C cancels it: no new write starts, those in
    flight finish, and the sync reports what was written (exit 130).  A second one
    stops at once."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def cancel(signum: int, frame: object) -> None:
        if ctx.cancelled:
            raise KeyboardInterrupt
        ctx.cancel()

    before = signal.signal(signal.SIGINT, cancel)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


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
            self._session.err(f"{PROG}: provider output: {line}", free=True)
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
            session.out(f"{SYMBOLS[change.action.value]} {printable(change.key)}")
    counts = dict.fromkeys(SYMBOLS, 0)
    for change in result.changes:
        counts[change.action.value] += 1
    summary = ", ".join(f"{count} {action}" for action, count in counts.items())
    suffix = " (dry run: nothing written)" if options.dry_run else ""
    session.note(f"{provider_id}: {summary}{suffix}")


def cmd_providers(session: Session) -> int:
    """``secrets providers``: ids in order, with the plugin and distribution of each."""
    config = _load_config(session)
    registry = _manager(session, config).build_registry()
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
    from stagecraft.config import check_sections, choose_provider

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


# ------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code.

    For embedding and tests: the process goes on afterwards.  The console
    script and ``python -m stagecraft`` use :func:`run`.
    """
    return _main(argv, _CollectorPause(own_process=False))


def run() -> NoReturn:
    """The ``stagecraft`` console script: :func:`main` in a process of its own, then exit."""
    raise SystemExit(_main(None, _CollectorPause(own_process=True)))


def _main(argv: Sequence[str] | None, pause: _CollectorPause) -> int:
    with pause:
        parser = build_parser()
        try:
            args = _merge_late(parser.parse_args(argv))
        except SystemExit as exc:  # --help, --version and usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
        _ensure_streams()
        try:
            session = Session(args, started=pause.resume)
        except StagecraftError as exc:
            sys.stderr.write(f"{PROG}: error: {exc}\n")
            return exc.exit_code
        undo_logging = _setup_logging(session)
        try:
            return _run(session)
        finally:
            undo_logging()
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                pass


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
    except StagecraftError as exc:
        _traceback(session, exc)
        _report_error(session, exc, _error_text(session, exc), exc.exit_code)
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


def _error_text(session: Session, exc: StagecraftError) -> str:
    """The message of ``exc`` as shown: the core's own messages as they are, others masked.

    The core composes its messages from names, paths and counts; the reasons
    a sync gives per key were masked by the engine when they were recorded.
    A partial failure's reasons are masked here too, for providers that
    raise it themselves.
    """
    from stagecraft.providers.secrets import PartialSyncError

    if isinstance(exc, PartialSyncError):
        from stagecraft.engine import SyncFailedError

        head = str(exc).splitlines()[0] if str(exc) else "sync failed"
        if not isinstance(exc, SyncFailedError):
            head = session.redactor.redact(head)
        done = [change.key for change in exc.result.changes]
        lines = [head, f"  synced ({len(done)}): {', '.join(done) if done else '-'}",
                 f"  not synced ({len(exc.failed)}):"]
        lines += [f"    {key}: {session.redactor.redact(reason)}"
                  for key, reason in exc.failed.items()]
        return "\n".join(lines)
    if _raised_by_core(exc) and not getattr(exc, "free_text", False):
        return str(exc)
    return session.redactor.redact(str(exc))


def _raised_by_core(exc: BaseException) -> bool:
    """Whether the core itself raised ``exc`` (its messages hold names, never values).

    Told by where it was raised, not by its class: a provider may raise the
    core's ProviderError with whatever text it likes.
    """
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "")
    return isinstance(module, str) and (module == "stagecraft" or module.startswith("stagecraft."))


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
        report = {"provider": session.sync_provider, "source": options.source,
                  "target": options.target, "dry_run": options.dry_run, **report}
    if isinstance(exc, PartialSyncError):
        report["changes"] = _changes_json(exc.result)
        report["failed"] = [
            {"key": key, "reason": session.redactor.redact(reason)}
            for key, reason in exc.failed.items()
        ]
        report["source"] = exc.result.source or report.get("source", "")
        report["target"] = exc.result.target or report.get("target", "")
    with contextlib.suppress(BrokenPipeError, ValueError):
        _print_json(session, report)


def _traceback(session: Session, exc: BaseException) -> None:
    """With ``-v``, the traceback (redacted); otherwise nothing."""
    if session.verbosity < 1:
        return
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    session.err(text.rstrip("\n"), free=True)
