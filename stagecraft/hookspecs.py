'''The hooks Stagecraft defines.  Plugins implement them with ``@stagecraft.hookimpl``.

Each hookspec below documents its arguments, what it returns and a working
example; ``docs/hooks.md`` repeats them and a test keeps the two in step.
'''

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context, SecretsProvider, SyncOptions, SyncResult

#: Marker project name, also the entry-point group plugins are found in.
PROJECT_NAME = "stagecraft"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def secrets_provider_register() -> SecretsProvider | Iterable[SecretsProvider] | None:
    """Contribute secrets providers.

    Called once per plugin when the provider registry is built, on its own
    (with any wrappers of this hook around it), so that its providers and
    failures are attributed to it.  Return one provider,
    an iterable of providers, or None.  Ids must be non-empty and unique
    across all plugins; the registry reports every conflict at once, naming
    the plugins involved.

    Example::

        import stagecraft
        from stagecraft.providers.secrets import SyncResult

        class NullProvider:
            id = "null"

            def sync(self, ctx, opts):
                return SyncResult()

        @stagecraft.hookimpl
        def secrets_provider_register():
            return NullProvider()
    """


@hookspec(firstresult=True)
def secrets_sync(
    provider: SecretsProvider, ctx: Context, options: SyncOptions
) -> SyncResult | None:
    """Run one sync of ``provider`` with ``options``.

    The core implements this hook (``trylast``) by calling
    ``provider.sync(ctx, options)``.  Other plugins wrap it with
    ``@hookimpl(wrapper=True)`` to audit, enforce policy or time syncs: the
    wrapper sees the result, or the exception, and may change either.  An
    ordinary implementation that returns a result first replaces the call
    to the provider (firstresult).

    ``options`` and ``ctx`` give access to key names, paths and the run's
    logger; never log or store secret values.

    Example (a wrapper that logs which keys changed)::

        import stagecraft

        @stagecraft.hookimpl(wrapper=True)
        def secrets_sync(provider, ctx, options):
            result = yield
            changed = [c.key for c in result.changes if c.action != "unchanged"]
            ctx.logger.info("%s changed %s", provider.id, ", ".join(changed))
            return result
    """
