"""``stagecraft secrets sync`` over the project's named syncs: a section per sync, a total.

With ``secrets.syncs`` in stagecraft.yml and neither ``--from`` nor ``--to``,
the command runs every named sync, or those ``--only`` names
(:mod:`stagecraft.named_syncs`).  Each section is a header line naming the
sync, its source and its target, then the report of a single sync (a line
per key and the summary, or the error).  The command-line options apply to
every sync; KEYS and ``--exclude`` narrow each one.  The exit status is the
most severe among the syncs (:mod:`stagecraft.exit_order`).
"""

from __future__ import annotations

from typing import Any

from stagecraft.api import PreparedSync, Project, prepare_in
from stagecraft.cli.capture import interrupts_cancel, progress_line, provider_output
from stagecraft.cli.session import Session
from stagecraft.cli.sync_report import (
    failure,
    failure_json,
    interrupted_after,
    report_sync,
    result_json,
)
from stagecraft.config.manifest import Manifest, NamedSync, matches_any
from stagecraft.errors import (
    EXIT_DRIFT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    printable,
)
from stagecraft.exit_order import worst_exit
from stagecraft.named_syncs import NamedOutcome, choose_syncs, run_named_syncs
from stagecraft.plan import ConflictError
from stagecraft.providers.secrets import PartialSyncError

__all__ = ["cmd_named_syncs"]


def cmd_named_syncs(session: Session, run: Project) -> int:
    """Run the chosen named syncs; print a section each and a total; the worst status."""
    args = session.args
    assert run.config is not None
    manifest = run.config.manifest
    syncs = choose_syncs(manifest.syncs, args.only)

    def prepare(sync: NamedSync, source: str, target: str) -> PreparedSync:
        return prepare_in(
            run, provider_id=args.provider, source=source, target=target, keys=args.keys,
            exclude=args.exclude, prune=args.prune, dry_run=args.dry_run or args.check,
            record=args.record, allow_empty_source=args.allow_empty_source, force=args.force,
            named=sync,
        )

    with (interrupts_cancel(session, run.ctx, stop_at_once=False),
          progress_line(session, run.ctx), provider_output(session)):
        outcomes = run_named_syncs(run, syncs, prepare)
    reports, codes = [], []
    for outcome in outcomes:
        code, report = _section(session, manifest, outcome)
        codes.append(code)
        reports.append(report)
    if args.json:
        session.json({"syncs": reports})
    _total(session, codes, outcomes)
    return worst_exit(codes)


def _section(
    session: Session, manifest: Manifest, outcome: NamedOutcome
) -> tuple[int, dict[str, Any]]:
    """Print one sync's section; its exit status and its JSON report."""
    args, sync, prepared = session.args, outcome.sync, outcome.prepared
    if not args.json:
        session.out(f"== {printable(sync.name)}: {_place(sync.source, manifest)} -> "
                    f"{_place(sync.target, manifest)}")
    # As a single sync's report: the ends named by an environment, by its name.
    named = {field: word for field, word in (("source_environment", sync.source),
                                             ("target_environment", sync.target))
             if word in manifest.environments}
    head = {"name": sync.name, "source": outcome.source, "target": outcome.target, **named}
    provider_id = prepared.provider.id if prepared is not None else None
    error, result = outcome.error, outcome.result
    if isinstance(error, ConflictError) and args.check and prepared is not None:
        result, error = error.result, None  # a conflict is drift under --check
    if error is None and result is not None and prepared is not None:
        report_sync(session, prepared.provider.id, prepared.options, result, name=sync.name)
        code = EXIT_OK
        if outcome.cancelled:
            session.error(f"{sync.name}: {interrupted_after(prepared.options)}")
            code = EXIT_INTERRUPTED
        elif args.check and (result.changed or result.conflicts):
            session.note(f"{sync.name}: check failed: the target is out of sync")
            code = EXIT_DRIFT
        return code, {**head, **result_json(prepared.provider.id, prepared.options, result)}
    assert error is not None
    if isinstance(error, ConflictError | PartialSyncError) and not args.json and prepared:
        report_sync(session, prepared.provider.id, prepared.options, error.result,
                    name=sync.name)
    text, code = failure(session, error)
    session.error(f"{printable(sync.name)}: {text}")
    report = failure_json(session, error, text, code, provider_id=provider_id,
                          options=prepared.options if prepared is not None else None,
                          where=prepared.ctx.endpoints if prepared is not None else None)
    return code, {**head, "changes": [], **report}


def _place(word: str, manifest: Manifest) -> str:
    """A sync's ``from`` or ``to`` as written, with the environment's location."""
    environment = manifest.environments.get(word)
    shown = printable(word)
    return f"{shown} ({printable(str(environment))})" if environment is not None else shown


def _total(session: Session, codes: list[int], outcomes: list[NamedOutcome]) -> None:
    """The total line; and a KEYS pattern that matched no key in any sync, named."""
    failed = sum(code not in (EXIT_OK, EXIT_DRIFT) for code in codes)
    drifted = codes.count(EXIT_DRIFT)
    parts = [f"{codes.count(EXIT_OK)} ok"] + ([f"{drifted} out of sync"] if drifted else [])
    parts += [f"{failed} failed"] if failed else []
    session.note(f"{len(codes)} named sync(s): {', '.join(parts)}")
    # A sync that failed or found conflicts still planned its keys: they were matched.
    planned = []
    for outcome in outcomes:
        if outcome.result is not None:
            planned.append(outcome.result)
        elif isinstance(outcome.error, ConflictError | PartialSyncError):
            planned.append(outcome.error.result)
    keys = [change.key for result in planned for change in result.changes]
    unmatched = [entry for entry in session.args.keys if not any(
        matches_any(key, [entry]) for key in keys)]
    if unmatched and planned:  # none planned: each sync's own error says why
        session.note(f"KEY|PATTERN matched no key in any sync: "
                     f"{', '.join(map(printable, unmatched))}")
