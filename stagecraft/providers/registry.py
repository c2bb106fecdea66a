"""The registry: providers by id, sorted, thread-safe, checked in one place.

:meth:`Registry.register_all` is the only place a provider is checked (its
shape, a non-empty id, no id claimed twice), for a single ``register`` and
for the plugin layer's build of every plugin's contributions alike.
Importable from :mod:`stagecraft.providers.secrets`, the pinned interface.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import attrs

from stagecraft.errors import (
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidProviderError,
    UnknownProviderError,
)
from stagecraft.providers.protocol import SecretsProvider
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from collections.abc import Iterator


# --------------------------------------------------------------------- errors


# ------------------------------------------------------------------ registry


@attrs.frozen
class Origin:
    """Where a provider came from, for messages and listings."""

    plugin: str = ""
    distribution: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        text = f"plugin {self.plugin!r}" if self.plugin else "an unnamed caller"
        if self.distribution:
            text += f" ({self.distribution} {self.version or '?'})"
        return text


def provider_id(provider: object) -> str:
    """The id of ``provider``, checking that it is shaped like a provider.

    A provider *class* with a class-level ``id`` passes the protocol check,
    but calling its ``sync`` would fail much later with a confusing
    TypeError, so classes are rejected here with the fix spelled out.
    """
    if isinstance(provider, type):
        name = provider.__name__
        raise InvalidProviderError(
            Structural(
                f"the class {name} was given instead of an instance; use {name}() to create one")
        )
    if not isinstance(provider, SecretsProvider):
        raise InvalidProviderError(
            Structural(f"{type(provider).__name__} object is not a secrets provider "
            "(it needs an `id` string and a `sync(ctx, opts)` method)")
        )
    value = provider.id
    if not isinstance(value, str):
        raise InvalidProviderError(
            Structural(f"{type(provider).__name__}.id is {type(value).__name__}, not str")
        )
    if not callable(provider.sync):
        raise InvalidProviderError(Structural(f"{type(provider).__name__}.sync is not callable"))
    if value.strip() and not _VALID_ID.fullmatch(value):
        # An empty id has its own error (EmptyProviderIDError) in the registry.
        raise InvalidProviderError(
            Structural(f"{type(provider).__name__}.id {value!r} is not a valid provider id: "
            "use letters, digits, '-', '_' and '.' only")
        )
    return value


#: What a provider id may hold: ids are typed on command lines and in
#: ``--to ID:LOCATION`` (so no ``:``), and shown in tables (so no spaces).
_VALID_ID = re.compile(r"[A-Za-z0-9._-]+")


class Registry:
    """Providers by id: sorted, de-duplicated and thread-safe.

    * ``register(p)`` adds a provider; the same object again is a no-op, a
      different provider with a taken id raises :class:`DuplicateProviderError`
      and an empty id :class:`EmptyProviderIDError`.
    * ``get(id)`` returns it or raises :class:`UnknownProviderError` listing
      the available ids.
    * ``ids()`` and ``list()`` are in lexicographic order of id.
    """

    def __init__(self, providers: Iterable[SecretsProvider] = ()) -> None:
        self._lock = threading.RLock()
        self._providers: dict[str, SecretsProvider] = {}
        self._origins: dict[str, Origin] = {}
        self._sorted_ids: tuple[str, ...] = ()
        for provider in providers:
            self.register(provider)

    def __repr__(self) -> str:
        return f"<Registry ids={list(self.ids())!r}>"

    def __len__(self) -> int:
        return len(self._providers)

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._providers

    def __iter__(self) -> Iterator[SecretsProvider]:
        return iter(self.list())

    def register(self, provider: SecretsProvider, origin: Origin | None = None) -> None:
        """Add ``provider``; ``origin`` says where it came from, for messages."""
        self.register_all([(provider, origin or Origin())])

    def register_all(self, entries: Iterable[tuple[object, Origin]]) -> None:
        """Add every provider of ``entries``, or none of them.

        The one place providers are checked.  Every problem of one kind is
        reported in one error, in this order: objects that are not valid
        providers (:class:`InvalidProviderError`, each in ``rejected``),
        empty ids (:class:`EmptyProviderIDError`, each in ``origins``), and
        ids claimed by more than one distinct provider, including those
        already registered (:class:`DuplicateProviderError`).  The same
        object offered again counts once, under its first origin.
        """
        rejected: list[tuple[Origin, object, InvalidProviderError]] = []
        keyed: list[tuple[str, SecretsProvider, Origin]] = []
        for provider, origin in entries:
            try:
                keyed.append((provider_id(provider), cast(SecretsProvider, provider), origin))
            except InvalidProviderError as exc:
                rejected.append((origin, provider, exc))
        if rejected:
            first = rejected[0][2]
            error = first if len(rejected) == 1 else InvalidProviderError(
                Structural("\n".join(str(exc) for _, _, exc in rejected))
            )
            error.rejected = tuple((origin, obj, str(exc)) for origin, obj, exc in rejected)
            raise error
        empty = tuple(origin for key, _, origin in keyed if not key.strip())
        if empty:
            named = ", ".join(str(origin) for origin in empty)
            error_empty = EmptyProviderIDError(
                Structural(f"{named} contributed a secrets provider with an empty id")
            )
            error_empty.origins = empty
            raise error_empty
        with self._lock:
            chosen: dict[str, list[tuple[SecretsProvider, Origin]]] = {
                key: [(provider, self._origins[key])] for key, provider in self._providers.items()
            }
            for key, provider, origin in keyed:
                claims = chosen.setdefault(key, [])
                if not any(existing is provider for existing, _ in claims):
                    claims.append((provider, origin))
            conflicts = {
                key: [origin for _, origin in claims]
                for key, claims in chosen.items() if len(claims) > 1
            }
            if conflicts:
                raise DuplicateProviderError(conflicts)
            for key, claims in chosen.items():
                self._providers[key], self._origins[key] = claims[0]
            self._sorted_ids = tuple(sorted(self._providers))

    def get(self, provider_id: str) -> SecretsProvider:
        """The provider with this id."""
        with self._lock:
            provider = self._providers.get(provider_id)
            if provider is None:
                raise UnknownProviderError(provider_id, self._sorted_ids)
            return provider

    def has(self, provider_id: str) -> bool:
        return provider_id in self._providers

    def ids(self) -> tuple[str, ...]:
        """Every id, in lexicographic order."""
        return self._sorted_ids

    def list(self) -> list[SecretsProvider]:
        """Every provider, sorted by id."""
        with self._lock:
            return [self._providers[key] for key in self._sorted_ids]

    def origin(self, provider_id: str) -> Origin:
        """Where the provider with this id came from."""
        with self._lock:
            if provider_id not in self._origins:
                raise UnknownProviderError(provider_id, self._sorted_ids)
            return self._origins[provider_id]
