"""The store contract: what every :class:`~stagecraft.SecretStore` must do with the engine.

Subclass :class:`StoreContract` in a test module and say how to make the
store and a fresh, empty location in it::

    from stagecraft.testing import StoreContract

    class TestDirStore(StoreContract):
        def make_store(self):
            return DirStore()

        def make_location(self, tmp_path):
            return str(tmp_path / "secrets")

pytest then runs against it, through the real engine, the checks every
provider must pass (:mod:`stagecraft.testing.provider_checks`: registry
membership, id rules, the result type, no values in results, reprs,
errors, logs or output) and the store checks on top: round trips of
awkward values, plans that match the sync, dry runs, writes of changed
keys only, ``--prune``, a location that does not exist
(:class:`~stagecraft.store.NoSuchLocationError`), and the failure paths -- a key
failing mid-sync, a failing batch, cancellation, a store error that echoes a
value (whole or cut short), a store that prints a value on the command
line (:mod:`~stagecraft.testing.store_command_line`), the modes of the files
it creates (:mod:`~stagecraft.testing.store_files`), a write that
lands and then times out (reported unknown, never "not written").

Override :meth:`StoreContract.read_back` for a write-only store (it cannot
be read, so say how the test sees what it holds), ``config`` for a typed
config other than the defaults, and ``tricky_values`` to leave out values
the store honestly refuses.  Checks name keys, never values:
PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

from stagecraft.engine import InterruptedSyncError
from stagecraft.errors import ProviderError, UserError
from stagecraft.providers.secrets import (
    Context,
    PartialSyncError,
    Registry,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)
from stagecraft.redact import Structural
from stagecraft.store import NoSuchLocationError, OutcomeUnknownError, SecretStore, StoreSession
from stagecraft.testing.envfiles import write_env_file
from stagecraft.testing.provider_checks import CANARY_VALUES, TRICKY_VALUES, ProviderChecks
from stagecraft.testing.store_command_line import CommandLineChecks
from stagecraft.testing.store_doubles import InterceptedSession, MemoryStore
from stagecraft.testing.store_files import CONTRACT_SOURCE, CreatedFileModes

__all__ = ["StoreContract"]


class StoreContract(ProviderChecks, CreatedFileModes, CommandLineChecks):
    """Checks every store must pass; subclass it as ``Test...`` (see the module docstring).

    They are the checks of every provider (:class:`ProviderChecks`: registry
    membership, id rules, the result type, no values in results, reprs,
    errors, logs or output), run against the store through the engine, and
    the store checks below and in the mixed-in classes on top.
    """

    #: Awkward values that must arrive byte for byte.
    tricky_values: ClassVar[Mapping[str, str]] = TRICKY_VALUES
    #: The store's config (None: its ``Config`` defaults).
    config: ClassVar[Any] = None

    # -- what a subclass provides ------------------------------------------------

    def make_store(self) -> SecretStore:
        raise NotImplementedError("StoreContract subclasses implement make_store()")

    def make_location(self, tmp_path: Path) -> str:
        """A location in the store that exists for this test only and is empty."""
        raise NotImplementedError("StoreContract subclasses implement make_location(tmp_path)")

    def read_back(self, store: SecretStore, ctx: Context, location: str) -> Mapping[str, str]:
        """What ``location`` holds now, nothing if it does not exist (write-only stores
        override this)."""
        config = store.config_for(ctx, self.config)
        routed_ctx = ctx.for_store(config)
        try:
            return dict(store.route(routed_ctx, location).read(routed_ctx, location, None))
        except NoSuchLocationError:
            return {}

    # -- ProviderChecks' hooks, answered from the store ------------------------------

    def make_provider(self) -> SecretStore:
        return self.make_store()

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        write_env_file(tmp_path / CONTRACT_SOURCE, values)
        return CONTRACT_SOURCE

    def make_target(self, tmp_path: Path) -> str:
        return self.make_location(tmp_path)

    def make_config(self, tmp_path: Path) -> Any:
        return self.config

    def provider_context(self, tmp_path: Path, provider: SecretsProvider) -> Context:
        assert isinstance(provider, SecretStore), "make_store() must return a SecretStore"
        return self.context(tmp_path, provider)

    # -- helpers ------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _private_state(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The write record of write-only stores (and its key) go to the test's directory."""
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))

    @pytest.fixture
    def store(self) -> SecretStore:
        return self.make_store()

    @pytest.fixture
    def location(self, tmp_path: Path) -> str:
        return self.make_location(tmp_path)

    def context(self, tmp_path: Path, store: SecretStore) -> Context:
        return Context(cwd=tmp_path, logger=logging.getLogger("stagecraft.contract"),
                       registry=Registry([store]))

    def sync(
        self, tmp_path: Path, store: SecretStore, location: str, values: Mapping[str, str],
        ctx: Context | None = None, **options: Any,
    ) -> SyncResult:
        source = self.seed_source(tmp_path, values)
        ctx = ctx or self.context(tmp_path, store)
        opts = SyncOptions(config=self.config, source=source, target=location, **options)
        return store.sync(ctx, opts)

    def readable(self, store: SecretStore, tmp_path: Path, location: str) -> bool:
        ctx = self.context(tmp_path, store)
        return store.route(ctx.for_store(store.config_for(ctx, self.config)), location).readable

    @contextlib.contextmanager
    def intercepted(
        self, store: SecretStore, location: str, tmp_path: Path,
        before_write: Callable[[list[str]], None],
        after_write: Callable[[list[str]], None] | None = None,
    ) -> Iterator[None]:
        """Call ``before_write(keys)`` before each write the engine makes through a session
        (and ``after_write(keys)`` once it returned).

        The engine writes only through :meth:`SecretStore.session`, so this
        reaches every store, whatever its session does underneath.
        """
        ctx = self.context(tmp_path, store)
        routed = store.route(ctx.for_store(store.config_for(ctx, self.config)), location)
        opened = routed.session

        @contextlib.contextmanager
        def session(ctx: Context, location: str, *, dry_run: bool) -> Iterator[StoreSession]:
            with opened(ctx, location, dry_run=dry_run) as inner:
                yield InterceptedSession(inner, before_write, after_write)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(routed, "session", session)
            patch.setattr(store, "route", lambda ctx, location: routed)
            yield

    def failing(
        self, store: SecretStore, location: str, tmp_path: Path, key: str, message: str,
        *, cancel: Context | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        """Make writing ``key`` fail with ``message`` (or cancel ``cancel`` after a first write)."""
        written: list[list[str]] = []

        def before_write(keys: list[str]) -> None:
            if cancel is not None:
                if written:
                    cancel.cancel()
                written.append(keys)
            elif key in keys:
                raise ProviderError(message)

        return self.intercepted(store, location, tmp_path, before_write)

    # -- the checks ----------------------------------------------------------------

    def test_is_a_provider_in_the_registry(self, store: SecretStore) -> None:
        assert isinstance(store, SecretsProvider), "a SecretStore must be a SecretsProvider"
        assert Registry([store]).get(store.id) is store, "the registry does not hold the store"
        assert store.concurrency >= 1, "concurrency must be at least 1"

    def test_round_trip_of_awkward_values(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        values = {**CANARY_VALUES, **self.tricky_values}
        result = self.sync(tmp_path, store, location, values)
        assert set(result.added) | set(result.updated) == set(values), "not every key synced"
        back = self.read_back(store, self.context(tmp_path, store), location)
        wrong = sorted(key for key in values if back.get(key) != values[key])
        assert not wrong, f"these keys did not arrive exactly: {wrong}"

    def test_second_sync_writes_nothing_new(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        self.sync(tmp_path, store, location, CANARY_VALUES)
        again = self.sync(tmp_path, store, location, CANARY_VALUES)
        if self.readable(store, tmp_path, location):
            assert set(again.unchanged) == set(CANARY_VALUES), "a repeated sync changed keys"
        assert self.read_back(store, self.context(tmp_path, store), location) == CANARY_VALUES

    def test_dry_run_writes_nothing_and_plans_the_sync(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        first = dict(list(CANARY_VALUES.items())[:2])
        self.sync(tmp_path, store, location, first)
        before = self.read_back(store, self.context(tmp_path, store), location)
        changed = {**first, "CONTRACT_ALPHA": "changed-canary-5Tn2", **CANARY_VALUES}
        changed["CONTRACT_ALPHA"] = "changed-canary-5Tn2"
        plan = self.sync(tmp_path, store, location, changed, dry_run=True)
        assert self.read_back(store, self.context(tmp_path, store), location) == before, (
            "a dry run changed the store"
        )
        done = self.sync(tmp_path, store, location, changed)
        assert plan.changes == done.changes, "the dry run's plan differs from what the sync did"
        if self.readable(store, tmp_path, location):
            assert plan.added == ("CONTRACT_CHARLIE",), "plan: wrong added keys"
            assert plan.updated == ("CONTRACT_ALPHA",), "plan: wrong updated keys"
            assert plan.unchanged == ("CONTRACT_BRAVO",), "plan: wrong unchanged keys"

    def test_only_selected_keys_are_written(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        result = self.sync(tmp_path, store, location, CANARY_VALUES, keys=("CONTRACT_B*",))
        assert [change.key for change in result.changes] == ["CONTRACT_BRAVO"]
        back = self.read_back(store, self.context(tmp_path, store), location)
        assert set(back) == {"CONTRACT_BRAVO"}, "keys outside the selection were written"

    def test_prune_removes_only_what_the_source_lacks(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        routed_can_delete = store.route(
            self.context(tmp_path, store).for_store(
                store.config_for(self.context(tmp_path, store), self.config)), location
        ).can_delete
        self.sync(tmp_path, store, location, CANARY_VALUES)
        smaller = dict(list(CANARY_VALUES.items())[1:])
        if not routed_can_delete:
            with pytest.raises(Exception, match="--prune"):
                self.sync(tmp_path, store, location, smaller, prune=True)
            return
        result = self.sync(tmp_path, store, location, smaller, prune=True)
        assert result.removed == ("CONTRACT_ALPHA",), "prune removed the wrong keys"
        back = self.read_back(store, self.context(tmp_path, store), location)
        assert back == smaller, "after --prune the store does not hold exactly the source"

    def test_a_location_that_does_not_exist(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        """Reading it raises NoSuchLocationError, not an empty read: as a source it stops the
        sync (even with --prune) naming it, before anything is written; as a target it is
        created."""
        ctx = self.context(tmp_path, store)
        routed_ctx = ctx.for_store(store.config_for(ctx, self.config))
        if self.readable(store, tmp_path, location):
            with pytest.raises(NoSuchLocationError):
                store.route(routed_ctx, location).read(routed_ctx, location, None)
            target = MemoryStore(CANARY_VALUES)
            ctx = attrs.evolve(ctx, registry=Registry([store, target]),
                               configs=lambda provider: self.config if provider is store else None)
            with pytest.raises(UserError) as info:
                target.sync(ctx, SyncOptions(source=f"{store.id}:{location}", target="t",
                                             prune=True))
            # A file is shown by its absolute path, so the location's last part is what
            # every store's message holds.
            assert f"{store.id}:" in str(info.value), "the error does not name the store"
            assert Path(location).name in str(info.value), "the error does not name it"
            assert "does not exist" in str(info.value), "the error does not say what is wrong"
            assert target.values == CANARY_VALUES, "the target changed"
        result = self.sync(tmp_path, store, location, CANARY_VALUES)
        assert set(result.added) == set(CANARY_VALUES), "a new target is not created"

    def test_a_failing_key_is_named_and_nothing_is_half_done(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        with (
            self.failing(store, location, tmp_path, "CONTRACT_BRAVO", "the store said no"),
            pytest.raises(PartialSyncError) as info,
        ):
            self.sync(tmp_path, store, location, CANARY_VALUES)
        error = info.value
        assert "CONTRACT_BRAVO" in error.failed, "the failing key is not named"
        back = self.read_back(store, self.context(tmp_path, store), location)
        written = {change.key for change in error.result.changes}
        assert set(back) == written, "the store holds other keys than the result says"
        assert all(back[key] == CANARY_VALUES[key] for key in written), "a written value is wrong"
        assert set(error.failed) | written == set(CANARY_VALUES), "a key is neither done nor failed"

    def test_a_value_echoed_in_a_store_error_is_masked(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        value = CANARY_VALUES["CONTRACT_BRAVO"]
        message = f"rejected {value!r} (first bytes {value[:16]!r})"
        with (
            self.failing(store, location, tmp_path, "CONTRACT_BRAVO", message),
            pytest.raises(PartialSyncError) as info,
        ):
            self.sync(tmp_path, store, location, CANARY_VALUES)
        text = str(info.value) + " ".join(info.value.failed.values())
        assert value not in text, "a store error's value reached the sync's error"
        assert value[:16] not in text, "a value cut short reached the sync's error"

    def test_cancellation_stops_new_writes(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        ctx = self.context(tmp_path, store)
        config = store.config_for(ctx, self.config)
        width = getattr(config, "concurrency", None) or store.concurrency
        count = max(6, 3 * width)
        values = {f"CONTRACT_K{i:02d}": f"cancel-canary-{i:02d}-Wq3" for i in range(count)}
        error: InterruptedSyncError | None = None
        with self.failing(store, location, tmp_path, "", "", cancel=ctx):
            try:
                self.sync(tmp_path, store, location, values, ctx=ctx)
            except InterruptedSyncError as exc:
                error = exc
        if error is None:  # one batch wrote every key: interrupt the next sync instead
            ctx.cancel()
            with pytest.raises(InterruptedSyncError) as info:
                self.sync(tmp_path, store, location, {**values, "CONTRACT_LATE": "late-Wq3"},
                          ctx=ctx)
            error = info.value
        written = {change.key for change in error.result.changes}
        back = self.read_back(store, self.context(tmp_path, store), location)
        assert "CONTRACT_LATE" not in back, "a write started after the cancellation"
        routed = store.route(ctx.for_store(config), location)
        if routed.writes_one_by_one:
            assert len(written) < count, (
                "every key was written although the sync was cancelled after the first"
            )
        else:
            assert written in (set(), set(values)), "a batch write was applied in part"
        assert all(back.get(key) == values.get(key) for key in written), (
            "the result lists keys the store does not hold"
        )
        assert not set(error.failed) & set(back), "a key reported as not written is in the store"

    def test_a_write_that_lands_then_times_out_is_reported_unknown(
        self, store: SecretStore, location: str, tmp_path: Path
    ) -> None:
        """Sent, applied, and no answer in time: "may or may not have been written"."""

        def no_answer(keys: list[str]) -> None:
            raise OutcomeUnknownError(Structural("no answer within the timeout (contract)"))

        with (
            self.intercepted(store, location, tmp_path, lambda keys: None, no_answer),
            pytest.raises(PartialSyncError) as info,
        ):
            self.sync(tmp_path, store, location, CANARY_VALUES)
        error = info.value
        assert not error.failed, f"keys that may have landed reported not written: {error.failed}"
        assert set(getattr(error, "unknown", {})) == set(CANARY_VALUES), (
            "the keys whose write timed out are not reported unknown"
        )
        assert not error.result.changes, "a key whose outcome is unknown is listed as synced"
        assert all(reason.startswith("may or may not have been written")
                   for reason in error.unknown.values()), "an unknown key's reason says otherwise"
        # A file store renders when its session ends, so its write did not land here.
        back = self.read_back(store, self.context(tmp_path, store), location)
        assert set(back) <= set(CANARY_VALUES), "the store holds keys that were not sent"
        assert all(back[key] == CANARY_VALUES[key] for key in back), "a value is not as sent"

    def test_no_value_in_the_store_repr(self, store: SecretStore, location: str,
                                        tmp_path: Path) -> None:
        self.sync(tmp_path, store, location, CANARY_VALUES)
        text = repr(store) + repr(self.make_store())
        assert not any(value in text for value in CANARY_VALUES.values()), "a value in a repr"
