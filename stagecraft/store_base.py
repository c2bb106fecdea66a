"""What a secret store implements: how to read and write one place, a session per sync.

A *store* is a provider that only knows its place (an env file, a Vault
path, an AWS prefix).  Everything else a sync does -- choosing keys,
masking, planning, dry runs, ``--check``, concurrency, retries, partial
failures, cancellation -- is done once, by :mod:`stagecraft.engine`, the
same way for every store.  A store subclasses :class:`SecretStore`::

    class DirStore(stagecraft.SecretStore):
        id = "dirstore"
        writes_one_by_one = True  # declared: the engine calls write_one concurrently
        can_delete = True         # declared: --prune may remove keys

        def read(self, ctx, location, keys):
            ...  # {key: value} of those keys (keys None: all); absent keys left out;
                 # no such directory: raise stagecraft.NoSuchLocationError

        def write_one(self, ctx, location, key, value):
            ...  # or write(ctx, location, values) for a batch

        def delete(self, ctx, location, keys):
            ...  # optional: only stores that can prune

The engine reads, plans and writes a target through one
:class:`StoreSession` per location per sync (:meth:`StoreBase.session`, a
context manager); a session holds that sync's state (a connection, the
version read, a locked file).  The default session is built from the
store's ``read`` / ``write`` / ``write_one`` / ``delete``, so a simple store
writes just those; a store with per-sync state overrides ``session`` and
implements its session instead.  What a store can do is declared
(``writes_one_by_one``, ``can_delete``, ``lists_keys``); a store written to
the pinned v2 interface, which declares nothing, gets them from the methods
it defines, once, when its class is made.

``ctx.config`` (and ``session.config``) holds the store's own section of
``stagecraft.yml``, structured into the store's ``Config`` attrs class (its
defaults when the section is absent), typed: a store subclassing
``SecretStore[Config]`` has ``self.config_of(ctx)`` and
``session.config`` typed as ``Config``.

:class:`stagecraft.store.SecretStore` adds ``sync`` (the engine) on top of
:class:`StoreBase`; the engine itself only knows this module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from stagecraft.context import ConfigT, Context
from stagecraft.errors import OutcomeUnknownError, TransientError
from stagecraft.store_session import StoreSession

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Action

__all__ = ["StoreBase"]


def _defines(cls: type, name: str) -> bool:
    """Whether ``cls`` or a base below :class:`StoreBase` defines method ``name``."""
    return any(name in vars(k) for k in cls.__mro__
               if k is not StoreBase and issubclass(k, StoreBase))


#: Each capability, and what the methods a class defines say of it when it declares nothing.
_CAPABILITIES: dict[str, Any] = {
    "writes_one_by_one": lambda defines: defines("write_one") and not defines("write"),
    "can_delete": lambda defines: defines("delete"),
    "lists_keys": lambda defines: defines("prunable_keys"),
}


class StoreBase(Generic[ConfigT]):
    """What every store is; subclasses set :attr:`id` and implement reads and writes.

    Class attributes (declarations; the engine trusts them):

    * ``id``: the provider id, also the prefix of ``--from ID:LOC`` / ``--to ID:LOC``.
    * ``readable``: False when values cannot be read back (write-only
      stores); the engine then plans from :meth:`existing_keys`.
    * ``writes_one_by_one``: True when the store writes with ``write_one``
      (run concurrently by the engine) rather than one batch ``write``.
    * ``can_delete``: True when the store deletes keys (``--prune``).
    * ``lists_keys``: True when a write-only store implements
      :meth:`prunable_keys`, so ``--prune`` can plan removals.
    * ``concurrency``: how many ``write_one`` calls may run at once (a
      ``concurrency`` field in the store's ``Config`` overrides it).
    * ``retries``: how many times a transient failure is retried.
    * ``Config``: an attrs class for the store's ``stagecraft.yml`` section
      (subclass ``SecretStore[Config]`` to have it typed).
    * ``location_help``: the location syntax, for ``--help`` and describe.
    * ``reserved_prefixes``: words of the store's own location grammar that
      look like ``ID:`` (Encore's ``env:staging``) and so are not store ids.
    """

    id: ClassVar[str] = ""
    readable: ClassVar[bool] = True
    writes_one_by_one: ClassVar[bool] = False
    can_delete: ClassVar[bool] = False
    lists_keys: ClassVar[bool] = False
    concurrency: ClassVar[int] = 1
    retries: ClassVar[int] = 3
    Config: ClassVar[Any] = None
    location_help: ClassVar[str] = ""
    reserved_prefixes: ClassVar[tuple[str, ...]] = ()
    #: What :meth:`session` opens for each sync (see :class:`StoreSession`).
    session_class: ClassVar[type[StoreSession[Any]]] = StoreSession
    #: The capabilities :meth:`__init_subclass__` derived because the class declared none.
    _derived: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A capability the class does not declare follows the methods it defines.

        Declaring is the way (``writes_one_by_one = True``); a store written to
        the pinned v2 interface, which declares nothing, keeps working: its
        ``write_one``, ``delete`` and ``prunable_keys`` say it, once, here.
        """
        super().__init_subclass__(**kwargs)
        derived: dict[str, bool] = {}
        for flag, says_so in _CAPABILITIES.items():
            if not any(flag in vars(k) and flag not in vars(k).get("_derived", ())
                       for k in cls.__mro__ if k is not StoreBase):
                derived[flag] = says_so(lambda name: _defines(cls, name))
        for flag, value in derived.items():
            setattr(cls, flag, value)
        cls._derived = frozenset(derived)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r}>"

    # -- what a simple store implements (the default session calls these) -------

    def read(
        self, ctx: Context[ConfigT], location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        """The current values of ``keys`` at ``location`` (None: every key); absent keys left out.

        A location that does not exist raises :class:`NoSuchLocationError`
        (one that exists and holds no key reads as empty).  The engine reads
        a source with it; a store that overrides :meth:`session` writes it
        as one read through a session.
        """
        raise NotImplementedError(f"store {self.id!r} cannot be read")

    def write(self, ctx: Context[ConfigT], location: str, values: Mapping[str, str]) -> None:
        """Store ``values`` (only the keys that change) at ``location``, all or none."""
        raise NotImplementedError(
            f"store {self.id!r} cannot be written: it implements neither write nor "
            "write_one with writes_one_by_one = True"
        )

    def write_one(
        self, ctx: Context[ConfigT], location: str, key: str, value: str
    ) -> Action | None:
        """Store one value (``writes_one_by_one = True``); may return the action it took."""
        raise NotImplementedError(f"store {self.id!r} cannot write one key")

    def delete(self, ctx: Context[ConfigT], location: str, keys: Collection[str]) -> None:
        """Remove ``keys`` from ``location`` (``--prune``; declare ``can_delete = True``)."""
        raise NotImplementedError(f"store {self.id!r} cannot delete keys")

    # -- optional refinements -----------------------------------------------

    def default_location(self, ctx: Context[ConfigT], role: str) -> str | None:
        """The location used when ``--from`` (``role="source"``) or ``--to`` is absent.

        Config-file paths are relative to the config's directory: return
        them resolved (``ctx.resolve(path, from_config=True)``).
        """
        return None

    def route(self, ctx: Context[ConfigT], location: str) -> StoreBase[Any]:
        """The store that serves ``location`` (default: this one).

        A store whose locations come in kinds (Encore: the CLI or a
        ``.cue`` file) returns the store of that kind.
        """
        return self

    def normalise_location(self, ctx: Context[ConfigT], location: str) -> str:
        """A canonical name of the place, to tell that source and target are one place.

        Two stores that reach the same place give the same name (file stores:
        ``file:`` and the real path); the default is ``ID:LOCATION``.
        """
        return f"{self.id}:{location}"

    def shown_location(self, ctx: Context[ConfigT], location: str) -> str:
        """``location`` as reports (``--json``) name it: as written by default; a file
        store shows the absolute path, whether the location was given or a default."""
        return location

    def check_values(
        self, ctx: Context[ConfigT], location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        """Keys this store cannot hold faithfully, each with the reason (never the value).

        Called before anything is written (and in a dry run): a refusal
        stops the sync with exit 1 and nothing sent.
        """
        return {}

    def existing_keys(
        self, ctx: Context[ConfigT], location: str, keys: Collection[str]
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
        self, ctx: Context[ConfigT], location: str, keys: Collection[str]
    ) -> Collection[str]:
        """For write-only stores that list their keys (``lists_keys = True``): those at
        ``location`` not in ``keys``.

        ``keys`` are the source's; the store says what "the same key" means
        (GitHub: case-insensitively).  It lets ``--prune`` plan removals on a
        store that cannot be read; the keys returned are what :meth:`delete`
        is given.  Called once per sync with ``--prune``.
        """
        raise NotImplementedError(f"store {self.id!r} cannot list its keys")

    def record_location(self, ctx: Context[ConfigT], location: str) -> str:
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
        self, ctx: Context[ConfigT], location: str, *, dry_run: bool
    ) -> Iterator[StoreSession[ConfigT]]:
        """One read-plan-write of ``location`` during one sync; holds that sync's state.

        Opens a :attr:`session_class` and closes it when the sync ends.  The
        default session reads and writes through the methods above, one call
        each; a store with per-sync state (a connection, the version read)
        sets ``session_class`` to its own :class:`StoreSession`, and one that
        must hold something around the whole sync (a file lock) overrides this.
        """
        session: StoreSession[ConfigT] = self.session_class(self, ctx, location)
        try:
            yield session
        finally:
            session.close()

    def config_for(self, ctx: Context[Any], given: Any = None) -> ConfigT:
        """The store's typed config; the one place it is made.

        ``given`` (an instance, or a raw mapping from ``SyncOptions.config``,
        structured by the core's strict converter), else the store's section
        of ``stagecraft.yml`` (``ctx.configs``, which keeps file and line
        for errors), else the ``Config`` defaults.  A store without a
        ``Config`` class gets its section as it is (or None).
        """
        config = given
        if config is None and ctx.configs is not None:
            config = ctx.configs(self)
        config_class = self.Config
        if config_class is None or isinstance(config, config_class):
            typed: ConfigT = config
            return typed
        if config is None:  # the defaults: no converter needed
            defaults: ConfigT = config_class()
            return defaults
        # Raw options handed over in code (SyncOptions(config={...})): a rare path, and
        # cattrs is not imported by a sync that has none.
        from stagecraft.config.converter import structure_plain

        structured: ConfigT = structure_plain(config, config_class, self.id)
        return structured

    def config_of(self, ctx: Context[ConfigT]) -> ConfigT:
        """``ctx.config``, or :meth:`config_for` when a store is called outside the engine.

        The engine always gives a store a context holding its config; a test
        or script calling ``read`` with a bare :class:`Context` gets the defaults.
        """
        if ctx.config is None:
            return self.config_for(ctx)
        return ctx.config

    @property
    def can_prune(self) -> bool:
        """True when ``--prune`` can plan: the store deletes, and is read or lists its keys."""
        return self.can_delete and (self.readable or self.lists_keys)
