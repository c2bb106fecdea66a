"""``require_declared``: every secret the app declares is in the sync or already in Encore."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stagecraft.errors import EXIT_PROVIDER_ERROR, EXIT_USER_ERROR
from stagecraft.providers.secrets import Context, SyncOptions, SyncResult
from stagecraft_encore.config import Config
from stagecraft_encore.declared import DeclaredSecretsError, parse_meta
from stagecraft_encore.errors import DeclaredSecretMissingError
from stagecraft_encore.provider import EncoreStore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from conftest import FakeEncore

    WriteEnv = Callable[[Path, Mapping[str, str]], Path]

REQUIRE = Config(require_declared=True)


def sync(ctx: Context, **options: Any) -> SyncResult:
    return EncoreStore().sync(ctx, SyncOptions(**options))


@pytest.fixture
def declares(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_meta(spec: str) -> None:
        monkeypatch.setenv("FAKE_ENCORE_META_SECRETS", spec)

    return set_meta


def test_fake_meta_is_what_the_parser_reads(
    fake_encore: FakeEncore, app: Path, declares: Callable[[str], None]
) -> None:
    declares("billing=StripeKey,WebhookSecret;users/auth=JWTKey,StripeKey;health=")
    completed = subprocess.run(
        [str(fake_encore.bin_dir / "encore"), "debug", "meta", "--format=json"],
        cwd=app, capture_output=True, text=True, check=True,
    )
    data = json.loads(completed.stdout)
    assert data["pkgs"][1]["rel_path"] == "users/auth"
    assert data["pkgs"][2]["secrets"] == []  # jsonpb emits empty lists
    assert completed.stdout.startswith('{\n  "module_path": "encore.app",\n')
    assert parse_meta(completed.stdout) == ["StripeKey", "WebhookSecret", "JWTKey"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "did not print JSON"),
        ('{"svcs": []}', "no `pkgs` list"),
        ('{"pkgs": [3]}', r"pkgs\[0\] is not an object"),
        ('{"pkgs": [{"secrets": "A"}]}', r"pkgs\[0\]\.secrets is not a list"),
    ],
)
def test_meta_not_understood_is_refused(text: str, message: str) -> None:
    with pytest.raises(DeclaredSecretsError, match=message):
        parse_meta(text)
    assert parse_meta('{"pkgs": [{"secrets": null}, {}]}') == []


def test_declared_secret_missing_everywhere_stops_before_any_set(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    declares: Callable[[str], None],
) -> None:
    declares("billing=StripeKey,WebhookSecret;users=JWTKey")
    write_env(app / ".env", {"StripeKey": "s", "JWTKey": "j"})
    fake_encore.add_group("WebhookSecret", ["type:production"])  # another selection
    for dry_run in (True, False):
        with pytest.raises(DeclaredSecretMissingError) as info:
            sync(ctx, source=".env", target="dev", config=REQUIRE, dry_run=dry_run)
        assert info.value.exit_code == EXIT_USER_ERROR
        assert str(info.value).startswith(
            "encore: development: the app declares 1 secret(s) that are neither in this sync "
            "nor set in Encore for this selection: WebhookSecret; nothing was set."
        )
    assert fake_encore.calls_of("set") == []
    assert [c["argv"][2:] for c in fake_encore.calls_of("list")] == [
        ["StripeKey", "JWTKey", "WebhookSecret"]
    ] * 2
    # Excluding a declared key does not hide it either.
    fake_encore.add_group("WebhookSecret", ["type:development"])
    with pytest.raises(DeclaredSecretMissingError, match=r": JWTKey; nothing was set"):
        sync(ctx, source=".env", target="dev", config=REQUIRE, exclude=("JWTKey",))


def test_declared_secret_already_in_encore_is_enough(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    declares: Callable[[str], None],
) -> None:
    declares("billing=StripeKey,WebhookSecret")
    write_env(app / ".env", {"StripeKey": "s", "Extra": "e"})
    fake_encore.add_group("WebhookSecret", ["type:development"])
    result = sync(ctx, source=".env", target="dev", config=REQUIRE)
    assert result.added == ("StripeKey", "Extra")
    # Off by default: no `debug meta` call at all.
    sync(ctx, source=".env", target="dev", dry_run=True)
    assert sum(c["argv"][:2] == ["debug", "meta"] for c in fake_encore.calls()) == 1


def test_meta_failure_is_a_provider_error(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_env(app / ".env", {"A": "1"})
    monkeypatch.setenv("FAKE_ENCORE_META_ERROR", "parse error: billing/stripe.go:4: bad")
    with pytest.raises(DeclaredSecretsError) as info:
        sync(ctx, source=".env", target="dev", config=REQUIRE)
    assert info.value.exit_code == EXIT_PROVIDER_ERROR
    assert str(info.value) == (
        "`encore debug meta` failed, nothing was set: encore exited with status 1: "
        "error: parse error: billing/stripe.go:4: bad"
    )
    assert fake_encore.calls_of("set") == []


def test_without_list_declared_secrets_must_be_in_the_sync(
    fake_encore: FakeEncore, app: Path, ctx: Context, write_env: WriteEnv,
    declares: Callable[[str], None],
) -> None:
    declares("billing=StripeKey,WebhookSecret")
    write_env(app / ".env", {"StripeKey": "s"})
    fake_encore.no_list()
    with pytest.raises(DeclaredSecretMissingError, match=r"cannot list what Encore holds"):
        sync(ctx, source=".env", target="dev", config=REQUIRE)
