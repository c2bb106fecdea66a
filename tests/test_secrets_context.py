"""Context: no-argument construction, cancellation, deadline, path resolution, redaction."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import attrs
import pytest

import stagecraft
from stagecraft.errors import CancelledError, ProviderError
from stagecraft.providers.secrets import Context
from stagecraft.redact import Redactor


def test_constructible_with_no_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ctx = Context()
    assert ctx.cwd == tmp_path
    assert ctx.config_dir == tmp_path
    assert ctx.deadline is None
    assert ctx.remaining() is None
    assert ctx.cancelled is False
    assert isinstance(ctx.logger, logging.Logger)
    assert ctx.logger.name == "stagecraft"
    assert isinstance(ctx.redactor, Redactor)
    ctx.check()  # neither cancelled nor late
    assert stagecraft.Context is Context


def test_each_context_has_its_own_redactor_and_cancel_flag() -> None:
    first, second = Context(), Context()
    first.cancel()
    first.add_secrets(["only-in-first"])
    assert second.cancelled is False
    assert len(second.redactor) == 0


def test_paths_are_converted(tmp_path: Path) -> None:
    ctx = Context(cwd=str(tmp_path), config_dir=str(tmp_path / "conf"))  # type: ignore[arg-type]
    assert ctx.cwd == tmp_path
    assert ctx.config_dir == tmp_path / "conf"


def test_relative_cwd_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ctx = Context(cwd=Path("sub"))
    assert ctx.cwd == tmp_path / "sub"
    assert ctx.resolve(".env").is_absolute()
    assert ctx.resolve(".env", from_config=True).is_absolute()


def test_cancel_makes_check_raise() -> None:
    ctx = Context()
    ctx.cancel()
    assert ctx.cancelled is True
    with pytest.raises(CancelledError, match=r"^sync cancelled$") as info:
        ctx.check()
    assert isinstance(info.value, ProviderError)
    assert info.value.exit_code == 2


def test_cancel_from_another_thread_is_seen() -> None:
    ctx = Context()
    thread = threading.Thread(target=ctx.cancel)
    thread.start()
    thread.join()
    with pytest.raises(CancelledError):
        ctx.check()


def test_deadline_in_the_past_makes_check_raise() -> None:
    ctx = Context(deadline=time.monotonic() - 1)
    assert ctx.remaining() == 0.0
    with pytest.raises(CancelledError, match=r"^sync ran past its deadline$"):
        ctx.check()


def test_deadline_in_the_future_leaves_time() -> None:
    ctx = Context(deadline=time.monotonic() + 60)
    remaining = ctx.remaining()
    assert remaining is not None
    assert 50 < remaining <= 60
    ctx.check()


def test_resolve_command_line_paths_against_cwd(tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path / "work", config_dir=tmp_path / "project")
    assert ctx.resolve(".env.local") == tmp_path / "work" / ".env.local"
    assert ctx.resolve(Path("sub/.env")) == tmp_path / "work" / "sub" / ".env"


def test_resolve_config_paths_against_config_dir(tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path / "work", config_dir=tmp_path / "project")
    assert ctx.resolve(".env.local", from_config=True) == tmp_path / "project" / ".env.local"


def test_resolve_without_config_dir_uses_cwd(tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path)
    assert ctx.resolve("a", from_config=True) == tmp_path / "a"


def test_resolve_keeps_absolute_and_expands_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    ctx = Context(cwd=tmp_path / "work")
    assert ctx.resolve("/etc/x", from_config=True) == Path("/etc/x")
    assert ctx.resolve("~/secrets.env") == tmp_path / "home" / "secrets.env"


def test_add_secrets_feeds_the_redactor_and_repr_hides_them() -> None:
    canary = "canary-ctx-7f3a9e"
    ctx = Context()
    ctx.add_secrets([canary])
    assert ctx.redactor.redact(f"oops {canary}") == "oops ***"
    assert canary not in repr(ctx)


def test_context_is_a_frozen_handle(tmp_path: Path) -> None:
    """Weak references work, given paths are made absolute, ``config_dir=None`` means cwd,
    and nothing is changed after construction: a store's context is a new one."""
    import weakref

    ctx = Context(cwd=tmp_path)
    assert weakref.ref(ctx)() is ctx
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ctx.cwd = Path("relative")  # type: ignore[misc]
    relative = Context(cwd=Path("relative"))
    assert relative.cwd == Path.cwd() / "relative"
    assert relative.config_dir == relative.cwd
    configured = Context(cwd="relative", config_dir="conf")
    assert configured.resolve("x.env", from_config=True) == Path.cwd() / "conf" / "x.env"
    assert ctx != Context(cwd=ctx.cwd, config_dir=ctx.config_dir)  # compared by identity
    store_ctx = ctx.for_store({"k": 1})
    assert store_ctx.config == {"k": 1}
    assert ctx.config is None
    store_ctx.cancel()
    assert ctx.cancelled  # one run: one cancellation
