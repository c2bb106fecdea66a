"""The hookspecs: pinned names and signatures, and docstring examples that really work."""

from __future__ import annotations

import inspect
import logging
import textwrap
import types

import pluggy
import pytest

import stagecraft
from stagecraft import hookspecs
from stagecraft.plugins import PluginManager
from stagecraft.providers.secrets import Context, SyncOptions, SyncResult


def _example(hook: object) -> types.ModuleType:
    """Run the code block after ``Example...::`` in the hook's docstring as a module."""
    doc = inspect.getdoc(hook)
    assert doc is not None
    _, _, after = doc.partition("::\n")
    assert after, "docstring has no example block"
    module = types.ModuleType(f"example_{getattr(hook, '__name__', 'hook')}")
    exec(compile(textwrap.dedent(after), module.__name__, "exec"), module.__dict__)  # noqa: S102
    return module


def test_marker_names_and_exports() -> None:
    assert hookspecs.PROJECT_NAME == "stagecraft"
    assert stagecraft.hookimpl is hookspecs.hookimpl
    assert isinstance(stagecraft.hookimpl, pluggy.HookimplMarker)
    assert stagecraft.hookimpl.project_name == "stagecraft"


def test_pinned_signatures() -> None:
    manager = PluginManager()
    register = manager.hook.secrets_provider_register
    sync = manager.hook.secrets_sync
    assert register.spec is not None
    assert sync.spec is not None
    assert register.spec.argnames == ()
    assert sync.spec.argnames == ("provider", "ctx", "options")
    assert sync.spec.opts["firstresult"] is True
    assert register.spec.opts["firstresult"] is False


def test_register_example_contributes_a_working_provider() -> None:
    module = _example(hookspecs.secrets_provider_register)
    manager = PluginManager()
    manager.register(module, name="example")
    registry = manager.build_registry()
    assert registry.ids() == ("null",)
    result = manager.hook.secrets_sync(
        provider=registry.get("null"), ctx=Context(), options=SyncOptions()
    )
    assert result == SyncResult()


def test_sync_example_wrapper_logs_changed_keys(caplog: pytest.LogCaptureFixture) -> None:
    module = _example(hookspecs.secrets_sync)

    class Provider:
        id = "demo"

        def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
            return SyncResult.from_actions([("A", "added"), ("B", "unchanged"), ("C", "removed")])

    manager = PluginManager()
    manager.register(module, name="example")
    with caplog.at_level(logging.INFO, logger="stagecraft"):
        result = manager.hook.secrets_sync(
            provider=Provider(), ctx=Context(), options=SyncOptions()
        )
    assert result.added == ("A",)
    assert [record.getMessage() for record in caplog.records] == ["demo changed A, C"]
