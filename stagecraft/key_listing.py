"""The key names at a location or environment, never their values: ``secrets list`` and
what ``secrets check`` compares.

A readable store is read (its values go to the run's redactor, and no
further); a write-only store gives the names it can list (``lists_keys``:
GitHub's secret names), or, for ``secrets check`` with declared keys, which
of those exist (``existing_keys``: Encore's ``secret list KEY...``); one that
can say neither is refused with :class:`CannotListError`, exit 2, since no
answer would be the truth.  A ``LOCATION`` word may be an environment name
of ``secrets.environments``; its location is read as stagecraft.yml wrote it
(a file path relative to the config's directory).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import attrs

from stagecraft.endpoints import place, refuse_naming_nothing, reserved_words
from stagecraft.errors import ProviderError, UserError, printable
from stagecraft.locations import ENV_FILE, split
from stagecraft.providers.secrets import Context, Registry, SecretsProvider
from stagecraft.redact import Structural
from stagecraft.store_base import StoreBase
from stagecraft.store_session import StoreSession

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["CannotListError", "Listing", "key_names", "listing"]


class CannotListError(ProviderError):
    """A write-only store that can list no key names (so nothing can be said of them)."""


@attrs.frozen
class Listing:
    """Where a ``LOCATION`` word points: the store to ask, its location, how to ask."""

    #: The word as given (an environment name, ``ID:LOCATION`` or a file), for messages.
    word: str
    store: StoreBase[Any]
    location: str
    config: Any
    #: Whether the store can name its keys: readable, or write-only with ``lists_keys``.
    can_list: bool
    #: Whether a store that cannot list can still say which of given keys exist.
    tells_existing: bool = False


def listing(ctx: Context, config: Config | None, word: str) -> Listing:
    """Resolve ``word`` (an environment name, ``ID:LOCATION`` or an env file) to a store."""
    if not word:
        raise UserError(Structural("no location given (an environment, ID:LOCATION or a file)"))
    registry = _registry(ctx)
    where = place(config, registry, word, "source")
    cwd = config.directory if where.environment is not None and config is not None else ctx.cwd
    store_id, location = split(where.text, registry, cwd=cwd, reserved=reserved_words(registry))
    if store_id is None:
        refuse_naming_nothing(where, cwd)
        return Listing(word, ENV_FILE, str(cwd / location), None, True)
    provider: SecretsProvider = registry.get(store_id)
    if not isinstance(provider, StoreBase):
        raise UserError(Structural(
            f"{printable(word)}: {store_id!r} implements sync itself and cannot list keys"
        ))
    store_config = provider.config_for(ctx)
    sctx = ctx.for_store(store_config)
    if not location:
        location = provider.default_location(sctx, "source") or ""
        if not location:
            raise UserError(Structural(f"{store_id}: no location: write {store_id}:LOCATION"))
    routed = provider.route(sctx, location)
    return Listing(word, routed, location, store_config, routed.readable or routed.lists_keys,
                   _tells_existing(routed))


def key_names(
    ctx: Context, where: Listing, expected: Collection[str] | None = None, *,
    holding_values: bool = False,
) -> list[str]:
    """The key names at ``where``, sorted; :class:`CannotListError` when it cannot list.

    ``expected`` (the declared keys) lets a write-only store that cannot list
    its names still say which of those exist (:attr:`Listing.tells_existing`).
    ``holding_values``: of a readable store, only the keys whose value is not
    empty (``secrets check``: an empty secret is no secret, as a sync's and
    ``run``'s guard count it; a write-only store's values cannot be seen).
    Read through a session, as a sync reads: a store's per-run state (a
    connection, a lock) is the same for both.
    """
    if not where.can_list and not (expected and where.tells_existing):
        raise _cannot_list(where)
    with where.store.session(ctx.for_store(where.config), where.location,
                             dry_run=True) as session:
        if where.store.readable:
            values = session.read(None)
            ctx.add_secrets(values.values())
            return sorted(key for key, value in values.items()
                          if value or not holding_values)
        if where.can_list:
            return sorted(session.prunable_keys(()))
        names = session.existing_keys(list(expected or ()))
    if names is None:
        raise _cannot_list(where)
    return sorted(names)


def _cannot_list(where: Listing) -> CannotListError:
    return CannotListError(Structural(
        f"{printable(where.word)}: store {where.store.id!r} is write-only and cannot "
        "list its key names"
    ))


def _tells_existing(store: StoreBase[Any]) -> bool:
    """Whether ``store`` (or its session) says which of given keys exist."""
    return (type(store).existing_keys is not StoreBase.existing_keys
            or store.session_class.existing_keys is not StoreSession.existing_keys)


def _registry(ctx: Context) -> Registry:
    """The run's registry (without one, none: only env files can be listed)."""
    return ctx.registry if ctx.registry is not None else Registry()
