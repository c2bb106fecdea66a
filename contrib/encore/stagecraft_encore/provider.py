"""The ``encore`` secrets provider object: what the registry holds.

Every ``stagecraft`` command builds the registry, and so imports this
module, even when it never syncs through Encore.  It therefore holds only
the provider's identity; its config class is imported when the core asks for
it (a config file with an ``encore`` section), and the sync itself, with its
subprocesses, threads and CUE reader, lives in :mod:`stagecraft_encore.sync`
and is imported when a sync runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.errors import UserError
from stagecraft.providers.secrets import Context, SyncOptions, SyncResult

if TYPE_CHECKING:
    from stagecraft_encore.config import Config as EncoreConfig


class RefusedValuesError(UserError):
    """Some keys cannot be stored faithfully by the chosen target; nothing was sent."""


class _ConfigClass:
    """The provider's ``Config`` attribute, imported when first read.

    A descriptor rather than a class attribute so that building the registry
    (every command does) does not define the attrs class; unlike a property,
    it also answers on the class itself (``EncoreProvider.Config``).
    """

    def __get__(self, instance: object, owner: type | None = None) -> type[EncoreConfig]:
        from stagecraft_encore.config import Config

        return Config


class EncoreProvider:
    """Syncs an env file into Encore's secret store or its local override file."""

    id = "encore"
    #: The core structures ``secrets.providers.encore`` into this class.
    Config = _ConfigClass()

    def __repr__(self) -> str:
        return "<EncoreProvider id='encore'>"

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        from stagecraft_encore.sync import sync

        return sync(ctx, opts)
