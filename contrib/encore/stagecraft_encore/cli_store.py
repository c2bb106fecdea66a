"""Encore's secret store, written through the ``encore`` CLI: a write-only store.

Values cannot be read back, so ``readable`` is False: the engine writes
every selected key, one ``encore secret set`` per key, ``concurrency`` at a
time (``secrets.providers.encore.concurrency``, default 8), and reports the
keys that failed while keeping the ones that were set.  What Encore cannot
store faithfully (names it rejects, values ending in a newline, which the
CLI strips) is refused before any call, in a dry run too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from stagecraft.providers.secrets import Action, Context
from stagecraft.store import SecretStore, StoreSession
from stagecraft_encore import cue
from stagecraft_encore.cli_runner import find_app, find_binary, set_secret
from stagecraft_encore.targets import CliTarget


class EncoreCli(SecretStore):
    """One CLI target (types and environments), made per sync by ``EncoreStore.route``."""

    id = "encore"
    readable = False
    concurrency = 8

    def __init__(self, target: CliTarget) -> None:
        self.target = target

    def __repr__(self) -> str:
        return f"<EncoreCli {self.target.describe()!r}>"

    def normalise_location(self, ctx: Context, location: str) -> str:
        return f"encore:{self.target.describe()}"

    def check_values(
        self, ctx: Context, location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        refused = dict(cue.iter_refusals(values))
        for key, value in values.items():
            if key not in refused and value.endswith(("\r", "\n")):
                refused[key] = (
                    "the value ends with a newline, which `encore secret set` strips "
                    "(use --to .secrets.local.cue for local values, or remove the newline)"
                )
        return refused

    @contextlib.contextmanager
    def session(self, ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
        # Checked before planning, so a missing CLI or app fails a dry run too.
        find_binary(ctx.config.encore_bin, ctx)
        find_app(_app_root(ctx))
        yield StoreSession(self, ctx, location)

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> Action | None:
        binary = find_binary(ctx.config.encore_bin, ctx)
        return set_secret(ctx, binary, _app_root(ctx), self.target, key, value)


def _app_root(ctx: Context) -> Path:
    return ctx.resolve(ctx.config.app_root or ".", from_config=True)
