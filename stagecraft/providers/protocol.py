"""The protocol every secrets provider implements: an ``id`` and ``sync(ctx, opts)``.

Its own module so that the registry can check providers against it without
importing the rest of the interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context, SyncOptions, SyncResult


@runtime_checkable
class SecretsProvider(Protocol):
    """What a secrets provider implements.

    A provider may also have a ``Config`` attribute holding an attrs class:
    the core then structures the provider's section of ``stagecraft.yml``
    into it and passes the instance as ``SyncOptions.config``.
    """

    @property
    def id(self) -> str: ...

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult: ...
