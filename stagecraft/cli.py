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
failure, 3 internal error, 4 ``--check`` found pending changes.

Output is plain text without color or terminal control codes, so it reads the
same in CI logs, pipes and terminals (and ``NO_COLOR`` has nothing to turn off).

Start-up time is measured, so each command imports only what it needs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERNAL_ERROR,
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
    """One run of the command: parsed arguments, output streams and the redactor."""

    def __init__(
        self, args: argparse.Namespace, *, started: Callable[[], None] = lambda: None
    ) -> None:
        self.args = args
        #: Called when start-up is over and a provider is about to run.
        self.started = started
        self.verbosity: int = args.verbosity
        self.redactor = Redactor()
        self.cwd = Path.cwd()

    def out(self, text: str = "") -> None:
        """A line of results on stdout."""
        sys.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        """A diagnostic on stderr, redacted."""
        sys.stderr.write(self.redactor.redact(text) + "\n")

    def note(self, text: str) -> None:
        """An informational diagnostic, silenced by ``-q``."""
        if self.verbosity >= 0:
            self.err(f"{PROG}: {text}")

    def error(self, message: str, *, label: str = "error") -> None:
        """``stagecraft: error: ...`` for each top-level line; indented lines are details.

        A config error lists one ``FILE:LINE:COL: ...`` problem per line, and
        each gets its own prefix so editors and CI annotators can parse it.
        """
        for line in message.splitlines() or [""]:
            self.err(line if line[:1].isspace() else f"{PROG}: {label}: {line}")


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
    sync.add_argument("--from", dest="source", default="", metavar="SOURCE",
                      help="where to read (default: the provider's configured source)")
    sync.add_argument("--to", dest="target", default="", metavar="TARGET",
                      help="where to write (default: the provider's configured target)")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="change nothing; show what would")
    mode.add_argument(
        "--check", action="store_true",
        help="change nothing; exit 4 if the target is out of sync (for CI)",
    )
    sync.add_argument("keys", nargs="*", metavar="KEY", help="keys to sync (default: all)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Sync secrets between env files, secret stores and in-house providers.",
        epilog="Exit codes: 0 ok, 1 user or config error, 2 provider failure, "
        "3 internal error, 4 `secrets sync --check` found changes.",
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
    """``secrets sync``: one provider run, printed per key."""
    from stagecraft.errors import PluginError
    from stagecraft.providers.secrets import (
        Context,
        PartialSyncError,
        SyncOptions,
        SyncResult,
    )

    args = session.args
    config = _load_config(session)
    manager = _manager(session, config)
    registry = manager.build_registry()
    if args.provider:  # --provider wins; the config module is not needed to honour it
        provider = registry.get(args.provider)
    else:
        from stagecraft.config import choose_provider

        provider = choose_provider(config, registry)
    section = config.provider_config(provider) if config is not None else None
    ctx = Context(
        cwd=session.cwd,
        config_dir=config.directory if config is not None else session.cwd,
        redactor=session.redactor,
    )
    options = SyncOptions(
        config=section,
        source=args.source,
        target=args.target,
        keys=tuple(args.keys),
        dry_run=args.dry_run or args.check,
    )
    session.started()
    try:
        result = manager.hook.secrets_sync(provider=provider, ctx=ctx, options=options)
    except PartialSyncError as exc:
        _report_sync(session, provider.id, options, exc.result)
        raise
    if not isinstance(result, SyncResult):
        raise PluginError(
            f"secrets_sync returned {type(result).__name__}, not SyncResult: a plugin "
            "wrapping secrets_sync is broken (see `stagecraft plugins`)"
        )
    _report_sync(session, provider.id, options, result)
    if args.check and result.changed:
        session.note("check failed: the target is out of sync (run without --check to sync)")
        return EXIT_DRIFT
    return EXIT_OK


def _report_sync(session: Session, provider_id: str, options: Any, result: SyncResult) -> None:
    if session.args.json:
        _print_json(
            session,
            {
                "provider": provider_id,
                "source": options.source,
                "target": options.target,
                "dry_run": options.dry_run,
                "changes": [
                    {"key": change.key, "action": change.action.value}
                    for change in result.changes
                ],
            },
        )
    else:
        for change in result.changes:
            session.out(f"{SYMBOLS[change.action.value]} {change.key}")
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
        session = Session(args, started=pause.resume)
        undo_logging = _setup_logging(session)
        try:
            return _run(session)
        finally:
            undo_logging()
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                pass


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
    from stagecraft.errors import ProviderError

    handler: Callable[[Session], int] = session.args.handler
    try:
        return handler(session)
    except BrokenPipeError:
        # stdout was closed early (`| head`): not an error worth a traceback.
        return EXIT_OK
    except StagecraftError as exc:
        _traceback(session, exc)
        session.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        session.error("interrupted")
        return ProviderError.exit_code
    except OSError as exc:  # a file or network problem outside Stagecraft's control
        _traceback(session, exc)
        session.error(f"{type(exc).__name__}: {exc}")
        return EXIT_PROVIDER_ERROR
    except Exception as exc:  # noqa: BLE001 - anything else is a bug, reported as one
        _traceback(session, exc)
        first = (str(exc).strip().splitlines() or [""])[0]
        detail = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        session.error(f"internal error: {detail}", label="error")
        if session.verbosity < 1:
            session.err(f"{PROG}: this is a bug in stagecraft or a plugin; "
                        "run with -v for the traceback")
        return EXIT_INTERNAL_ERROR


def _traceback(session: Session, exc: BaseException) -> None:
    """With ``-v``, the traceback (redacted); otherwise nothing."""
    if session.verbosity < 1:
        return
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    session.err(text.rstrip("\n"))
