"""The builtin ``core`` plugin: the innermost ``secrets_sync``, which calls the provider."""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft.providers.secrets import (
    Context,
    InvalidProviderError,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)
from stagecraft.redact import Structural


class CorePlugin:
    """Runs ``secrets_sync`` last (``trylast``), inside every wrapper other plugins add."""

    @hookimpl(trylast=True)
    def secrets_sync(
        self, provider: SecretsProvider, ctx: Context, options: SyncOptions
    ) -> SyncResult:
        ctx.check()
        result = provider.sync(ctx, options)
        if not isinstance(result, SyncResult):
            raise InvalidProviderError(
                Structural(
                    f"provider {provider.id!r} returned {type(result).__name__} from sync(), "
                    "not SyncResult")
            )
        return result
