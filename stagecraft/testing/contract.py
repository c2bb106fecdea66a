"""The contract for a raw provider, one that implements ``sync`` itself.

The checks every provider must pass live in
:mod:`stagecraft.testing.provider_checks`; this suite adds the behaviour of
a whole sync seen from outside (a store's author uses
:class:`~stagecraft.testing.StoreContract` instead, which adds the store
checks to the same base).  A plugin author runs it against their provider by subclassing
:class:`ProviderContract` in a test module and saying how to make the
provider, seed a source and read back a target::

    from stagecraft.testing import ProviderContract

    class TestMyProvider(ProviderContract):
        def make_provider(self):
            return MyProvider()

        def seed_source(self, tmp_path, values):
            write_my_source(tmp_path / "source", values)
            return str(tmp_path / "source")

        def make_target(self, tmp_path):
            return str(tmp_path / "target")

        def read_target(self, tmp_path, target):
            return read_my_target(target)  # {} when there is nothing yet

pytest then collects every ``test_*`` method below and those of
:class:`~stagecraft.testing.provider_checks.ProviderChecks` for ``TestMyProvider``.
``seed_source`` may be called more than once in a test: each call replaces
the source's content.  Source and target must not share a path.

Two class attributes adapt the suite to stores with honest limits:

* ``tricky_values``: the awkward values that must arrive byte for byte;
  a provider that refuses some (say, trailing newlines) drops them here.
* ``reports_unchanged``: False for write-only stores that cannot tell
  whether a key already holds a value; a repeated sync must then still
  succeed and leave the target as it was, and a dry run's plan need only
  name the same keys as the sync that follows (not the same actions).

Failure messages name keys, never values (pytest's assert rewriting is off
for this module, see :mod:`stagecraft.testing`): PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from stagecraft.providers.secrets import (
    Action,
    Change,
    MissingKeysError,
    SyncResult,
)
from stagecraft.testing.provider_checks import (
    CANARY_VALUES,
    MISSING_KEY,
    TRICKY_VALUES,
    ProviderChecks,
)

__all__ = ["CANARY_VALUES", "TRICKY_VALUES", "ProviderContract"]


class ProviderContract(ProviderChecks):
    """The whole contract for a provider that implements ``sync`` itself.

    Every check of :class:`~stagecraft.testing.provider_checks.ProviderChecks`
    (registry membership, id rules, the result type, no values in results,
    reprs, errors, logs or output) plus what a whole sync does, seen from
    outside: every key or only the selected ones arriving, missing keys
    failing before anything is written, unchanged keys reported as such, dry
    runs planning the sync and writing nothing, awkward values arriving
    exactly.  Subclass it as ``Test<Something>`` (see the module docstring).
    """

    tricky_values: ClassVar[Mapping[str, str]] = TRICKY_VALUES
    reports_unchanged: ClassVar[bool] = True

    # -- what the author supplies besides ProviderChecks' hooks ----------------------

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        """Everything the target holds now, ``{}`` when it holds nothing."""
        raise NotImplementedError(
            f"{type(self).__name__} must define read_target(self, tmp_path, target)"
        )

    # -- the contract ----------------------------------------------------------------

    def test_syncs_every_key(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        result = self.contract_sync(tmp_path, source, target)
        _assert_holds(self.read_target(tmp_path, target), CANARY_VALUES, "the target")
        _assert_keys(result.changes, CANARY_VALUES, "the result")
        if self.reports_unchanged:
            _assert_keys(result.added, CANARY_VALUES, "the keys reported as added")
        assert result.changed, "a sync into an empty target reported no change"

    def test_syncs_only_selected_keys(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        chosen = ("CONTRACT_CHARLIE", "CONTRACT_ALPHA")
        result = self.contract_sync(tmp_path, source, target, keys=chosen)
        expected = {key: CANARY_VALUES[key] for key in chosen}
        _assert_holds(self.read_target(tmp_path, target), expected, "the target")
        _assert_keys(result.changes, chosen, "the result")

    def test_missing_key_fails_before_writing_to_an_empty_target(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        with pytest.raises(MissingKeysError) as info:
            self.contract_sync(tmp_path, source, target, keys=("CONTRACT_ALPHA", MISSING_KEY))
        assert MISSING_KEY in str(info.value), "the error does not name the missing key"
        assert info.value.keys == (MISSING_KEY,), f"the error lists {info.value.keys}"
        _assert_holds(self.read_target(tmp_path, target), {}, "the target after the error")

    def test_missing_key_leaves_an_existing_target_unchanged(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        self.contract_sync(tmp_path, source, target, keys=("CONTRACT_BRAVO",))
        before = self.read_target(tmp_path, target)
        changed = {**CANARY_VALUES, "CONTRACT_BRAVO": "canary-bravo-changed-do-not-leak"}
        source = self.seed_source(tmp_path, changed)
        with pytest.raises(MissingKeysError):
            self.contract_sync(tmp_path, source, target, keys=("CONTRACT_BRAVO", MISSING_KEY))
        _assert_holds(self.read_target(tmp_path, target), before, "the target after the error")

    def test_second_sync_reports_everything_unchanged(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        self.contract_sync(tmp_path, source, target)
        again = self.contract_sync(tmp_path, source, target)
        _assert_keys(again.changes, CANARY_VALUES, "the second result")
        if self.reports_unchanged:
            _assert_keys(again.unchanged, CANARY_VALUES, "the keys reported as unchanged")
            assert not again.changed, "the second sync reported a change"
        _assert_holds(self.read_target(tmp_path, target), CANARY_VALUES, "the target")

    def test_changed_source_reports_added_updated_unchanged(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, {k: CANARY_VALUES[k] for k in CANARY_VALUES
                                             if k != "CONTRACT_CHARLIE"})
        target = self.make_target(tmp_path)
        self.contract_sync(tmp_path, source, target)
        newer = {**CANARY_VALUES, "CONTRACT_BRAVO": "canary-bravo-rotated-do-not-leak"}
        source = self.seed_source(tmp_path, newer)
        result = self.contract_sync(tmp_path, source, target)
        _assert_holds(self.read_target(tmp_path, target), newer, "the target")
        if self.reports_unchanged:
            actions = {change.key: change.action.value for change in result.changes}
            expected = {
                "CONTRACT_ALPHA": Action.UNCHANGED.value,
                "CONTRACT_BRAVO": Action.UPDATED.value,
                "CONTRACT_CHARLIE": Action.ADDED.value,
            }
            assert actions == expected, f"reported {actions}, expected {expected}"

    def test_dry_run_writes_nothing_and_reports_the_plan(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        planned = self.contract_sync(tmp_path, source, target, dry_run=True)
        _assert_holds(self.read_target(tmp_path, target), {}, "the target after a dry run")
        done = self.contract_sync(tmp_path, source, target)
        _assert_same_plan(planned, done, exact=self.reports_unchanged)

    def test_dry_run_leaves_an_existing_target_alone(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, {"CONTRACT_ALPHA": CANARY_VALUES["CONTRACT_ALPHA"]})
        target = self.make_target(tmp_path)
        self.contract_sync(tmp_path, source, target)
        before = self.read_target(tmp_path, target)
        source = self.seed_source(tmp_path, {**CANARY_VALUES, "CONTRACT_ALPHA": "canary-new"})
        planned = self.contract_sync(tmp_path, source, target, dry_run=True)
        _assert_holds(self.read_target(tmp_path, target), before, "the target after a dry run")
        done = self.contract_sync(tmp_path, source, target)
        _assert_same_plan(planned, done, exact=self.reports_unchanged)

    def test_tricky_values_arrive_exactly(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, self.tricky_values)
        target = self.make_target(tmp_path)
        self.contract_sync(tmp_path, source, target)
        _assert_holds(self.read_target(tmp_path, target), self.tricky_values, "the target")


def _assert_holds(actual: Mapping[str, str], expected: Mapping[str, str], what: str) -> None:
    """Fail, naming keys (never values), unless ``actual`` equals ``expected``."""
    problems = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    wrong = sorted(key for key in expected if key in actual and actual[key] != expected[key])
    if missing:
        problems.append(f"lacks {', '.join(missing)}")
    if extra:
        problems.append(f"has unexpected {', '.join(extra)}")
    if wrong:
        problems.append(f"holds a different value for {', '.join(wrong)}")
    if problems:
        pytest.fail(f"{what} {'; '.join(problems)}", pytrace=False)


def _assert_keys(found: Iterable[Change | str], expected: Iterable[str], what: str) -> None:
    keys = sorted(item.key if isinstance(item, Change) else item for item in found)
    if keys != sorted(expected):
        pytest.fail(f"{what} names {keys}, expected {sorted(expected)}", pytrace=False)


def _assert_same_plan(planned: SyncResult, done: SyncResult, *, exact: bool) -> None:
    """The dry run's plan is what the sync then did (only its keys, when not ``exact``)."""

    def show(result: SyncResult) -> str:
        return ", ".join(f"{c.key}={c.action.value}" for c in result.changes) or "nothing"

    same = (
        planned.changes == done.changes
        if exact
        else [c.key for c in planned.changes] == [c.key for c in done.changes]
    )
    if not same:
        pytest.fail(
            f"the dry run planned {show(planned)} but the sync did {show(done)}", pytrace=False
        )
