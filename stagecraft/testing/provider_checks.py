"""The checks every provider must pass, however it syncs: the shared base of the contract suite.

A provider is anything the registry holds (``id`` and ``sync(ctx, opts)``).
Whether it is a :class:`~stagecraft.store.SecretStore` run by the engine or a
raw provider that does the whole job itself, it must

* be a :class:`~stagecraft.providers.secrets.SecretsProvider` the registry
  holds under a stable, non-empty id without surrounding spaces;
* return a :class:`~stagecraft.providers.secrets.SyncResult` from ``sync``;
* keep values out of its results, reprs, errors, logs and output.

:class:`ProviderChecks` holds exactly these.  Nobody subclasses it directly:
a store author subclasses :class:`~stagecraft.testing.StoreContract` (these
checks plus the store checks), a raw provider's author
:class:`~stagecraft.testing.ProviderContract` (these checks plus the
behaviour of a whole sync seen from outside).  Failure messages name keys,
never values: PYTEST_DONT_REWRITE.
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
    Context,
    MissingKeysError,
    Registry,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)

__all__ = ["CANARY_VALUES", "MISSING_KEY", "TRICKY_VALUES", "ProviderChecks"]

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


class ProviderChecks:
    """The checks every provider must pass (see the module docstring).

    The base classes are not collected (``__test__ = False``).  A subclass
    is collected when its name starts with ``Test``, so an intermediate base
    such as ``MyProviderContract`` (shared by several test classes) is not
    run on its own; setting ``__test__`` overrides this.
    """

    __test__: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__test__" not in vars(cls):
            cls.__test__ = cls.__name__.startswith("Test")

    # -- what the suite needs (StoreContract supplies these from the store) ------------

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

    def make_config(self, tmp_path: Path) -> Any:
        """``SyncOptions.config`` for the provider (default None: its defaults)."""
        return None

    def make_context(self, tmp_path: Path) -> Context:
        """The :class:`Context` syncs run in."""
        return Context(cwd=tmp_path)

    def provider_context(self, tmp_path: Path, provider: SecretsProvider) -> Context:
        """The context ``provider`` syncs in (a store's holds it in its registry)."""
        return self.make_context(tmp_path)

    # -- helpers ---------------------------------------------------------------------

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
        provider = self.make_provider()
        result = provider.sync(self.provider_context(tmp_path, provider), options)
        assert isinstance(result, SyncResult), (
            f"sync() returned {type(result).__name__}, not SyncResult"
        )
        return result

    # -- the checks ------------------------------------------------------------------

    def test_id_is_a_stable_non_empty_string(self) -> None:
        first, second = self.make_provider(), self.make_provider()
        assert isinstance(first, SecretsProvider), "the provider needs `id` and `sync(ctx, opts)`"
        assert isinstance(first.id, str), f"id is {type(first.id).__name__}, not str"
        assert first.id.strip(), "the provider id is empty"
        assert first.id == first.id.strip(), "the id must not have surrounding spaces"
        assert first.id == second.id, "two instances of the provider have different ids"
        assert Registry([first]).get(first.id) is first, "the registry does not hold it"

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
        context = self.provider_context(tmp_path, provider)
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
