"""What the AWS stores share: a typed config, one client per sync, one place per location.

A store object lives in the registry for the whole process and may serve
several syncs at once, so it keeps its per-sync state apart: the boto3
client, the names a read found and the idempotency token of each write live
in a :class:`Place`, one per location of a sync.  :meth:`AwsStore.session`
opens it for the engine's read-plan-write and the store's own ``read`` /
``write_one`` / ``write`` / ``delete`` -- the primitives the engine calls,
and that tests may wrap -- find it there; called outside a session, each
opens a place of its own for the one call.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stagecraft.errors import UserError
from stagecraft.store import LazyConfig, SecretStore, StoreSession

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Action, Context
    from stagecraft_aws.config import Config
    from stagecraft_aws.connection import Service


class LocationError(UserError):
    """A location an AWS store cannot use (exit 1: nothing was sent)."""


class Place:
    """One location of one sync: the client, and what the read learnt for the writes."""

    def __init__(self, store: AwsStore, ctx: Context, location: str) -> None:
        self.store = store
        self.ctx = ctx
        self.location = location
        self.where = f"{store.id}:{location}"
        self._lock = threading.Lock()
        self._client: Any = None
        self._tokens: dict[str, str] = {}

    @property
    def config(self) -> Config:
        config: Config = self.store.config_of(self.ctx)
        return config

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

    # -- what each kind of place implements (the store's methods call these) --

    def read(self, keys: Collection[str] | None) -> dict[str, str]:
        raise NotImplementedError

    def write_one(self, key: str, value: str) -> Action | None:
        raise NotImplementedError

    def write(self, values: Mapping[str, str]) -> None:
        raise NotImplementedError

    def delete(self, keys: Collection[str]) -> None:
        raise NotImplementedError


def _aws_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


class AwsStore(SecretStore):
    """Base of the AWS stores: config class, locations, places."""

    #: Imported when a config is structured or described, not when the registry is built.
    Config = LazyConfig("stagecraft_aws.config")
    #: The boto3 service name (each concrete store sets it).
    service: ClassVar[Service]
    #: The :class:`Place` subclass that does this store's reads and writes.
    place_class: ClassVar[type[Place]] = Place

    def __init__(self) -> None:
        self._places_lock = threading.Lock()
        self._places: weakref.WeakKeyDictionary[Context, dict[str, Place]] = (
            weakref.WeakKeyDictionary()
        )

    def check_location(self, location: str) -> None:
        """Raise :class:`LocationError` when ``location`` cannot name a place in this store."""

    def open(self, ctx: Context, location: str) -> Place:
        """A new place of this store at ``location``, after checking the location."""
        self.check_location(location)
        return self.place_class(self, ctx, location)

    def place(self, ctx: Context, location: str) -> Place:
        """The place of the session open at ``location`` for ``ctx``, or a new one."""
        with self._places_lock:
            found = self._places.get(ctx, {}).get(location)
        return found if found is not None else self.open(ctx, location)

    @contextlib.contextmanager
    def session(self, ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
        place = self.open(ctx, location)
        with self._places_lock:
            self._places.setdefault(ctx, {})[location] = place
        try:
            yield StoreSession(self, ctx, location)
        finally:
            with self._places_lock:
                places = self._places.get(ctx, {})
                if places.get(location) is place:
                    del places[location]

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        return self.place(ctx, location).read(keys)

    def record_location(self, ctx: Context, location: str) -> str:
        """The location with the endpoint and profile it is reached through: one name in two
        regions (or behind two endpoints) is two places to the write record.

        The account is not part of it (it would cost a call); two accounts
        reached through one profile and region share entries, so a key
        synced to both shows as a conflict rather than being missed.
        """
        meta = self.place(ctx, location).client.meta
        profile = self.config_of(ctx).profile or "default chain"
        return (f"{self.normalise_location(ctx, location)} at {meta.endpoint_url} "
                f"({meta.region_name}, profile {profile})")

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        self.place(ctx, location).delete(keys)
