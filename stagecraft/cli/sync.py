"""``stagecraft secrets sync``: its options, and the report of what it did.

The sync itself is the Python API's code path (:func:`stagecraft.api.prepare_in`
and :func:`stagecraft.api.run_sync`); this module adds what a terminal
needs around it (:mod:`stagecraft.cli.capture`) and prints one line per key
(:mod:`stagecraft.cli.sync_report`).  With ``secrets.syncs`` and neither
``--from`` nor ``--to``, :mod:`stagecraft.cli.sync_named` runs the named syncs.
"""

from __future__ import annotations

import argparse
import sys

from stagecraft.api import Project, open_sync_run, prepare_in, run_sync
from stagecraft.cli.capture import interrupts_cancel, is_terminal, progress_line, provider_output
from stagecraft.cli.command import Command
from stagecraft.cli.loading import project_options
from stagecraft.cli.options import add_exclude, add_keys, add_source, completed
from stagecraft.cli.session import Session
from stagecraft.cli.sync_report import environments_json, interrupted_after, report_sync
from stagecraft.errors import EXIT_DRIFT, EXIT_INTERRUPTED, EXIT_OK, UserError
from stagecraft.locations import STDIN
from stagecraft.plan import ConflictError
from stagecraft.providers.secrets import PartialSyncError
from stagecraft.redact import Structural

__all__ = ["COMMAND", "arguments", "cmd_sync"]


def arguments(sync: argparse.ArgumentParser) -> None:
    completed(sync, "provider", "--provider", metavar="ID",
              help="provider to use (default: secrets.provider in stagecraft.yml)")
    add_source(sync, metavar="[ID:]SOURCE",
               help="where to read: an environment of secrets.environments, an env file "
               "('-': standard input), or ID:LOCATION of a store (default: secrets.from, "
               "else the provider's configured source)")
    completed(sync, "target", "--to", dest="target", default="", metavar="[ID:]TARGET",
              help="where to write: an environment, a location in the provider, or "
              "ID:LOCATION (default: secrets.to, else the provider's configured target)")
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
    add_exclude(sync)
    sync.add_argument("--no-record", dest="record", action="store_false",
                      help="neither read nor update the record of what this machine last "
                      "synced (no conflicts are found; write-only plans never say unchanged)")
    completed(sync, "sync", "--only", action="append", default=[], metavar="NAME",
              help="run only the named sync NAME of secrets.syncs (repeatable; "
              "default: every named sync)")
    sync.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                      help="stop starting writes after SECONDS and report what was not written")
    add_keys(sync, help="keys to sync, by name or glob such as 'STRIPE_*' (default: all)")


def runs_named_syncs(run: Project, args: argparse.Namespace) -> bool:
    """Whether this ``secrets sync`` runs the named syncs (raises for ``--only`` misused)."""
    syncs = run.config.manifest.syncs if run.config is not None else ()
    if args.only and (args.source or args.target):
        raise UserError(Structural("--only picks named syncs, which have their own from and "
                                   "to: drop --from/--to, or --only"))
    if args.only and not syncs:
        raise UserError(Structural("--only: no named syncs (secrets.syncs) in "
                                   + (run.config.display if run.config is not None
                                      else "stagecraft.yml: none found")))
    return bool(syncs) and not args.source and not args.target


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def cmd_sync(session: Session) -> int:
    """``secrets sync``: one run of the chosen provider, printed per key; or, with
    ``secrets.syncs`` and neither ``--from`` nor ``--to``, the named syncs."""
    args = session.args
    run = open_sync_run(project_options(session), timeout=args.timeout,
                        on_progress=session.show_progress)
    if runs_named_syncs(run, args):
        # Only now is the config model needed (see stagecraft.project.load_config).
        from stagecraft.cli.sync_named import cmd_named_syncs

        return cmd_named_syncs(session, run)
    prepared = prepare_in(
        run, provider_id=args.provider, source=args.source, target=args.target,
        keys=args.keys, exclude=args.exclude, prune=args.prune,
        dry_run=args.dry_run or args.check, record=args.record,
        allow_empty_source=args.allow_empty_source, force=args.force,
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
            report_sync(session, provider_id, options, exc.result, environments=named)
            session.note("check failed: keys changed in the target since the last sync")
            return EXIT_DRIFT
        if not args.json:  # with --json the error report carries the changes
            report_sync(session, provider_id, options, exc.result, environments=named)
        raise
    except PartialSyncError as exc:
        if not args.json:  # with --json the error report carries the changes
            report_sync(session, provider_id, options, exc.result, environments=named)
        raise
    report_sync(session, provider_id, options, result, environments=named)
    if ctx.cancelled:  # a provider that finished its work despite the interrupt
        session.error(f"{provider_id}: {interrupted_after(options)}")
        return EXIT_INTERRUPTED
    if args.check and result.changed:
        session.note("check failed: the target is out of sync (run without --check to sync)")
        return EXIT_DRIFT
    return EXIT_OK


COMMAND = Command(
    ("secrets", "sync"), cmd_sync,
    help="copy secrets from a source to a target",
    description="Copy secrets from SOURCE to TARGET with a provider. Prints one line per "
    "key: '+ KEY' added, '~ KEY' updated, '= KEY' unchanged, '- KEY' removed. With "
    "secrets.syncs in stagecraft.yml and neither --from nor --to, runs the named syncs.",
    example="""
        stagecraft secrets sync --dry-run
        stagecraft secrets sync --from .env.local --to envfile:.env.staging 'STRIPE_*'
        stagecraft secrets sync --from dev --to staging   # environments of stagecraft.yml
        stagecraft secrets sync --only promote   # one of the named syncs of stagecraft.yml
        stagecraft secrets sync --check --json   # in CI: exit 4 when out of sync
        sops -d prod.env | stagecraft secrets sync --from - --to encore:dev,local
    """,
    json_help="print the result as JSON",
    arguments=arguments,
)
