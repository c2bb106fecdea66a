"""audit_log: append one JSON line per secrets sync to an audit file.

An example of a plugin that wraps ``secrets_sync`` instead of providing a
provider.  Each line records when, who, which provider, source and target,
which keys with which action, and whether the sync succeeded (with the
error's type when not).  Values are never written: the line is built from
key names, actions and paths only.

Where the log goes: the ``STAGECRAFT_AUDIT_LOG`` environment variable (a
path, relative to the working directory), else ``.stagecraft-audit.jsonl``
next to ``stagecraft.yml`` (the working directory without one).  A wrapper
plugin has no section of its own in ``stagecraft.yml``, hence the variable.

Each line is appended with ``O_APPEND`` in a single write, so concurrent
syncs never interleave inside a line; a new log file is created 0600.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Generator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import stagecraft
from stagecraft.providers.secrets import Context, SecretsProvider, SyncOptions, SyncResult

ENV_AUDIT_LOG = "STAGECRAFT_AUDIT_LOG"
DEFAULT_NAME = ".stagecraft-audit.jsonl"


class AuditLogError(stagecraft.ProviderError):
    """The audit line could not be written."""


@stagecraft.hookimpl(wrapper=True)
def secrets_sync(
    provider: SecretsProvider, ctx: Context, options: SyncOptions
) -> Generator[None, SyncResult, SyncResult]:
    record: dict[str, Any] = {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "user": _user(),
        "provider": provider.id,
        "cwd": str(ctx.cwd),
        "source": options.source,
        "target": options.target,
        "dry_run": options.dry_run,
    }
    path = audit_log_path(ctx)
    try:
        result = yield
    except BaseException as exc:
        record.update(keys=list(options.keys), outcome="error", error=type(exc).__name__)
        try:
            append_line(path, record)
        except AuditLogError as log_error:
            # The sync's own error matters more; mention the log's in passing.
            ctx.logger.warning("%s", log_error)
        raise
    record.update(
        changes=[{"key": c.key, "action": c.action.value} for c in result.changes],
        outcome="ok",
    )
    try:
        append_line(path, record)
    except AuditLogError as log_error:
        raise AuditLogError(f"{log_error}; the sync itself completed") from None
    return result


def audit_log_path(ctx: Context) -> Path:
    """The file audit lines go to (see the module docstring)."""
    configured = os.environ.get(ENV_AUDIT_LOG, "")
    if configured:
        return ctx.resolve(configured)
    return ctx.resolve(DEFAULT_NAME, from_config=True)


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line, in one ``write`` call."""
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise AuditLogError(
            f"audit_log: cannot open {path}: {exc.strerror} "
            f"(set {ENV_AUDIT_LOG} to a writable file)"
        ) from None
    try:
        written = os.write(fd, line)
    except OSError as exc:
        raise AuditLogError(f"audit_log: cannot append to {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if written != len(line):
        raise AuditLogError(f"audit_log: short write to {path}; the last line is incomplete")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
