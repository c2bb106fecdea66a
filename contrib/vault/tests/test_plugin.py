"""The distribution's entry point, its config class, its location grammar, and its light import."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import cattrs
import pytest

import stagecraft_vault
from stagecraft.errors import ConfigError, UserError
from stagecraft.plugins import PluginSettings, load_plugin_manager
from stagecraft.providers.secrets import Context
from stagecraft.store import SecretStore
from stagecraft_vault.config import Config, InvalidConfigError
from stagecraft_vault.location import InvalidLocationError, Location, parse
from stagecraft_vault.settings import resolve
from stagecraft_vault.store import VaultStore, as_text


def test_entry_point_is_declared() -> None:
    points = [ep for ep in metadata.entry_points(group="stagecraft") if ep.name == "vault"]
    assert [ep.value for ep in points] == ["stagecraft_vault"]
    assert points[0].dist is not None
    assert points[0].dist.name == "stagecraft-vault"


def test_hook_returns_the_store() -> None:
    store = stagecraft_vault.secrets_provider_register()
    assert isinstance(store, VaultStore)
    assert isinstance(store, SecretStore)
    assert store.id == "vault"
    assert store.Config is Config
    assert store.can_delete
    assert not store.writes_one_by_one  # one request per sync, not one per key
    assert "MOUNT/PATH" in store.location_help


def test_registry_lists_vault() -> None:
    manager = load_plugin_manager(PluginSettings.from_env({}), strict=False)
    registry = manager.build_registry()
    assert isinstance(registry.get("vault"), VaultStore)
    assert registry.origin("vault").distribution == "stagecraft-vault"


def test_building_the_registry_does_not_import_hvac() -> None:
    code = (
        "import sys\n"
        "from stagecraft.plugins import PluginSettings, load_plugin_manager\n"
        "registry = load_plugin_manager(PluginSettings.from_env({}), strict=False)"
        ".build_registry()\n"
        "assert registry.has('vault')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('hvac', 'requests', 'urllib3') or m in ('stagecraft_vault.client', "
        "'stagecraft_vault.kv', 'stagecraft_vault.settings'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


# -- config ---------------------------------------------------------------------------


def test_config_defaults_and_structuring() -> None:
    assert Config() == Config(auth="token", timeout=30.0, kv_version=0)
    config = cattrs.structure(
        {"address": "https://vault:8200", "auth": "approle", "secret_id_file": "/run/sid",
         "timeout": 5, "kv_version": 1, "mount": "team/kv"},
        Config,
    )
    assert config.auth == "approle"
    assert config.secret_id_file == "/run/sid"
    assert config.timeout == 5
    assert config.mount == "team/kv"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("auth", "ldap", "auth must be one of token, approle, not 'ldap'"),
        ("kv_version", 3, "kv_version must be 0 (ask the server), 1 or 2, not 3"),
        ("timeout", 0, "timeout must be a number of seconds > 0, not 0"),
        ("max_request_strings", 1, "max_request_strings must be an integer >= 10"),
        ("mount", "a/../b", "mount must not contain '..'"),
    ],
)
def test_bad_config_values(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Config(**{field: value})  # type: ignore[arg-type]
    assert issubclass(InvalidConfigError, ConfigError)


def test_settings_repr_hides_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:1/")
    monkeypatch.setenv("VAULT_TOKEN", "hvs.repr-canary-token-81Qa")
    ctx = Context(cwd=tmp_path)
    settings = resolve(ctx, Config())
    assert settings.address == "http://127.0.0.1:1"
    assert "repr-canary" not in repr(settings)
    assert "repr-canary" not in ctx.redactor.redact(f"x {settings.token} y")


def test_address_without_scheme_is_refused(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "t")
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        resolve(Context(cwd=tmp_path), Config(address="vault.example.com:8200"))


# -- locations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mount", "expected"),
    [
        ("secret/myapp", "", Location("secret", "myapp")),
        ("/secret/team/myapp/", "", Location("secret", "team/myapp")),
        ("secret//myapp", "", Location("secret", "myapp")),
        ("myapp", "team/kv", Location("team/kv", "myapp")),
        ("apps/a", "/kv/", Location("kv", "apps/a")),
    ],
)
def test_locations(text: str, mount: str, expected: Location) -> None:
    assert parse(text, mount) == expected


@pytest.mark.parametrize(
    ("text", "mount", "message"),
    [
        ("secret", "", "must be MOUNT/PATH, as in vault:secret/myapp"),
        ("", "", "must be MOUNT/PATH"),
        ("secret/../x", "", "must not contain '.' or '..'"),
        ("/", "kv", "names no secret; give a path inside the mount 'kv'"),
    ],
)
def test_bad_locations(text: str, mount: str, message: str) -> None:
    with pytest.raises(InvalidLocationError, match=message.replace(".", r"\.")) as caught:
        parse(text, mount)
    assert isinstance(caught.value, UserError)


def test_a_deeper_mount_from_the_server() -> None:
    assert Location("team", "kv/app").within("team/kv/") == Location("team/kv", "app")
    assert Location("secret", "app").within("secret/") == Location("secret", "app")
    assert Location("secret", "app").within("other/") == Location("secret", "app")


def test_values_as_text() -> None:
    assert as_text("x") == "x"
    assert as_text(5) == "5"
    assert as_text({"b": 1, "a": "\u00e9"}) == '{"a": "\u00e9", "b": 1}'
