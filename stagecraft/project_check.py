"""``secrets check`` over a project: its environments' key names, read through their stores.

:mod:`stagecraft.manifest_check` compares labels and callables; this module
gives it the real ones (:mod:`stagecraft.key_listing`), so the command and
``stagecraft.check()`` read the same stores the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from stagecraft.error_text import message_text
from stagecraft.errors import StagecraftError, UserError
from stagecraft.key_listing import key_names, listing
from stagecraft.manifest_check import CheckResult, check
from stagecraft.providers.secrets import Context
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["check_project"]


def check_project(
    ctx: Context, config: Config | None, environments: Sequence[str] = ()
) -> CheckResult:
    """Check ``environments`` (names, or locations; empty: every declared environment).

    Every environment is read once, all concurrently; one that cannot be
    read is reported in the result (masked by the run's redactor), not raised.
    A word that is no environment and names no store or file is raised
    first (:class:`~stagecraft.errors.UserError`): a typo is not an outage.
    """
    if config is not None:
        manifest = config.manifest
    else:
        # Imported here: without a config file, the config model loads only for a check.
        from stagecraft.config.manifest import Manifest

        manifest = Manifest()
    if not environments and not manifest.environments:
        raise UserError(Structural(
            "nothing to check: name environments or locations, or declare "
            "secrets.environments in stagecraft.yml"
        ))

    for word in environments:
        if word not in manifest.environments:
            listing(ctx, config, word)  # a typo is the user's error (exit 1), not a store's
    declared = manifest.key_names()

    def read_keys(label: str) -> Collection[str]:
        return key_names(ctx, listing(ctx, config, label), declared, holding_values=True)

    def can_list(label: str) -> bool:
        try:
            where = listing(ctx, config, label)
        except StagecraftError:
            return True  # reading it raises the same error, reported as unreadable
        return where.can_list or bool(declared and where.tells_existing)

    return check(
        manifest, list(environments) or None, read_keys, can_list,
        error_text=lambda exc: message_text(ctx.redactor, exc),
    )
