"""secrets_sync through the plugin manager: core plugin, wrappers, tracing, listing."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

import stagecraft
from stagecraft.errors import CancelledError, ProviderError
from stagecraft.plugins import (
    CORE_PLUGIN,
    Kind,
    PluginManager,
    PluginSettings,
    Status,
    load_plugin_manager,
)
from stagecraft.providers.secrets import (
    Context,
    InvalidProviderError,
    SyncOptions,
    SyncResult,
)

CANARY = "canary-value-5d1c0b9e"


class Provider:
    id = "fake"

    def __init__(self, result: object = None, error: Exception | None = None) -> None:
        self.result = SyncResult.from_actions([("KEY", "added")]) if result is None else result
        self.error = error
        self.calls = 0

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


def _sync(manager: PluginManager, provider: Provider, ctx: Context | None = None) -> SyncResult:
    result: SyncResult = manager.hook.secrets_sync(
        provider=provider, ctx=ctx or Context(), options=SyncOptions()
    )
    return result


def test_core_plugin_calls_the_provider() -> None:
    provider = Provider()
    assert _sync(PluginManager(), provider).added == ("KEY",)
    assert provider.calls == 1


def test_core_plugin_rejects_a_result_that_is_not_a_sync_result() -> None:
    provider = Provider(result={"KEY": CANARY})
    with pytest.raises(InvalidProviderError) as info:
        _sync(PluginManager(), provider)
    assert str(info.value) == "provider 'fake' returned dict from sync(), not SyncResult"
    assert CANARY not in str(info.value)


def test_core_plugin_checks_cancellation_before_calling() -> None:
    provider = Provider()
    ctx = Context()
    ctx.cancel()
    with pytest.raises(CancelledError):
        _sync(PluginManager(), provider, ctx)
    assert provider.calls == 0


class Audit:
    def __init__(self) -> None:
        self.seen: list[object] = []

    @stagecraft.hookimpl(wrapper=True)
    def secrets_sync(
        self, provider: Provider, ctx: Context, options: SyncOptions
    ) -> Generator[None, SyncResult, SyncResult]:
        try:
            result = yield
        except Exception as exc:
            self.seen.append(exc)
            raise
        self.seen.append(result)
        return result


class Rewrite:
    @stagecraft.hookimpl(wrapper=True)
    def secrets_sync(
        self, provider: Provider, ctx: Context, options: SyncOptions
    ) -> Generator[None, SyncResult, SyncResult]:
        result = yield
        return SyncResult.from_actions([*((c.key, c.action) for c in result.changes),
                                        ("AUDITED", "unchanged")])


class Translate:
    @stagecraft.hookimpl(wrapper=True)
    def secrets_sync(
        self, provider: Provider, ctx: Context, options: SyncOptions
    ) -> Generator[None, SyncResult, SyncResult]:
        try:
            return (yield)
        except KeyError as exc:
            raise ProviderError(f"{provider.id}: key {exc} missing") from None


def test_wrapper_sees_the_result() -> None:
    manager = PluginManager()
    audit = Audit()
    manager.register(audit, name="audit")
    result = _sync(manager, Provider())
    assert audit.seen == [result]


def test_wrapper_sees_the_exception() -> None:
    manager = PluginManager()
    audit = Audit()
    manager.register(audit, name="audit")
    error = RuntimeError("store down")
    with pytest.raises(RuntimeError, match="store down"):
        _sync(manager, Provider(error=error))
    assert audit.seen == [error]


def test_wrapper_can_alter_the_result() -> None:
    manager = PluginManager()
    manager.register(Rewrite(), name="rewrite")
    result = _sync(manager, Provider())
    assert [(c.key, str(c.action)) for c in result.changes] == [
        ("KEY", "added"),
        ("AUDITED", "unchanged"),
    ]


def test_wrapper_can_translate_the_exception() -> None:
    manager = PluginManager()
    manager.register(Translate(), name="translate")
    with pytest.raises(ProviderError, match=r"^fake: key 'X' missing$"):
        _sync(manager, Provider(error=KeyError("X")))


def test_wrapper_sees_the_core_validation_error() -> None:
    manager = PluginManager()
    audit = Audit()
    manager.register(audit, name="audit")
    with pytest.raises(InvalidProviderError):
        _sync(manager, Provider(result="nope"))
    assert isinstance(audit.seen[0], InvalidProviderError)


def test_an_ordinary_impl_returning_a_result_replaces_the_provider_call() -> None:
    class Stub:
        @stagecraft.hookimpl
        def secrets_sync(self, provider: Provider) -> SyncResult:
            return SyncResult.from_actions([("STUB", "unchanged")])

    manager = PluginManager()
    manager.register(Stub(), name="stub")
    provider = Provider()
    assert _sync(manager, provider).unchanged == ("STUB",)
    assert provider.calls == 0


# ------------------------------------------------------------------- tracing


def test_tracing_prints_hook_and_plugin_names_never_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAGECRAFT_TRACE_PLUGINS", "1")
    manager = PluginManager()
    manager.register(Audit(), name="audit")
    ctx = Context()
    ctx.add_secrets([CANARY])
    failing = Provider(error=ProviderError(f"cannot reach store at {CANARY[:4]}"))
    failing.id = CANARY  # type: ignore[misc]
    manager.hook.secrets_sync(
        provider=Provider(), ctx=ctx,
        options=SyncOptions(config={"token": CANARY}, source=CANARY, target=CANARY),
    )
    with pytest.raises(ProviderError):
        manager.hook.secrets_sync(provider=failing, ctx=ctx, options=SyncOptions(source=CANARY))
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "stagecraft: trace: secrets_sync -> [core, audit]",
        "stagecraft: trace: secrets_sync <- ok",
        "stagecraft: trace: secrets_sync -> [core, audit]",
        "stagecraft: trace: secrets_sync <- raised ProviderError",
    ]
    assert CANARY not in err


def test_tracing_covers_building_the_registry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Contributes:
        @stagecraft.hookimpl
        def secrets_provider_register(self) -> Provider:
            return Provider()

    monkeypatch.setenv("STAGECRAFT_TRACE_PLUGINS", "1")
    manager = PluginManager()
    manager.register(Contributes(), name="contrib")
    manager.build_registry()
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "stagecraft: trace: secrets_provider_register -> [contrib]",
        "stagecraft: trace: secrets_provider_register <- ok",
    ]


@pytest.mark.parametrize("value", ["", "0"])
def test_tracing_is_off_unless_enabled(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAGECRAFT_TRACE_PLUGINS", value)
    _sync(PluginManager(), Provider())
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------- listing


def test_listing_reports_name_distribution_version_status_and_hooks(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "good.py").write_text(
        "import stagecraft\n"
        "@stagecraft.hookimpl(wrapper=True)\n"
        "def secrets_sync(provider, ctx, options):\n"
        "    return (yield)\n"
        "@stagecraft.hookimpl\n"
        "def secrets_provider_register():\n"
        "    return None\n"
    )
    (plugins / "off.py").write_text("raise RuntimeError('never imported')\n")
    (plugins / "bad.py").write_text("raise RuntimeError('broken')\n")
    settings = PluginSettings(allow=()).merge(dirs=[plugins], disable=["off"])
    manager = load_plugin_manager(settings, strict=False)
    listing = [
        (i.name, i.kind, i.status, i.hooks)
        for i in manager.list_plugins()
        if i.kind in (Kind.BUILTIN, Kind.LOCAL)
    ]
    assert listing == [
        (CORE_PLUGIN, Kind.BUILTIN, Status.ACTIVE, ("secrets_sync",)),
        ("exec", Kind.BUILTIN, Status.ACTIVE, ("secrets_provider_register",)),
        (f"local:{plugins / 'bad.py'}", Kind.LOCAL, Status.FAILED, ()),
        (f"local:{plugins / 'good.py'}", Kind.LOCAL, Status.ACTIVE,
         ("secrets_provider_register", "secrets_sync")),
        (f"local:{plugins / 'off.py'}", Kind.LOCAL, Status.DISABLED, ()),
    ]
    core = manager.info(CORE_PLUGIN)
    assert core is not None
    assert (core.distribution, core.version) == ("stagecraft", stagecraft.__version__)
    bad = manager.info(f"local:{plugins / 'bad.py'}")
    assert bad is not None
    assert bad.error is not None
    assert "RuntimeError at " in bad.error
    assert str(Status.FAILED) == "failed"
    assert str(Kind.ENTRY_POINT) == "entry point"
