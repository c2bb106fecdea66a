"""Masking by type: the core's composed messages are shown as they are, free text is masked.

Whether a message is masked never depends on where it was raised: the same
class (the core's :class:`ProviderError`) raised by a plugin with its own
text is masked, and a message the core composed (a ``Structural`` string)
is not, even when a secret value equals a word in it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from stagecraft import cli
from stagecraft.error_text import is_composed, message_text, traceback_text
from stagecraft.errors import (
    InterruptedSyncError,
    MissingKeysError,
    PartialSyncError,
    ProviderError,
    RefusedValuesError,
    StagecraftError,
    SyncFailedError,
    UserError,
)
from stagecraft.providers.secrets import (
    Action,
    Change,
    Context,
    Registry,
    SyncOptions,
    SyncResult,
)
from stagecraft.redact import MASK, Redactor, Structural
from stagecraft.testing import write_env_file
from stagecraft.testing.store_doubles import MemoryStore

SECRET = "hvs.CANARY-7Hq2x"
#: A secret value that equals a key name: masking structural text would reveal it.
KEY_VALUE = "DATABASE_URL"


def redactor() -> Redactor:
    found = Redactor()
    found.add(SECRET, KEY_VALUE)
    return found


def test_plugin_text_in_the_cores_provider_error_is_masked() -> None:
    error = ProviderError(f"server said: bad token {SECRET} for DATABASE_URL")
    assert not error.composed
    assert message_text(redactor(), error) == f"server said: bad token {MASK} for {MASK}"


def test_the_cores_composed_message_naming_a_key_is_shown_as_it_is() -> None:
    error = MissingKeysError(["DATABASE_URL"], ".env.local")
    assert error.composed
    assert message_text(redactor(), error) == ".env.local: requested key not found: DATABASE_URL"


def test_the_same_class_is_masked_or_not_by_the_type_of_its_message() -> None:
    composed = UserError(Structural("target.env: key DATABASE_URL is missing"))
    free = UserError("target.env: key DATABASE_URL is missing")
    assert is_composed(composed)
    assert not is_composed(free)
    assert message_text(redactor(), composed) == "target.env: key DATABASE_URL is missing"
    assert message_text(redactor(), free) == f"target.env: key {MASK} is missing"
    # Neither a non-Stagecraft exception nor an error with several arguments is composed.
    assert not is_composed(ValueError(Structural("x")))
    assert not StagecraftError(Structural("a"), Structural("b")).composed


def test_a_partial_failure_shows_the_engines_head_and_masks_a_plugins() -> None:
    result = SyncResult(())
    failed = {"API_KEY": f"not written: rejected {SECRET}"}
    engine = SyncFailedError(Structural("echo:x: sync failed: DATABASE_URL"), result, failed)
    plugin = PartialSyncError("echo:x: sync failed: DATABASE_URL", result, failed)
    shown = message_text(redactor(), engine).splitlines()
    assert shown[0] == "echo:x: sync failed: DATABASE_URL"
    assert shown[-1] == f"    API_KEY: not written: rejected {MASK}"
    assert message_text(redactor(), plugin).splitlines()[0] == f"echo:x: sync failed: {MASK}"


def test_a_traceback_masks_each_message_by_its_type() -> None:
    try:
        try:
            raise ProviderError(f"library said {SECRET}")
        except ProviderError as exc:
            raise MissingKeysError(["DATABASE_URL"], "src") from exc
    except MissingKeysError as exc:
        text = traceback_text(redactor(), exc)
    assert SECRET not in text
    assert f"stagecraft.errors.ProviderError: library said {MASK}" in text
    assert "stagecraft.errors.MissingKeysError: src: requested key not found: DATABASE_URL" in text


PLUGIN = '''
import stagecraft

class Loud(stagecraft.SecretStore):
    id = "loud"
    writes_one_by_one = True

    def read(self, ctx, location, keys):
        return {}

    def write_one(self, ctx, location, key, value):
        raise stagecraft.ProviderError("loud: refused " + value)

@stagecraft.hookimpl
def secrets_provider_register():
    return Loud()
'''


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_the_command_masks_a_plugins_provider_error_and_keeps_its_own_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verbose: list[str]
) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "loud.py").write_text(PLUGIN)
    write_env_file(tmp_path / "source.env", {"DATABASE_URL": SECRET, "TOKEN": KEY_VALUE})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "envfile")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*verbose, "--plugins-dir", "plugins", "secrets", "sync",
                         "--from", "source.env", "--to", "loud:anywhere"])
    assert code == 2
    shown = out.getvalue() + err.getvalue()
    assert SECRET not in shown
    assert f"loud: refused {MASK}" in shown
    # The engine's own text names DATABASE_URL (a key) although a value equals it.
    assert "loud:anywhere: sync failed: 2 of 2 key(s) not synced" in shown
    assert "DATABASE_URL" in shown


class _EchoingStore(MemoryStore):
    """A store that refuses keys named BAD_*, with a reason that (wrongly) echoes the value."""

    id = "echoing"
    location_help = "PLACE (a name)"

    def check_values(
        self, ctx: Context, location: str, values: Mapping[str, str]
    ) -> dict[str, str]:
        return {key: f"cannot hold {value}" for key, value in values.items()
                if key.startswith("BAD_")}


def test_a_refusal_names_its_keys_in_full_and_masks_the_stores_reason(tmp_path: Path) -> None:
    # One value equals the refused key's name: masking the whole message would
    # hide the key, and so reveal that some value is "BAD_KEY".
    write_env_file(tmp_path / "source.env", {"BAD_KEY": SECRET, "TOKEN": "BAD_KEY"})
    store = _EchoingStore({})
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    with pytest.raises(RefusedValuesError) as info:
        store.sync(ctx, SyncOptions(source="source.env", target="place"))
    assert info.value.composed
    assert message_text(ctx.redactor, info.value) == (
        f"echoing:place: refusing 1 key(s), nothing was written: BAD_KEY: cannot hold {MASK}"
    )
    assert store.values == {}


def test_the_no_target_message_reads_in_full_whatever_the_values(tmp_path: Path) -> None:
    store = _EchoingStore({})
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    ctx.add_secrets(["echoing", "PLACE (a name)", "LOCATION"])
    with pytest.raises(UserError) as info:
        store.sync(ctx, SyncOptions(source="source.env"))
    assert message_text(ctx.redactor, info.value) == (
        "echoing: no target: pass --to LOCATION (PLACE (a name)), or set secrets.to in "
        "stagecraft.yml (to: echoing:LOCATION)"
    )


def test_an_interruption_with_nothing_failed_lists_no_keys() -> None:
    """Interrupted before the first write or after the last: the head says it all, and a
    large sync's 300,000 key names would only cost the time of masking them."""
    done = SyncResult(changes=[Change(f"KEY_{i}", Action.UPDATED) for i in range(3)])
    after = InterruptedSyncError("t: interrupted after every change was written", done, {})
    assert str(after) == "t: interrupted after every change was written"
    partial = InterruptedSyncError("t: interrupted", done, {"LATE": "not written: interrupted"})
    assert str(partial).splitlines()[1:] == [
        "  synced (3): KEY_0, KEY_1, KEY_2", "  not synced (1):",
        "    LATE: not written: interrupted"]
