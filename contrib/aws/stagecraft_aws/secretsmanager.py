"""``aws-sm``: AWS Secrets Manager, in the two layouts teams use.

* ``aws-sm:myapp/prod/`` (ends in ``/``): one secret per key, named
  ``myapp/prod/KEY``.  Reads list the secrets under the prefix
  (``ListSecrets`` with a name filter, 100 a page) and fetch their values 20
  at a time (``BatchGetSecretValue``); each changed key is one write
  (``PutSecretValue``, or ``CreateSecret`` for a new key, with the
  configured KMS key and tags), run concurrently by the engine.
* ``aws-sm:myapp/prod`` (no ``/``): one secret whose string is a JSON
  object of keys.  One read, one write per sync; keys of the object that the
  sync does not select are kept as they are.

:class:`SecretsManagerStore` is what the registry holds; its
:meth:`~SecretsManagerStore.route` hands each location to the store of its
layout, so the engine sees a ``write_one`` store for the first layout and a
batch ``write`` store for the second.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from stagecraft.errors import ProviderError, UserError
from stagecraft.providers.secrets import Action, Context
from stagecraft.store import NoSuchLocationError, StoreSession
from stagecraft_aws.awsstore import AwsStore, KeyLimits, LocationError, Place

#: Secrets Manager's limits.
BATCH_GET_LIMIT = 20
LIST_PAGE = 100
MAX_SECRET_BYTES = 65536
MAX_NAME_LENGTH = 512
_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")
_KEY = re.compile(r"^[A-Za-z0-9_+=.@-]+$")  # a name's last part: no "/"

LOCATION_HELP = (
    "PREFIX/ (one secret per key, PREFIX/KEY) or NAME (one secret holding a JSON object)"
)


def _code(exc: ProviderError) -> str:
    return str(getattr(exc, "code", ""))


def _scheduled_for_deletion(exc: ProviderError) -> bool:
    """A secret waiting out its recovery window (AWS says "scheduled for" or "marked" deleted)."""
    return _code(exc) == "InvalidRequestException" and "delet" in str(exc).lower()


def _check_name(location: str, store_id: str) -> None:
    name = location.rstrip("/")
    if not location.strip() or not name:
        raise LocationError(f"{store_id}: the location is empty; use {LOCATION_HELP}")
    if not _NAME.match(location):
        raise LocationError(
            f"{store_id}:{location}: a secret name may hold only letters, digits and /_+=.@-"
        )


class _SecretsManagerPlace(Place):
    """Shared by both layouts: creating a secret with the configured KMS key and tags."""

    def create(self, name: str, secret: str, token: str) -> Action:
        """``CreateSecret`` (ADDED), or ``PutSecretValue`` when the name is taken (UPDATED).

        The name may be taken by a secret created since the read, by an
        earlier attempt whose answer was lost, or by a pruned secret waiting
        out its recovery window (then :meth:`put` restores it).
        """
        arguments: dict[str, Any] = {
            "Name": name, "SecretString": secret, "ClientRequestToken": token,
        }
        if self.config.kms_key_id:
            arguments["KmsKeyId"] = self.config.kms_key_id
        if self.config.tags:
            arguments["Tags"] = [{"Key": k, "Value": v} for k, v in self.config.tags.items()]
        try:
            self.call("create_secret", **arguments)
        except ProviderError as exc:
            if _code(exc) == "ResourceExistsException":
                # Rare (a race, a lost answer, a pruned secret): one more call to tell.
                if "DeletedDate" in self.call("describe_secret", SecretId=name):
                    self.call("restore_secret", SecretId=name)
            elif not _scheduled_for_deletion(exc):
                raise
            self.put(name, secret, token)
            return Action.UPDATED
        return Action.ADDED

    def put(self, name: str, secret: str, token: str) -> None:
        """``PutSecretValue``, first restoring the secret if it is scheduled for deletion."""
        try:
            self.call("put_secret_value", SecretId=name, SecretString=secret,
                      ClientRequestToken=token)
        except ProviderError as exc:
            if not _scheduled_for_deletion(exc):
                raise
            self.call("restore_secret", SecretId=name)
            self.call("put_secret_value", SecretId=name, SecretString=secret,
                      ClientRequestToken=token)

    def delete_secret(self, name: str) -> None:
        """``DeleteSecret``; one that is already gone or scheduled counts as deleted."""
        arguments: dict[str, Any] = {"SecretId": name}
        if self.config.force_delete:
            arguments["ForceDeleteWithoutRecovery"] = True
        try:
            self.call("delete_secret", **arguments)
        except ProviderError as exc:
            if _code(exc) == "ResourceNotFoundException" or _scheduled_for_deletion(exc):
                return
            raise


# ------------------------------------------------------------ one secret per key


class SecretPerKeyPlace(_SecretsManagerPlace):
    """``PREFIX/``: the read remembers which keys exist, so a write knows create from put."""

    def __init__(self, store: AwsStore, ctx: Context, location: str) -> None:
        super().__init__(store, ctx, location)
        self.existing: set[str] | None = None  # None: not read yet

    def name(self, key: str) -> str:
        return self.location + key

    def list_keys(self) -> list[str]:
        """Keys with a secret directly under the prefix (ListSecrets, 100 a page)."""
        keys: list[str] = []
        arguments: dict[str, Any] = {
            "Filters": [{"Key": "name", "Values": [self.location]}],
            "MaxResults": LIST_PAGE,
        }
        while True:
            page = self.call("list_secrets", **arguments)
            for entry in page.get("SecretList", ()):
                name = entry.get("Name", "")
                # AWS's name filter is looser than a prefix (it ignores case
                # and matches words), and deeper names (PREFIX/a/b) belong
                # to another location: keep exactly PREFIX + KEY.
                if name.startswith(self.location):
                    key = name[len(self.location):]
                    if key and "/" not in key:
                        keys.append(key)
            token = page.get("NextToken")
            if not token:
                return keys
            arguments["NextToken"] = token

    def read(self, keys: Collection[str] | None) -> dict[str, str]:
        found = sorted(self.list_keys())  # sorted: the listing's order is the service's
        self.existing = set(found)
        if not found:  # a prefix exists only through the secrets under it
            raise NoSuchLocationError(self.store.id, self.location,
                                      f"no secret named {self.location}KEY")
        wanted = found if keys is None else [key for key in keys if key in self.existing]
        values: dict[str, str] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            chunk = [self.name(key) for key in wanted[start:start + BATCH_GET_LIMIT]]
            answer = self.call("batch_get_secret_value", SecretIdList=chunk)
            for entry in answer.get("SecretValues", ()):
                key = entry["Name"][len(self.location):]
                if "SecretString" not in entry:
                    raise ProviderError(
                        f"{self.where}: secret {entry['Name']} holds binary data, not a string"
                    )
                values[key] = entry["SecretString"]
            self.ctx.add_secrets(values.values())
            for error in answer.get("Errors", ()):
                if error.get("ErrorCode") == "ResourceNotFoundException":
                    continue  # deleted since the listing: absent
                raise ProviderError(
                    f"{self.where}: cannot read secret {error.get('SecretId', '?')} "
                    f"({error.get('ErrorCode', 'error')})"
                )
        return {key: values[key] for key in wanted if key in values}

    def write_one(self, key: str, value: str) -> Action:
        """``PutSecretValue`` for a key the read found, ``CreateSecret`` for a new one.

        Returns what the key was at the read (the plan's word), or, without a
        read, what the calls found.
        """
        name, token = self.name(key), self.token(key)
        if self.existing is None:
            return self.create(name, value, token)
        if key not in self.existing:
            self.create(name, value, token)
            return Action.ADDED
        try:
            self.put(name, value, token)
        except ProviderError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            self.create(name, value, token)  # deleted since the read
        return Action.UPDATED

    def delete(self, keys: Collection[str]) -> None:
        """One ``DeleteSecret`` per key (there is no batch delete), ``concurrency`` at a time.

        Every key is tried; the first failure is raised after all have run
        (a transient one first, so the engine retries, and deleting again is harmless).
        """
        from concurrent.futures import ThreadPoolExecutor

        pool = self.config.concurrency or self.store.concurrency
        names = [self.name(key) for key in keys]
        failures: list[ProviderError] = []
        with ThreadPoolExecutor(max_workers=max(1, min(pool, len(names) or 1))) as executor:
            for future in [executor.submit(self.delete_secret, name) for name in names]:
                try:
                    future.result()
                except ProviderError as exc:
                    failures.append(exc)
        if failures:
            failures.sort(key=lambda exc: not self.store.is_transient(exc))
            raise failures[0]


class SecretsManagerBase(AwsStore):
    """What the registered store and the store of each layout are: ``aws-sm`` locations."""

    id = "aws-sm"
    service = "secretsmanager"
    location_help = LOCATION_HELP
    retries = 5

    def check_location(self, location: str) -> None:
        _check_name(location, self.id)


class SecretPerKeyStore(SecretsManagerBase):
    """``aws-sm:PREFIX/``: one secret per key, written one by one, concurrently."""

    #: Secrets Manager allows 50 PutSecretValue calls a second per account and region.
    concurrency = 10
    place_class = SecretPerKeyPlace
    writes_one_by_one = True
    key_limits = KeyLimits(
        "secret", _KEY, "_+=.@-", MAX_NAME_LENGTH, "Secrets Manager", "secret string",
        MAX_SECRET_BYTES,
    )


# ------------------------------------------------------------ one JSON secret


class SecretTooLargeError(UserError):
    """The JSON object would be larger than one secret may hold (exit 1: nothing sent)."""


def _changed(
    document: Mapping[str, Any], change: Mapping[str, str], remove: Collection[str]
) -> dict[str, Any]:
    """``document`` with ``change`` applied and the keys ``remove`` removed (a new dict)."""
    changed = dict(document)
    changed.update(change)
    for key in remove:
        changed.pop(key, None)
    return changed


class JsonSecretPlace(_SecretsManagerPlace):
    """``NAME``: the keys of one secret's JSON object."""

    #: The object as the plan's read found it (None: not read in this sync).
    read_document: dict[str, Any] | None = None

    def current(self) -> dict[str, Any] | None:
        """The secret's object as it is now (None when there is no such secret)."""
        try:
            answer = self.call("get_secret_value", SecretId=self.location)
        except ProviderError as exc:
            if _code(exc) == "ResourceNotFoundException" or _scheduled_for_deletion(exc):
                return None
            raise
        import json  # only this layout needs it: not on the registry's start-up path

        text = answer.get("SecretString")
        if text is None:
            raise ProviderError(f"{self.where}: the secret holds binary data, not a JSON object")
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ProviderError(
                f"{self.where}: the secret's string is not a JSON object; use "
                f"{self.store.id}:{self.location}/ for one secret per key"
            )
        self.ctx.add_secrets(v for v in document.values() if isinstance(v, str))
        return document

    def read(self, keys: Collection[str] | None) -> dict[str, str]:
        import json

        document = self.current()
        if document is None:
            raise NoSuchLocationError(self.store.id, self.location,
                                      f"no secret named {self.location}")
        self.read_document = document
        # Numbers, booleans and nested values read as their JSON text.
        values = {key: value if isinstance(value, str) else json.dumps(value)
                  for key, value in document.items()}
        self.ctx.add_secrets(values.values())
        if keys is None:
            return values
        return {key: values[key] for key in keys if key in values}

    def replace(self, step: str, change: Mapping[str, str], remove: Collection[str] = ()) -> None:
        """Apply ``change`` and ``remove`` to the secret as it is now, in one write.

        The secret is read again first, so keys another writer changed since
        the plan's read are kept too; nothing is written when nothing differs.
        ``step`` ("write" or "delete") names the idempotency token: the same
        on a retry of the step, another for the other step of the sync.
        """
        before = self.current()
        document = _changed(before or {}, change, remove)
        if before is not None and document == before:
            return
        import json

        text = json.dumps(document, ensure_ascii=False)
        problem = self.size_problem(text)
        if problem is not None:
            raise SecretTooLargeError(f"{self.where}: nothing was written: {problem}")
        token = self.token(step)
        if before is None:
            self.create(self.location, text, token)
        else:
            self.put(self.location, text, token)

    def size_problem(self, text: str) -> str | None:
        """Why Secrets Manager would refuse ``text`` as the secret's string, or None."""
        size = len(text.encode())
        if size <= MAX_SECRET_BYTES:
            return None
        return (
            f"the JSON object would be {size} bytes, more than Secrets Manager's "
            f"{MAX_SECRET_BYTES}; use {self.store.id}:{self.location}/ for one secret per key"
        )

    def refusal(self, writes: Mapping[str, str], deletes: Collection[str]) -> str | None:
        """The object's size after the write, from what the plan's read found.

        The engine writes before it deletes (``--prune``), so the keys to
        remove still count.
        """
        import json

        document = _changed(self.read_document or {}, writes, ())
        return self.size_problem(json.dumps(document, ensure_ascii=False))

    def write(self, values: Mapping[str, str]) -> None:
        self.replace("write", values)

    def delete(self, keys: Collection[str]) -> None:
        self.replace("delete", {}, keys)


class JsonSecretStore(SecretsManagerBase):
    """``aws-sm:NAME``: one secret holding a JSON object, written in one call."""

    place_class = JsonSecretPlace


# ------------------------------------------------------------ the registered store


class SecretsManagerStore(SecretsManagerBase):
    """``aws-sm``: routes each location to the store of its layout (see the module doc)."""

    concurrency = SecretPerKeyStore.concurrency

    def __init__(self) -> None:
        self.per_key = SecretPerKeyStore()
        self.json_object = JsonSecretStore()

    def route(self, ctx: Context, location: str) -> AwsStore:
        return self.per_key if location.endswith("/") else self.json_object

    # Callers that do not route (a source's read) still reach the right layout.

    @contextlib.contextmanager
    def session(self, ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
        with self.route(ctx, location).session(ctx, location, dry_run=dry_run) as session:
            yield session

    def check_values(
        self, ctx: Context, location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        return self.route(ctx, location).check_values(ctx, location, values)
