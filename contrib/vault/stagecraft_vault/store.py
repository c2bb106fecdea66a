"""The ``vault`` store: the fields of one KV secret are the keys of a sync.

``vault:secret/myapp`` is the secret ``myapp`` of the mount ``secret``, as
``vault kv put secret/myapp A=1 B=2`` makes it.  The engine
(:mod:`stagecraft.engine`) plans and selects; this store reads the secret
once, and writes the changed fields in one request that keeps every other
field and carries check-and-set on the version the plan was made from.

Per-sync state (the connection, the version read) lives in a
:class:`VaultSession`, one per sync, never on the store object, which the
registry shares between threads.  Building the registry imports this
module and :mod:`stagecraft_vault.config` only; hvac comes with the first
request.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stagecraft.store import LazyConfig, SecretStore, StoreSession

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_vault.client import Connection
    from stagecraft_vault.config import Config as VaultConfig
    from stagecraft_vault.kv import KVSecret, Secret
    from stagecraft_vault.location import Location


def as_text(value: Any) -> str:
    """A field's value as a sync carries it: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    import json  # only non-string fields need it: kept off every command's start-up

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@contextlib.contextmanager
def _naming(keys: Collection[str], what: str) -> Iterator[None]:
    """Add the keys a failed write (all or nothing) leaves behind to its error, same class.

    The engine passes a batch write's error on as it is (retrying it first when it
    is transient), so the keys must be in its message.
    """
    from stagecraft_vault.errors import (
        ConflictError,
        ProviderError,
        TooManyFieldsError,
        TransientError,
    )

    try:
        yield
    except (ProviderError, TransientError, ConflictError, TooManyFieldsError) as exc:
        if type(exc) not in (ProviderError, TransientError, ConflictError, TooManyFieldsError):
            raise  # a subclass with other arguments (CancelledError): as it is
        raise type(exc)(f"{exc}; {what}: {', '.join(sorted(keys))}") from None


class VaultSession(StoreSession):
    """One sync's reads and writes of one secret, and the version the plan was made from.

    Calls are serialised by a lock: the engine may write from worker threads.
    """

    def __init__(self, store: SecretStore, ctx: Context, location: str) -> None:
        super().__init__(store, ctx, location)
        self.config: VaultConfig = store.config_of(ctx)
        from stagecraft_vault.location import parse

        self.where: Location = parse(location, self.config.mount)
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._secret: KVSecret | None = None
        self._seen: Secret | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def _connect(self) -> Connection:
        """The connection (no request yet): operations are bounded through it."""
        if self._connection is None:
            from stagecraft_vault.client import Connection
            from stagecraft_vault.settings import resolve

            self._connection = Connection(self.ctx, resolve(self.ctx, self.config))
        return self._connection

    def _kv(self) -> KVSecret:
        if self._secret is None:
            from stagecraft_vault.kv import KVSecret

            connection = self._connect()
            connection.login(self.where)
            mount = connection.mount(self.where, self.config.kv_version)
            self._secret = KVSecret(connection, mount, self.config.max_request_strings)
        return self._secret

    def _read(self) -> Secret:
        secret = self._kv().read()
        self.ctx.add_secrets(as_text(value) for value in secret.data.values())
        self._seen = secret
        return secret

    def read(self, keys: Collection[str] | None) -> Mapping[str, str]:
        with self._lock, self._connect().bounded():
            data = self._read().data
        wanted = data.keys() if keys is None else [key for key in keys if key in data]
        return {key: as_text(data[key]) for key in wanted}

    def write(self, values: Mapping[str, str]) -> None:
        with self._lock, self._connect().bounded(), _naming(values, "not written"):
            seen = self._seen if self._seen is not None else self._read()
            fields = dict(seen.data)
            fields.update(values)
            self._replace(seen, fields)

    def delete(self, keys: Collection[str]) -> None:
        with self._lock, self._connect().bounded():  # the engine names a failed delete's keys
            seen = self._seen if self._seen is not None else self._read()
            gone = set(keys)
            fields = {key: value for key, value in seen.data.items() if key not in gone}
            self._replace(seen, fields)

    def _replace(self, seen: Secret, fields: dict[str, Any]) -> None:
        """Write ``fields`` unless they are what the server holds (no version churn)."""
        if fields == dict(seen.data):
            return
        from stagecraft_vault.errors import ConflictError

        kv = self._kv()
        try:
            self._seen = kv.replace(fields, seen)
        except ConflictError:
            # An earlier attempt of this very write may have landed with its answer
            # lost (a dropped connection, then the engine's retry): the secret then
            # holds exactly these fields, one version on.
            current = kv.read()
            ours = dict(current.data) == fields and (
                kv.version == 1 or current.version == seen.version + 1
            )
            if not ours:
                raise kv.conflict(seen, current) from None
            self._seen = current


class VaultStore(SecretStore):
    """HashiCorp Vault / OpenBao KV secrets (v2, and v1 when the mount says so)."""

    id: ClassVar[str] = "vault"
    #: Imported when a config is structured or described, not when the registry is built.
    Config = LazyConfig("stagecraft_vault.config")
    location_help: ClassVar[str] = (
        "MOUNT/PATH: the fields of one KV secret, as `vault kv put MOUNT/PATH K=V` makes them "
        "(vault:secret/myapp); with `mount` set in the config, PATH inside that mount"
    )

    @contextlib.contextmanager
    def session(self, ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
        session = VaultSession(self, ctx, location)
        try:
            yield session
        finally:
            session.close()

    def normalise_location(self, ctx: Context, location: str) -> str:
        from stagecraft_vault.location import parse

        return f"{self.id}:{parse(location, self.config_of(ctx).mount)}"

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        with self.session(ctx, location, dry_run=True) as session:
            return session.read(keys)

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        with self.session(ctx, location, dry_run=False) as session:
            session.write(values)

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        with self.session(ctx, location, dry_run=False) as session:
            session.delete(keys)
