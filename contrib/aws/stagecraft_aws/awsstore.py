"""What the AWS stores share: a typed config, one client per sync, one place per location.

A store object lives in the registry for the whole process and may serve
several syncs at once, so it keeps its per-sync state apart: the boto3
client, the names a read found and the idempotency token of each write live
in a :class:`Place`, the session :meth:`AwsStore.session` opens for one
location of one sync.  Every read and write goes through a place;
:meth:`AwsStore.read` (a source) is one place's read.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from stagecraft.errors import UserError
from stagecraft.store import SecretStore, StoreSession
from stagecraft_aws.config import Config as AwsConfig

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_aws.connection import Service


class LocationError(UserError):
    """A location an AWS store cannot use (exit 1: nothing was sent)."""


@attrs.frozen
class KeyLimits:
    """What a key and its value must be in a store holding one item per key (named
    LOCATION + KEY): checked before anything is sent."""

    #: What each key becomes: "parameter", "secret".
    item: str
    #: The characters a key may hold, as a pattern and in words.
    key: re.Pattern[str]
    characters: str
    max_name_length: int
    #: The service's name, and what it calls the value it cannot hold empty.
    service: str
    empty: str
    max_value_bytes: int
    #: Said after the size limit, when the limit depends on a tier.
    tier: str = ""

    def problems(self, location: str, values: Mapping[str, str]) -> dict[str, str]:
        """The keys of ``values`` the service would refuse at ``location``, with the reason."""
        found: dict[str, str] = {}
        for key, value in values.items():
            if not self.key.match(key):
                found[key] = (
                    f"a {self.item} name may hold only letters, digits and {self.characters}"
                )
            elif len(location + key) > self.max_name_length:
                found[key] = f"the {self.item} name would be longer than {self.max_name_length}"
            elif not value:
                found[key] = f"{self.service} cannot hold an empty {self.empty}"
            elif len(value.encode()) > self.max_value_bytes:
                found[key] = f"longer than {self.service}'s {self.max_value_bytes} bytes{self.tier}"
        return found


class Place(StoreSession[AwsConfig]):
    """One location of one sync (the store's session): the client, and what the read
    learnt for the writes."""

    store: AwsStore

    def __init__(self, store: AwsStore, ctx: Context[AwsConfig], location: str) -> None:
        super().__init__(store, ctx, location)
        self.where = f"{store.id}:{location}"
        self._lock = threading.Lock()
        self._client: Any = None
        self._tokens: dict[str, str] = {}

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (a place that makes no call costs nothing)."""
        with self._lock:
            if self._client is None:
                from stagecraft_aws.connection import connect

                pool = self.config.concurrency or self.store.concurrency
                self._client = connect(self.ctx, self.config, self.store.service, self.where,
                                       pool)
            return self._client

    def call(self, operation: str, **kwargs: Any) -> Any:
        """``client.<operation>(**kwargs)`` with botocore's errors translated.

        ``operation`` is the snake_case method name; messages show AWS's name.
        """
        from stagecraft_aws.failures import translated

        self.ctx.check()
        method = getattr(self.client, operation)
        with translated(self.ctx, self.where, _aws_name(operation)):
            return method(**kwargs)

    def token(self, key: str) -> str:
        """The idempotency token of ``key``'s write in this sync.

        The same on every retry, so a write that landed before its answer was
        lost is not applied twice (AWS treats a repeated token as the same call).
        """
        import uuid  # not on the registry's start-up path

        with self._lock:
            return self._tokens.setdefault(key, str(uuid.uuid4()))

    def record_location(self) -> str:
        """The location with the endpoint and profile it is reached through: one name in two
        regions (or behind two endpoints) is two places to the write record.

        The account is not part of it (it would cost a call); two accounts
        reached through one profile and region share entries, so a key
        synced to both shows as a conflict rather than being missed.
        """
        meta = self.client.meta
        profile = self.config.profile or "default chain"
        return (f"{self.store.normalise_location(self.ctx, self.location)} at "
                f"{meta.endpoint_url} ({meta.region_name}, profile {profile})")

    # -- each kind of place implements read and its writes (StoreSession's methods) --

    def read(self, keys: Collection[str] | None) -> Mapping[str, str]:
        raise NotImplementedError


def _aws_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


class AwsStore(SecretStore[AwsConfig]):
    """Base of the AWS stores: config class, locations, places."""

    Config = AwsConfig
    can_delete: ClassVar[bool] = True
    #: The boto3 service name (each concrete store sets it).
    service: ClassVar[Service]
    #: The :class:`Place` subclass that does this store's reads and writes.
    place_class: ClassVar[type[Place]] = Place
    #: What each key must be, in a store holding one item per key (None: checked as a whole).
    key_limits: ClassVar[KeyLimits | None] = None

    def check_location(self, location: str) -> None:
        """Raise :class:`LocationError` when ``location`` cannot name a place in this store."""

    def check_values(
        self, ctx: Context[AwsConfig], location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        return {} if self.key_limits is None else self.key_limits.problems(location, values)

    def open(self, ctx: Context[AwsConfig], location: str) -> Place:
        """A new place of this store at ``location``, after checking the location."""
        self.check_location(location)
        return self.place_class(self, ctx, location)

    @contextlib.contextmanager
    def session(
        self, ctx: Context[AwsConfig], location: str, *, dry_run: bool
    ) -> Iterator[StoreSession[AwsConfig]]:
        yield self.open(ctx, location)

    def read(
        self, ctx: Context[AwsConfig], location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        with self.session(ctx, location, dry_run=True) as place:
            return place.read(keys)
