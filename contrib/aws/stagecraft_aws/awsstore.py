"""What the AWS stores share: a typed config, one client per sync, one session per location.

A store object lives in the registry for the whole process and may serve
several syncs, so it keeps no per-sync state.  That state -- the boto3
client, the names a read found, the idempotency token of each write --
lives in an :class:`AwsSession`, opened by :meth:`SecretStore.session` for
one read-plan-write of one location.  The store's own ``read`` /
``write_one`` / ``delete`` open a short-lived session each, so a caller that
does not use sessions still gets the same behaviour, one call at a time.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stagecraft.errors import UserError
from stagecraft.store import SecretStore, StoreSession
from stagecraft_aws.config import Config

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_aws.connection import Service


class LocationError(UserError):
    """A location an AWS store cannot use (exit 1: nothing was sent)."""


class AwsSession(StoreSession):
    """One location of one sync: the client, and what the read learnt for the writes."""

    store: AwsStore

    def __init__(self, store: AwsStore, ctx: Context, location: str) -> None:
        super().__init__(store, ctx, location)
        self.where = f"{store.id}:{location}"
        self._lock = threading.Lock()
        self._client: Any = None
        self._tokens: dict[str, str] = {}

    @property
    def config(self) -> Config:
        config = self.ctx.config
        return config if isinstance(config, Config) else Config()

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (so a session that is never used costs nothing)."""
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
        with self._lock:
            return self._tokens.setdefault(key, str(uuid.uuid4()))


def _aws_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


class AwsStore(SecretStore):
    """Base of the AWS stores: config class, locations, sessions."""

    Config: ClassVar[Any] = Config
    #: The boto3 service name (each concrete store sets it).
    service: ClassVar[Service]

    def check_location(self, location: str) -> None:
        """Raise :class:`LocationError` when ``location`` cannot name a place in this store."""

    def open(self, ctx: Context, location: str) -> AwsSession:
        """A session of this store at ``location``, after checking the location."""
        self.check_location(location)
        return self.session_class(self, ctx, location)

    #: The :class:`AwsSession` subclass that does this store's reads and writes.
    session_class: ClassVar[type[AwsSession]] = AwsSession

    @contextlib.contextmanager
    def session(self, ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
        yield self.open(ctx, location)

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        return self.open(ctx, location).read(keys)

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        self.open(ctx, location).delete(keys)
