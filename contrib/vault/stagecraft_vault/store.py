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

import os
import threading
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stagecraft.store import NoSuchLocationError, SecretStore, StoreSession
from stagecraft_vault.config import Config as VaultConfig

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_vault.client import Connection
    from stagecraft_vault.kv import KVSecret, Secret
    from stagecraft_vault.location import Location


def as_text(value: Any) -> str:
    """A field's value as a sync carries it: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    import json  # only non-string fields need it: kept off every command's start-up

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class VaultSession(StoreSession[VaultConfig]):
    """One sync's reads and writes of one secret, and the version the plan was made from.

    Calls are serialised by a lock: the engine may write from worker threads.
    """

    def __init__(self, store: VaultStore, ctx: Context[VaultConfig], location: str) -> None:
        super().__init__(store, ctx, location)
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
            secret = self._read()
        if not secret.exists:  # the version is kept: a first write names it
            raise NoSuchLocationError(self.store.id, self.location, f"no secret at {self.where}")
        data = secret.data
        wanted = data.keys() if keys is None else [key for key in keys if key in data]
        return {key: as_text(data[key]) for key in wanted}

    def write(self, values: Mapping[str, str]) -> None:
        with self._lock, self._connect().bounded():  # the engine names a failed write's keys
            seen = self._seen if self._seen is not None else self._read()
            fields = dict(seen.data)
            fields.update(values)
            self._replace(seen, fields)

    def refusal(self, writes: Mapping[str, str], deletes: Collection[str]) -> str | None:
        """The secret's size after the write, checked as the write will check it.

        The engine writes before it deletes (``--prune``), so the fields to
        remove still count.
        """
        with self._lock:
            seen = self._seen if self._seen is not None else self._read()
            fields = dict(seen.data)
            fields.update(writes)
            return self._kv().size_problem(fields)

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


class VaultStore(SecretStore[VaultConfig]):
    """HashiCorp Vault / OpenBao KV secrets (v2, and v1 when the mount says so).

    Everything a sync does goes through its :class:`VaultSession`;
    :meth:`read` is one session's read (a source).
    """

    id: ClassVar[str] = "vault"
    can_delete: ClassVar[bool] = True
    session_class = VaultSession
    Config = VaultConfig
    location_help: ClassVar[str] = (
        "MOUNT/PATH: the fields of one KV secret, as `vault kv put MOUNT/PATH K=V` makes them "
        "(vault:secret/myapp); with `mount` set in the config, PATH inside that mount"
    )

    def normalise_location(self, ctx: Context[VaultConfig], location: str) -> str:
        from stagecraft_vault.location import parse

        return f"{self.id}:{parse(location, self.config_of(ctx).mount)}"

    def record_location(self, ctx: Context, location: str) -> str:
        """The server (without any user or password in its URL), namespace and secret:
        one path on two servers is two places to the write record."""
        from urllib.parse import urlsplit

        from stagecraft_vault.settings import configured_address

        config = self.config_of(ctx)
        parts = urlsplit((configured_address(config) or "").rstrip("/"))
        port = f":{parts.port}" if parts.port else ""
        namespace = (config.namespace or os.environ.get("VAULT_NAMESPACE")
                     or os.environ.get("BAO_NAMESPACE") or "")
        server = f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
        inside = f" namespace {namespace}" if namespace else ""
        return f"{self.normalise_location(ctx, location)} at {server}{inside}"

    def read(
        self, ctx: Context[VaultConfig], location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        with self.session(ctx, location, dry_run=True) as session:
            return session.read(keys)
