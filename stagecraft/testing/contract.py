"""The provider contract: the behaviour every secrets provider must show.

A plugin author runs it against their provider by subclassing
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

pytest then collects every ``test_*`` method below for ``TestMyProvider``.
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

import logging
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

from stagecraft.providers.secrets import (
    Action,
    Change,
    Context,
    MissingKeysError,
    Registry,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)

#: Distinctive values a provider must never print, log, raise or repr.
CANARY_VALUES: Mapping[str, str] = {
    "CONTRACT_ALPHA": "canary-alpha-7Qz1-do-not-leak",
    "CONTRACT_BRAVO": "canary-bravo-9Xk4-do-not-leak",
    "CONTRACT_CHARLIE": "canary-charlie-2Mw8-do-not-leak",
}

#: Values that break naive quoting or encoding; each must arrive exactly.
TRICKY_VALUES: Mapping[str, str] = {
    "TRICKY_MULTILINE": "first line\nsecond line",
    "TRICKY_PEM": "-----BEGIN TEST KEY-----\nMIIBOgIBAAJBAK\n-----END TEST KEY-----\n",
    "TRICKY_TRAILING_NEWLINE": "ends with a newline\n",
    "TRICKY_DOUBLE_QUOTES": 'say "hello"',
    "TRICKY_SINGLE_QUOTES": "it's here",
    "TRICKY_BOTH_QUOTES": "'single' and \"double\"",
    "TRICKY_UNICODE": "caf\u00e9 \u2615 \u65e5\u672c \U0001f511",
    "TRICKY_EMPTY": "",
    "TRICKY_HASH": "pa#ss # not a comment",
    "TRICKY_DOLLAR": "costs $5, see $HOME",
    "TRICKY_DOLLAR_BRACE": "${NOT_EXPANDED}",
    "TRICKY_EQUALS": "a=b==c=",
    "TRICKY_BACKSLASHES": "C:\\new\\table \\n",
    "TRICKY_SPACES": "  padded on both sides  ",
    "TRICKY_TAB": "before\tafter",
}

#: A key no test source ever holds.
MISSING_KEY = "CONTRACT_NOT_IN_SOURCE"


class ProviderContract:
    """Subclass as ``Test<Something>`` to run the contract against a provider.

    The base class itself is not collected (``__test__ = False``).  A
    subclass is collected when its name starts with ``Test``, so an
    intermediate base such as ``MyProviderContract`` (shared by several
    test classes) is not run on its own; setting ``__test__`` overrides this.
    """

    __test__: ClassVar[bool] = False

    tricky_values: ClassVar[Mapping[str, str]] = TRICKY_VALUES
    reports_unchanged: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__test__" not in vars(cls):
            cls.__test__ = cls.__name__.startswith("Test")

    # -- what the author supplies ------------------------------------------------

    def make_provider(self) -> SecretsProvider:
        """A fresh provider instance."""
        raise NotImplementedError(f"{type(self).__name__} must define make_provider(self)")

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        """Make the source hold exactly ``values``; return ``SyncOptions.source``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define seed_source(self, tmp_path, values)"
        )

    def make_target(self, tmp_path: Path) -> str:
        """Return ``SyncOptions.target`` naming an empty or missing target."""
        raise NotImplementedError(f"{type(self).__name__} must define make_target(self, tmp_path)")

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        """Everything the target holds now, ``{}`` when it holds nothing."""
        raise NotImplementedError(
            f"{type(self).__name__} must define read_target(self, tmp_path, target)"
        )

    def make_config(self, tmp_path: Path) -> Any:
        """``SyncOptions.config`` for the provider (default None: its defaults)."""
        return None

    def make_context(self, tmp_path: Path) -> Context:
        """The :class:`Context` syncs run in."""
        return Context(cwd=tmp_path)

    # -- helpers -------------------------------------------------------------------

    def contract_sync(
        self,
        tmp_path: Path,
        source: str,
        target: str,
        *,
        keys: Iterable[str] = (),
        dry_run: bool = False,
    ) -> SyncResult:
        """Run one sync with a fresh provider and context; check it returns a SyncResult."""
        options = SyncOptions(
            config=self.make_config(tmp_path),
            source=source,
            target=target,
            keys=tuple(keys),
            dry_run=dry_run,
        )
        result = self.make_provider().sync(self.make_context(tmp_path), options)
        assert isinstance(result, SyncResult), (
            f"sync() returned {type(result).__name__}, not SyncResult"
        )
        return result

    # -- the contract ----------------------------------------------------------------

    def test_id_is_a_stable_non_empty_string(self) -> None:
        first, second = self.make_provider(), self.make_provider()
        assert isinstance(first, SecretsProvider), "the provider needs `id` and `sync(ctx, opts)`"
        assert isinstance(first.id, str), f"id is {type(first.id).__name__}, not str"
        assert first.id.strip(), "the provider id is empty"
        assert first.id == second.id, "two instances of the provider have different ids"
        assert Registry([first]).get(first.id) is first

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

    def test_results_carry_no_values(self, tmp_path: Path) -> None:
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        results = [
            self.contract_sync(tmp_path, source, target, dry_run=True),
            self.contract_sync(tmp_path, source, target),
            self.contract_sync(tmp_path, source, target),
        ]
        for result in results:
            _assert_no_values(repr(result), "repr(SyncResult)")
            _assert_no_values(str(result), "str(SyncResult)")
            _assert_no_values(repr(attrs.asdict(result)), "the fields of SyncResult")
            for change in result.changes:
                _assert_no_values(repr(change), "repr(Change)")
                _assert_no_values(str(change), "str(Change)")
                _assert_no_values(repr(attrs.asdict(change)), "the fields of Change")

    def test_no_value_leaks_into_logs_reprs_or_errors(
        self,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        caplog.set_level(logging.DEBUG)
        provider = self.make_provider()
        context = self.make_context(tmp_path)
        source = self.seed_source(tmp_path, CANARY_VALUES)
        target = self.make_target(tmp_path)
        options = SyncOptions(config=self.make_config(tmp_path), source=source, target=target)
        for dry_run in (True, False, False):
            result = provider.sync(context, attrs.evolve(options, dry_run=dry_run))
            _assert_no_values(repr(result), "repr(SyncResult)")
        with pytest.raises(MissingKeysError) as info:
            provider.sync(context, attrs.evolve(options, keys=("CONTRACT_ALPHA", MISSING_KEY)))
        _assert_no_values(_describe_exception(info.value), "the MissingKeysError")
        _assert_no_values(repr(provider), "repr(provider)")
        _assert_no_values(repr(options), "repr(SyncOptions)")
        _assert_no_values(repr(context), "repr(Context)")
        records = "\n".join(
            f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
        )
        _assert_no_values(caplog.text + records, "the captured log")
        captured = capsys.readouterr()
        _assert_no_values(captured.out, "stdout")
        _assert_no_values(captured.err, "stderr")

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


def _describe_exception(exc: BaseException) -> str:
    """Everything a user could be shown about ``exc``: message, repr, args and its chain."""
    parts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def _assert_no_values(text: str, where: str) -> None:
    """Fail, naming the key (never the value), if a canary value is in ``text``."""
    leaked = sorted(key for key, value in CANARY_VALUES.items() if value in text)
    if leaked:
        pytest.fail(f"the value of {', '.join(leaked)} appears in {where}", pytrace=False)
