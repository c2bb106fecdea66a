"""Every error the encore store raises, in one place.

User errors (exit 1) are things the user can fix in the command or the
config; provider errors (exit 2) come from the ``encore`` CLI or the machine.
"""

from __future__ import annotations

from stagecraft.errors import OutcomeUnknownError, ProviderError, UserError


class TargetError(UserError):
    """``--to`` (or the configured default) names nothing Encore knows."""


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


class ListFormatError(ValueError):
    """A line of ``encore secret list`` output the listing parser does not understand."""


class ListOutputError(ProviderError):
    """``encore secret list`` printed something this provider cannot read; nothing was set."""


class SelectionConflictError(UserError):
    """Some keys already have a secret group that overlaps the target without equalling it."""


class DeclaredSecretMissingError(UserError):
    """``require_declared``: a secret the app declares would still be missing after the sync."""
