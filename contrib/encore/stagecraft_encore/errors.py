"""Every error the encore store raises, in one place.

User errors (exit 1) are things the user can fix in the command or the
config; provider errors (exit 2) come from the ``encore`` CLI or the machine.
"""

from __future__ import annotations

from stagecraft.errors import ConfigError, ProviderError, UserError
from stagecraft.store import OutcomeUnknownError


class TargetError(UserError):
    """``--to`` (or the configured default) names nothing Encore knows."""


class InvalidConfigError(ConfigError, ValueError):
    """A value in the encore section is invalid.

    It is also a :class:`ValueError` so that cattrs reports it with the path
    of the offending field.
    """


class CueFormatError(UserError):
    """The override file holds CUE this module cannot read faithfully."""


class EncoreNotFoundError(ProviderError):
    """The ``encore`` binary is not installed (or not where the config says)."""


class AppNotFoundError(ProviderError):
    """No ``encore.app`` in the app root or any parent directory."""


class SecretSetError(ProviderError):
    """One ``encore secret set`` call failed; the message is the CLI's, masked."""


class SecretSetUnknownError(SecretSetError, OutcomeUnknownError):
    """``encore secret set`` was stopped before it answered: the key may or may not be set."""


class SecretListError(ProviderError):
    """The ``encore secret list`` call that plans a sync failed; nothing was set."""


class ListOutputError(ProviderError):
    """``encore secret list`` printed something this provider cannot read; nothing was set."""


class SelectionConflictError(UserError):
    """Some keys already have a secret group that overlaps the target without equalling it."""


class DeclaredSecretMissingError(UserError):
    """``require_declared``: a secret the app declares would still be missing after the sync."""
