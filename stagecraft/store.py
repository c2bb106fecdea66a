"""What a secret store implements: how to read and write one place.

A *store* is a provider that only knows its place (an env file, a Vault
path, an AWS prefix).  Everything else a sync does -- choosing keys,
masking, planning, dry runs, ``--check``, concurrency, retries, partial
failures, cancellation -- is done once, by :mod:`stagecraft.engine`, the
same way for every store.  A store subclasses :class:`SecretStore`::

    class DirStore(stagecraft.SecretStore):
        id = "dirstore"

        def read(self, ctx, location, keys):
            ...  # {key: value} of those keys (keys None: all); absent keys left out;
                 # no such directory: raise stagecraft.NoSuchLocationError

        def write_one(self, ctx, location, key, value):
            ...  # or write(ctx, location, values) for a batch

        def delete(self, ctx, location, keys):
            ...  # optional: only stores that can prune

Because :class:`SecretStore` has ``id`` and ``sync``, a store *is* a
:class:`~stagecraft.providers.secrets.SecretsProvider`: it registers through
``secrets_provider_register`` and sits in the same registry as providers
that implement ``sync`` themselves.

``ctx.config`` holds the store's own section of ``stagecraft.yml``,
structured into the store's ``Config`` attrs class (its defaults when the
section is absent), so a store never parses raw dictionaries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stagecraft.errors import ProviderError, UserError, printable

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Action, Context, SyncOptions, SyncResult

__all__ = [
    "KeysNotWrittenError", "LazyConfig", "NoSuchLocationError", "OutcomeUnknownError",
    "SecretStore", "StoreSession", "TransientError",
]


class NoSuchLocationError(UserError):
    """There is nothing at all at a location: it does not exist (not "exists and is empty").

    ``read`` (and a session's ``read``) raises it, so that a mistyped
    ``--from`` is an error naming it rather than a source of no keys that
    ``--prune`` would take as "delete everything".  The engine decides what
    it means: for the source, an error (exit 1); for the target, a place the
    sync creates, read as empty.  A store whose place cannot exist apart
    from its keys (a name prefix, a parameter path) raises it when it finds
    no key there.  ``why`` says what was looked for (a file, a secret), never a value.
    """

    def __init__(self, store_id: str, location: str, why: str = "") -> None:
        self.store_id = store_id
        self.location = location
        self.why = why
        detail = f" ({why})" if why else ""
        super().__init__(f"{store_id}:{printable(location)}: does not exist{detail}")


class TransientError(ProviderError):
    """A failure worth trying again (throttling, a reset connection, a 5xx).

    Raise it from ``write``, ``write_one``, ``read`` or ``delete`` (or say so
    in :meth:`SecretStore.is_transient`): the engine retries the call with
    backoff, up to :attr:`SecretStore.retries` times, within the deadline.
    """


class KeysNotWrittenError(ProviderError):
    """A batch ``write`` or ``delete`` that failed for some keys only; the others were done.

    ``failed`` maps each key that failed to the store's reason (never a
    value); the engine reports those keys as not synced, masked, and the
    rest as synced.
    """

    free_text = True

    def __init__(self, failed: Mapping[str, str]) -> None:
        super().__init__(f"{len(failed)} key(s) failed")
        self.failed = dict(failed)


class OutcomeUnknownError(ProviderError):
    """A write was sent and no answer came: it may or may not have taken effect.

    Raise it (or say so in :meth:`SecretStore.outcome_unknown`) when a
    request or a child process that changes the store timed out, lost its
    connection after sending, or was stopped: the engine then reports the
    keys as *unknown* ("may or may not have been written"), never as "not
    written".  It is not retried unless it is also a :class:`TransientError`
    (a store that can tell a repeated write apart, as Vault's check-and-set
    does, may make it both).
    """


class LazyConfig:
    """A store's ``Config`` class, imported from ``module`` when first asked for.

    Every command builds the registry, so every installed store's class is
    defined on every run; its attrs config class (and what that module
    imports) is needed only when a config is structured or described.
    Use it as ``Config = LazyConfig("my_store.config", "Config")``; it
    answers on the class and on instances alike.
    """

    def __init__(self, module: str, name: str = "Config") -> None:
        self.module = module
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        import importlib

        return getattr(importlib.import_module(self.module), self.name)


class SecretStore:
    """Base class of stores; subclasses set :attr:`id` and implement the methods below.

    Class attributes:

    * ``id``: the provider id, also the prefix of ``--from ID:LOC`` / ``--to ID:LOC``.
    * ``readable``: False when values cannot be read back (write-only
      stores); the engine then plans from :meth:`existing_keys`.
    * ``concurrency``: how many ``write_one`` calls may run at once (a
      ``concurrency`` field in the store's ``Config`` overrides it).
    * ``retries``: how many times a transient failure is retried.
    * ``Config``: an attrs class for the store's ``stagecraft.yml`` section.
    * ``location_help``: the location syntax, for ``--help`` and describe.
    * ``reserved_prefixes``: words of the store's own location grammar that
      look like ``ID:`` (Encore's ``env:staging``) and so are not store ids.
    """

    id: ClassVar[str] = ""
    readable: ClassVar[bool] = True
    concurrency: ClassVar[int] = 1
    retries: ClassVar[int] = 3
    Config: ClassVar[Any] = None
    location_help: ClassVar[str] = ""
    reserved_prefixes: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r}>"

    # -- what a store implements ------------------------------------------

    def read(
        self, ctx: Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        """The current values of ``keys`` at ``location`` (None: every key); absent keys left out.

        A location that does not exist raises :class:`NoSuchLocationError`
        (one that exists and holds no key reads as empty).
        """
        raise NotImplementedError(f"store {self.id!r} cannot be read")

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        """Store ``values`` (only the keys that change) at ``location``, all or none.

        The default calls :meth:`write_one` for each key, in order; the
        engine never calls it when ``write_one`` is implemented, and runs
        those calls concurrently instead.
        """
        if not self.writes_one_by_one:
            raise NotImplementedError(f"store {self.id!r} cannot be written")
        for key, value in values.items():
            self.write_one(ctx, location, key, value)

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> Action | None:
        """Store one value; may return the action it took (added or updated) when it knows."""
        raise NotImplementedError(f"store {self.id!r} cannot write one key")

    def delete(self, ctx: Context, location: str, keys: Collection[str]) -> None:
        """Remove ``keys`` from ``location`` (``--prune``); stores that cannot prune omit it."""
        raise NotImplementedError(f"store {self.id!r} cannot delete keys")

    # -- optional refinements -----------------------------------------------

    def default_location(self, ctx: Context, role: str) -> str | None:
        """The location used when ``--from`` (``role="source"``) or ``--to`` is absent.

        Config-file paths are relative to the config's directory: return
        them resolved (``ctx.resolve(path, from_config=True)``).
        """
        return None

    def route(self, ctx: Context, location: str) -> SecretStore:
        """The store that serves ``location`` (default: this one).

        A store whose locations come in kinds (Encore: the CLI or a
        ``.cue`` file) returns a different store object for each kind.
        """
        return self

    def normalise_location(self, ctx: Context, location: str) -> str:
        """A canonical name of the place, to tell that source and target are one place.

        Two stores that reach the same place give the same name (file stores:
        ``file:`` and the real path); the default is ``ID:LOCATION``.
        """
        return f"{self.id}:{location}"

    def check_values(
        self, ctx: Context, location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        """Keys this store cannot hold faithfully, each with the reason (never the value).

        Called before anything is written (and in a dry run): a refusal
        stops the sync with exit 1 and nothing sent.
        """
        return {}

    def existing_keys(
        self, ctx: Context, location: str, keys: Collection[str]
    ) -> Collection[str] | None:
        """For write-only stores: which of ``keys`` exist at ``location`` (None: cannot tell).

        Called once per sync, before anything is written (in a dry run too).
        A key listed here is planned as updated, or as unchanged when the
        core's write record (:mod:`stagecraft.record`) says this machine
        last wrote the same value there; a key left out is planned as added,
        whatever the record says.  A store that can tell a write would fail
        (Encore: a conflicting selection) raises a :class:`~stagecraft.errors.UserError` here,
        naming the keys, so the sync stops before its first write.
        """
        return None

    def prunable_keys(
        self, ctx: Context, location: str, keys: Collection[str]
    ) -> Collection[str]:
        """For write-only stores that can list their keys: those at ``location`` not in ``keys``.

        ``keys`` are the source's; the store says what "the same key" means
        (GitHub: case-insensitively).  Implementing it lets ``--prune`` plan
        removals on a store that cannot be read; the keys returned are what
        :meth:`delete` is given.  Called once per sync with ``--prune``.
        """
        raise NotImplementedError(f"store {self.id!r} cannot list its keys")

    def record_location(self, ctx: Context, location: str) -> str:
        """The name under which the write record keeps ``location``'s fingerprints.

        Two spellings of one place must give one name (default:
        :meth:`normalise_location`), and two places must give two: a store
        whose place also depends on its config or environment (Encore: the
        app; Vault: the server) includes that, or the record would see one
        place's values as conflicts in the other.  Never a credential.
        """
        return self.normalise_location(ctx, location)

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` is worth retrying (default: :class:`TransientError`)."""
        return isinstance(exc, TransientError)

    def outcome_unknown(self, exc: BaseException) -> bool:
        """Whether a write that raised ``exc`` may have landed (default:
        :class:`OutcomeUnknownError`): its keys are then reported unknown."""
        return isinstance(exc, OutcomeUnknownError)

    @contextlib.contextmanager
    def session(
        self, ctx: Context, location: str, *, dry_run: bool
    ) -> Iterator[StoreSession]:
        """One read-plan-write of ``location``.

        The default reads and writes through the methods above, one call
        each.  A file-backed store overrides it to hold one lock from the
        read to the write (see :class:`stagecraft.filestore.FileStore`).
        """
        yield StoreSession(self, ctx, location)

    def config_of(self, ctx: Context) -> Any:
        """``ctx.config``; the ``Config`` defaults when a store is called outside the engine.

        The engine always sets ``ctx.config``; a test or script calling
        ``read``/``write`` with a bare :class:`Context` gets the defaults.
        """
        if ctx.config is None and self.Config is not None:
            return self.Config()
        return ctx.config

    # -- derived ------------------------------------------------------------

    @property
    def writes_one_by_one(self) -> bool:
        """True when the store implements :meth:`write_one` rather than :meth:`write`."""
        cls = type(self)
        return cls.write_one is not SecretStore.write_one and cls.write is SecretStore.write

    @property
    def can_delete(self) -> bool:
        return type(self).delete is not SecretStore.delete

    @property
    def can_prune(self) -> bool:
        """True when ``--prune`` can plan: the store deletes, and is read or lists its keys."""
        lists = type(self).prunable_keys is not SecretStore.prunable_keys
        return self.can_delete and (self.readable or lists)

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        """Run the core's engine with this store as the target.

        The engine sits above this interface (it uses stores), so the
        package, the composition root, hands the call over.
        """
        import stagecraft

        return stagecraft.run_engine(ctx, self, opts)


class StoreSession:
    """Reads and writes of one location during one sync (see :meth:`SecretStore.session`)."""

    def __init__(self, store: SecretStore, ctx: Context, location: str) -> None:
        self.store = store
        self.ctx = ctx
        self.location = location

    def __repr__(self) -> str:
        return f"<StoreSession {self.store.id}:{self.location}>"

    def read(self, keys: Collection[str] | None) -> Mapping[str, str]:
        return self.store.read(self.ctx, self.location, keys)

    def write(self, values: Mapping[str, str]) -> None:
        self.store.write(self.ctx, self.location, values)

    def write_one(self, key: str, value: str) -> Action | None:
        return self.store.write_one(self.ctx, self.location, key, value)

    def delete(self, keys: Collection[str]) -> None:
        self.store.delete(self.ctx, self.location, keys)

    def refusal(self, writes: Mapping[str, str], deletes: Collection[str]) -> str | None:
        """Why the location cannot take these writes and deletes as a whole, or None.

        Asked once, after the plan and before anything is written (in a dry
        run too), when there is something to write or delete.  A limit on the
        whole (how many fields one secret may hold, how large one JSON object
        may be) is refused here, so the engine says so in one message, exits 1
        and sends nothing; limits on single values belong in
        :meth:`SecretStore.check_values`.  The session has read the location
        by now (when the store is readable) and can compute the result exactly.
        """
        return None

    def unchanged(self, values: Mapping[str, str]) -> None:
        """These keys already hold these (equal) values: nothing to write.

        A session holding its own copies may keep the caller's strings
        instead, so a large sync holds each unchanged value once (see
        :class:`~stagecraft.filestore.FileStore`); by default nothing happens.
        """
