"""What the command says about one sync: an error's text and exit status, and the JSON
report of a sync that ended, or failed.

``secrets sync`` with ``--from``/``--to`` prints one of these; with named
syncs, one per sync (:mod:`stagecraft.cli.sync_named`).  Values are never
in them: errors carry key names, reasons are masked.
"""

from __future__ import annotations

from typing import Any

from stagecraft.api import PreparedSync
from stagecraft.cli.session import Session
from stagecraft.error_text import message_text, traceback_text
from stagecraft.errors import (
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_PROVIDER_ERROR,
    StagecraftError,
    printable,
)
from stagecraft.plan import ConflictError
from stagecraft.providers.secrets import PartialSyncError, SyncOptions, SyncResult
from stagecraft.redact import Structural

__all__ = [
    "changes_json", "environments_json", "failure", "failure_json", "interrupted_after",
    "report_sync", "result_json",
]

#: ``!``: changed in the target since this machine last synced it (nothing written).
SYMBOLS = {"added": "+", "updated": "~", "unchanged": "=", "removed": "-", "conflict": "!"}
#: Plan lines are coloured like a diff (terminals only).
COLOURS = {"added": "green", "updated": "yellow", "unchanged": "dim", "removed": "red",
           "conflict": "bold"}


def environments_json(prepared: PreparedSync) -> dict[str, str]:
    """``source_environment`` / ``target_environment`` of the JSON report, for the ends
    that were named by environment (absent otherwise, so other reports keep their shape)."""
    named = {"source_environment": prepared.source_environment,
             "target_environment": prepared.target_environment}
    return {field: name for field, name in named.items() if name is not None}


def interrupted_after(options: SyncOptions) -> str:
    """What a sync that ended despite a Ctrl-C did: wrote the changes listed, or, on a dry
    run or ``--check``, nothing at all."""
    if options.dry_run:
        return "interrupted; the plan above is complete and nothing was written"
    return "interrupted; the changes listed were written"


def failure(session: Session, exc: BaseException) -> tuple[str, int]:
    """The text the command shows for ``exc`` (free text masked) and its exit status.

    With ``-v``, the traceback goes to stderr first (frames as they are,
    messages masked).
    """
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if session.verbosity >= 1:
        session.err(traceback_text(session.redactor, exc).rstrip("\n"))
    if isinstance(exc, StagecraftError):
        return message_text(session.redactor, exc), exc.exit_code
    if isinstance(exc, OSError):  # a file or network problem outside Stagecraft's control
        return session.redactor.render(Structural(f"{type(exc).__name__}: "), str(exc)), \
            EXIT_PROVIDER_ERROR
    first = (str(exc).strip().splitlines() or [""])[0]
    kind = Structural(f"internal error: {type(exc).__name__}{': ' if first else ''}")
    return session.redactor.render(kind, first), EXIT_INTERNAL_ERROR


def changes_json(result: SyncResult) -> list[dict[str, str]]:
    """The ``changes`` list of the JSON report."""
    return [{"key": change.key, "action": change.action.value} for change in result.changes]


def result_json(
    provider_id: str, options: SyncOptions, result: SyncResult,
    environments: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON report of a sync that ended (``environments``: see :func:`environments_json`)."""
    return {
        "provider": provider_id,
        "source": result.source or options.source,
        "target": result.target or options.target,
        **(environments or {}),
        "dry_run": options.dry_run,
        "changes": changes_json(result),
    }


def failure_json(
    session: Session, exc: BaseException | None, text: str, exit_code: int, *,
    provider_id: str | None = None, options: SyncOptions | None = None,
    where: dict[str, str] | None = None, environments: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON report of a failure: the error, and what the sync did when one ran."""
    report: dict[str, Any] = {"error": {"message": text, "exit_code": exit_code}}
    if options is not None:
        where = where or {}
        report = {"provider": provider_id,
                  "source": where.get("source", options.source),
                  "target": where.get("target", options.target),
                  **(environments or {}), "dry_run": options.dry_run, **report}
    if isinstance(exc, ConflictError):
        report["changes"] = changes_json(exc.result)
    if isinstance(exc, PartialSyncError):
        report["changes"] = changes_json(exc.result)
        report["failed"] = [
            {"key": key, "reason": session.redactor.redact(reason)}
            for key, reason in exc.failed.items()
        ]
        report["unknown"] = [
            {"key": key, "reason": session.redactor.redact(reason)}
            for key, reason in exc.unknown.items()
        ]
        report["source"] = exc.result.source or report.get("source", "")
        report["target"] = exc.result.target or report.get("target", "")
    return report


def report_sync(
    session: Session, provider_id: str, options: SyncOptions, result: SyncResult, *,
    name: str | None = None, environments: dict[str, str] | None = None,
) -> None:
    """A line per key (or the JSON report) and the summary line, of one sync.

    ``name``: a named sync's (JSON: the report is gathered by the caller,
    not printed; text: the summary names it).
    """
    if session.args.json:
        if name is None:
            session.json(result_json(provider_id, options, result, environments))
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
    session.note(f"{name + ': ' if name else ''}{provider_id}: {summary}{suffix}")
