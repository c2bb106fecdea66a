"""``stagecraft secrets sync``: its options, and the report of what it did.

The sync itself is the Python API's code path (:func:`stagecraft.api.prepare_sync`
and :func:`stagecraft.api.run_sync`); this module adds what a terminal
needs around it (:mod:`stagecraft.cli.capture`) and prints one line per key.
"""

from __future__ import annotations

import argparse
import sys

from stagecraft.api import PreparedSync, prepare_sync, run_sync
from stagecraft.cli.capture import interrupts_cancel, is_terminal, progress_line, provider_output
from stagecraft.cli.command import Command
from stagecraft.cli.completion import completer
from stagecraft.cli.loading import project_options
from stagecraft.cli.session import Session
from stagecraft.errors import EXIT_DRIFT, EXIT_INTERRUPTED, EXIT_OK, printable
from stagecraft.locations import STDIN
from stagecraft.plan import ConflictError
from stagecraft.providers.secrets import PartialSyncError, SyncOptions, SyncResult

__all__ = ["COMMAND", "arguments", "changes_json", "cmd_sync", "environments_json"]

#: ``!``: changed in the target since this machine last synced it (nothing written).
SYMBOLS = {"added": "+", "updated": "~", "unchanged": "=", "removed": "-", "conflict": "!"}
#: Plan lines are coloured like a diff (terminals only).
COLOURS = {"added": "green", "updated": "yellow", "unchanged": "dim", "removed": "red",
           "conflict": "bold"}


def arguments(sync: argparse.ArgumentParser) -> None:
    sync.add_argument("--provider", metavar="ID",
                      help="provider to use (default: secrets.provider in stagecraft.yml)"
                      ).completer = completer("provider")  # type: ignore[attr-defined]
    sync.add_argument("--from", dest="source", default="", metavar="[ID:]SOURCE",
                      help="where to read: an environment of secrets.environments, an env file "
                      "('-': standard input), or ID:LOCATION of a store (default: secrets.from, "
                      "else the provider's configured source)"
                      ).completer = completer("source")  # type: ignore[attr-defined]
    sync.add_argument("--to", dest="target", default="", metavar="[ID:]TARGET",
                      help="where to write: an environment, a location in the provider, or "
                      "ID:LOCATION (default: secrets.to, else the provider's configured target)"
                      ).completer = completer("target")  # type: ignore[attr-defined]
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


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def cmd_sync(session: Session) -> int:
    """``secrets sync``: one run of the chosen provider, printed per key."""
    args = session.args
    prepared = prepare_sync(
        project_options(session), provider_id=args.provider, source=args.source,
        target=args.target, keys=args.keys, exclude=args.exclude, prune=args.prune,
        dry_run=args.dry_run or args.check, record=args.record,
        allow_empty_source=args.allow_empty_source, force=args.force, timeout=args.timeout,
        on_progress=session.show_progress,
    )
    provider_id, ctx, options = prepared.provider.id, prepared.ctx, prepared.options
    session.sync_provider = provider_id
    session.sync_options = options
    session.sync_endpoints = ctx.endpoints
    session.sync_environments = named = environments_json(prepared)
    if options.source == STDIN and is_terminal(sys.stdin):
        session.note("reading the env file from standard input (end it with Ctrl-D)")
    try:
        with (interrupts_cancel(session, ctx), progress_line(session, ctx),
              provider_output(session)):
            result = run_sync(prepared)
    except ConflictError as exc:
        if args.check:  # a conflict is drift: the plan, and exit 4
            _report_sync(session, provider_id, options, exc.result, named)
            session.note("check failed: keys changed in the target since the last sync")
            return EXIT_DRIFT
        if not args.json:  # with --json the error report carries the changes
            _report_sync(session, provider_id, options, exc.result, named)
        raise
    except PartialSyncError as exc:
        if not args.json:  # with --json the error report carries the changes
            _report_sync(session, provider_id, options, exc.result, named)
        raise
    _report_sync(session, provider_id, options, result, named)
    if ctx.cancelled:  # a provider that finished its work despite the interrupt
        session.error(f"{provider_id}: interrupted; the changes listed were written")
        return EXIT_INTERRUPTED
    if args.check and result.changed:
        session.note("check failed: the target is out of sync (run without --check to sync)")
        return EXIT_DRIFT
    return EXIT_OK


def changes_json(result: SyncResult) -> list[dict[str, str]]:
    """The ``changes`` list of the JSON report."""
    return [{"key": change.key, "action": change.action.value} for change in result.changes]


def environments_json(prepared: PreparedSync) -> dict[str, str]:
    """``source_environment`` / ``target_environment`` of the JSON report, for the ends
    that were named by environment (absent otherwise, so other reports keep their shape)."""
    named = {"source_environment": prepared.source_environment,
             "target_environment": prepared.target_environment}
    return {field: name for field, name in named.items() if name is not None}


def _report_sync(
    session: Session, provider_id: str, options: SyncOptions, result: SyncResult,
    named: dict[str, str],
) -> None:
    if session.args.json:
        session.json(
            {
                "provider": provider_id,
                "source": result.source or options.source,
                "target": result.target or options.target,
                **named,
                "dry_run": options.dry_run,
                "changes": changes_json(result),
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


COMMAND = Command(
    ("secrets", "sync"), cmd_sync,
    help="copy secrets from a source to a target",
    description="Copy secrets from SOURCE to TARGET with a provider. Prints one line per "
    "key: '+ KEY' added, '~ KEY' updated, '= KEY' unchanged, '- KEY' removed.",
    example="""
        stagecraft secrets sync --dry-run
        stagecraft secrets sync --from .env.local --to envfile:.env.staging 'STRIPE_*'
        stagecraft secrets sync --from dev --to staging   # environments of stagecraft.yml
        stagecraft secrets sync --check --json   # in CI: exit 4 when out of sync
        sops -d prod.env | stagecraft secrets sync --from - --to encore:dev,local
    """,
    json_help="print the result as JSON",
    arguments=arguments,
)
