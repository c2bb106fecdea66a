"""Encore's secret store, written through the ``encore`` CLI: a write-only store.

Values cannot be read back, so ``readable`` is False.  Before any ``set``,
one ``encore secret list KEY...`` call tells which keys have a group of
exactly the requested selection (planned updated, or unchanged when the
core's write record says so), which have none (added) and which would
conflict (the sync is refused, naming them).  The engine then writes the
changed keys, one ``encore secret set`` per key, ``concurrency`` at a time
(``secrets.providers.encore.concurrency``, default 8), and reports the
keys that failed while keeping the ones that were set.  What Encore cannot
store faithfully (names it rejects, values ending in a newline, which the
CLI strips) is refused before any call, in a dry run too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from stagecraft.errors import printable
from stagecraft.providers.secrets import Action, Context
from stagecraft.store import SecretStore, StoreSession
from stagecraft_encore import cue
from stagecraft_encore.cli_runner import find_app, find_binary, list_groups, set_secret
from stagecraft_encore.config import Config as EncoreConfig
from stagecraft_encore.declared import declared_secrets
from stagecraft_encore.errors import DeclaredSecretMissingError, SelectionConflictError
from stagecraft_encore.listing import Group, Prediction, classify, location_of, selectors_of
from stagecraft_encore.targets import CliTarget, parse_target


class EncoreCliSession(StoreSession[EncoreConfig]):
    """One sync of one selection (types and environments): the CLI and the app, found once."""

    def __init__(self, store: EncoreCli, ctx: Context[EncoreConfig], location: str) -> None:
        super().__init__(store, ctx, location)
        self.target = _target(location)
        # Checked before planning, so a missing CLI or app fails a dry run too.
        self.binary = find_binary(self.config.encore_bin, ctx)
        self.app_root = _app_root(self.ctx)
        find_app(self.app_root)

    def existing_keys(self, keys: Collection[str]) -> Collection[str] | None:
        """Keys with a group of exactly this selection, from one ``encore secret list`` call.

        Raises :class:`SelectionConflictError` naming every key whose
        existing group overlaps the selection without equalling it, so the
        sync stops before its first ``set`` (a dry run too).
        """
        ctx, binary = self.ctx, self.binary
        unsynced: list[str] = []
        if self.config.require_declared:
            declared = declared_secrets(ctx, binary, self.app_root)
            unsynced = [name for name in declared if name not in keys]
        if not keys and not unsynced:
            return set()
        groups = list_groups(ctx, binary, self.app_root, [*keys, *unsynced])
        if groups is None:
            ctx.logger.warning(
                "encore: this encore CLI has no `encore secret list KEY...` (an older version); "
                "every key is planned as updated and a conflicting selection shows only when "
                "its `set` fails; upgrade the Encore CLI for exact plans"
            )
            if unsynced:
                raise DeclaredSecretMissingError(_missing_message(self.target, unsynced, False))
            return None
        wanted = selectors_of(self.target)
        missing = [
            name for name in unsynced
            if classify(groups.get(name, ()), wanted)[0] is not Prediction.UPDATED
        ]
        if missing:
            raise DeclaredSecretMissingError(_missing_message(self.target, missing, True))
        existing: set[str] = set()
        conflicts: list[tuple[str, Group]] = []
        for key in keys:
            prediction, group = classify(groups.get(key, ()), wanted)
            if prediction is Prediction.CONFLICT and group is not None:
                conflicts.append((key, group))
            elif prediction is Prediction.UPDATED and group is not None:
                existing.add(key)
                if group.archived:
                    ctx.logger.warning(
                        "encore: %s: its group for %s (%s) is archived; `set` adds a version "
                        "to it all the same", printable(key), self.target.describe(), group.id,
                    )
        if conflicts:
            raise SelectionConflictError(_conflict_message(self.target, conflicts))
        return existing

    def write_one(self, key: str, value: str) -> Action | None:
        return set_secret(self.ctx, self.binary, self.app_root, self.target, key, value)


class EncoreCli(SecretStore[EncoreConfig]):
    """Encore's secret store through the CLI; one :class:`EncoreCliSession` per sync."""

    id = "encore"
    Config = EncoreConfig
    readable = False
    writes_one_by_one = True
    concurrency = 8
    session_class = EncoreCliSession

    def normalise_location(self, ctx: Context[EncoreConfig], location: str) -> str:
        return f"encore:{_target(location).describe()}"

    def check_values(
        self, ctx: Context[EncoreConfig], location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        refused = dict(cue.iter_refusals(values))
        for key, value in values.items():
            if key not in refused and value.endswith(("\r", "\n")):
                refused[key] = (
                    "the value ends with a newline, which `encore secret set` strips "
                    "(use --to .secrets.local.cue for local values, or remove the newline)"
                )
        return refused

    def record_location(self, ctx: Context[EncoreConfig], location: str) -> str:
        """The app (its id, else its ``encore.app`` path) and the selection, in a fixed order."""
        return f"encore:{app_identity(find_app(_app_root(ctx)))}:" + ",".join(
            sorted(selectors_of(_target(location)))
        )


#: What ``EncoreStore.route`` hands every CLI location (it holds no per-sync state).
CLI_STORE = EncoreCli()


def _target(location: str) -> CliTarget:
    target = parse_target(location)
    if not isinstance(target, CliTarget):
        raise TypeError(f"encore: {location!r} is not a CLI selection")
    return target


def _app_root(ctx: Context) -> Path:
    config = ctx.config if ctx.config is not None else EncoreConfig()
    return ctx.resolve(config.app_root or ".", from_config=True)


_APP_ID = re.compile(r'(?:^|[{,])\s*"id"\s*:\s*"(?P<id>[A-Za-z0-9_-]*)"', re.MULTILINE)


def app_identity(app_file: Path) -> str:
    """``id=<app id>`` from ``encore.app``, or ``path=<its real path>`` for an app without one.

    The id names the cloud app whatever checkout syncs it, so two clones
    share their record entries.
    """
    # encore.app is JSON with comments and trailing commas (hujson), as
    # `encore app create` writes it: look for the id field itself.
    try:
        text = app_file.read_text(encoding="utf-8")
    except (OSError, ValueError):
        text = ""
    found = _APP_ID.search(text)
    if found and found["id"]:
        return f"id={found['id']}"
    return f"path={os.path.realpath(app_file)}"


def _conflict_message(target: CliTarget, conflicts: list[tuple[str, Group]]) -> str:
    wanted = ", ".join(sorted(selectors_of(target)))
    lines = [
        f"encore: {target.describe()}: {len(conflicts)} key(s) already have a secret group that "
        f"overlaps this selection ({wanted}) without matching it, so `encore secret set` would "
        "fail; nothing was set:"
    ]
    for key, group in conflicts:
        lines.append(
            f"  {printable(key)}: group {group.id} covers {group.describe()} "
            f"(to update it, sync with --to {location_of(group.selectors)})"
        )
    lines.append(
        "  to resolve: sync each key with --to exactly its existing group's selection, or "
        "remove the overlapping group (`encore secret delete GROUP_ID`, or in the Encore "
        "dashboard) and sync again"
    )
    return "\n".join(lines)


def _missing_message(target: CliTarget, missing: list[str], listed: bool) -> str:
    where = "nor set in Encore for this selection" if listed else (
        "(and this encore CLI cannot list what Encore holds)"
    )
    return (
        f"encore: {target.describe()}: the app declares {len(missing)} secret(s) that are "
        f"neither in this sync {where}: {', '.join(printable(m) for m in missing)}; nothing "
        "was set.  Add them to the source (or stop excluding them), or turn off "
        "require_declared"
    )
