"""``secrets providers ID`` (what a provider accepts) and ``config show`` (what is in effect)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from stagecraft import cli
from stagecraft.config_show import MASK, mask
from stagecraft.describe import type_name
from stagecraft.providers.secrets import reset_default_registry

VAULTISH = '''
import attrs
import stagecraft


@attrs.frozen
class Config:
    address: str = "https://vault.example:8200"
    token: str = ""
    role_id: str | None = None
    mount: str = "secret"
    concurrency: int = 4


class Vaultish(stagecraft.SecretStore):
    id = "vaultish"
    writes_one_by_one = True
    can_delete = True
    Config = Config
    location_help = "PATH under the mount (secret/myapp)"
    readable = True
    concurrency = 2

    def read(self, ctx, location, keys):
        return {}

    def write_one(self, ctx, location, key, value):
        pass

    def delete(self, ctx, location, keys):
        pass


@stagecraft.hookimpl
def secrets_provider_register():
    return Vaultish()
'''


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("STAGECRAFT_LOAD_PLUGINS", "STAGECRAFT_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    reset_default_registry()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "vaultish.py").write_text(VAULTISH)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------ providers ID


def test_describe_a_store_as_text(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--plugins-dir", "plugins", "secrets", "providers", "vaultish")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "vaultish (store)",
        "  distribution:  -",
        f"  plugin:        local:{here / 'plugins' / 'vaultish.py'}",
        "  location:      PATH under the mount (secret/myapp)",
        "                 --from vaultish:LOCATION, --to vaultish:LOCATION",
        "  readable:      yes",
        "  can prune:     yes",
        "  concurrency:   4 (set secrets.providers.vaultish.concurrency)",
        "  config (secrets.providers.vaultish):",
        '    address      str         default "https://vault.example:8200"',
        '    token        str         default ""',
        "    role_id      str | None  default null",
        '    mount        str         default "secret"',
        "    concurrency  int         default 4",
    ]


def test_describe_the_installed_envfile_and_encore_as_json(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "secrets", "providers", "envfile", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["distribution"] == "stagecraft-envfile"
    assert (info["kind"], info["readable"], info["can_prune"]) == ("store", True, True)
    assert info["location"].startswith("PATH of an env file")
    assert {"key": "create_target", "type": "bool", "default": True,
            "required": False} in info["config"]
    code, out, _ = run(capsys, "secrets", "providers", "encore", "--json")
    info = json.loads(out)
    assert (info["readable"], info["can_prune"], info["concurrency"]) == (False, False, 8)
    assert info["reserved_prefixes"] == ["env"]
    from stagecraft_encore.config import Config as EncoreConfig

    assert [field["key"] for field in info["config"]] == [
        field.name for field in attrs.fields(EncoreConfig)]
    assert {"key": "encore_bin", "type": "str", "default": "encore",
            "required": False} in info["config"]


def test_describe_a_provider_that_syncs_itself(
    here: Path, capsys: pytest.CaptureFixture[str], cli_helpers: Any
) -> None:
    (here / "plugins" / "copyjson.py").write_text(cli_helpers.COPY_PLUGIN)
    code, out, _ = run(capsys, "--plugins-dir", "plugins", "secrets", "providers", "copyjson")
    assert code == 0
    assert out.splitlines()[0] == "copyjson (provider)"
    assert "implements sync itself" in out
    assert '    mode         str   default "ok"' in out
    info = json.loads(run(capsys, "--plugins-dir", "plugins", "secrets", "providers",
                          "copyjson", "--json")[1])
    assert (info["kind"], info["readable"], info["location"]) == ("provider", None, None)


def test_describe_an_unknown_provider(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "secrets", "providers", "envfle")
    assert (code, out) == (1, "")
    assert "unknown secrets provider 'envfle' (did you mean 'envfile'?)" in err


def test_type_names() -> None:
    assert type_name(int) == "int"
    assert type_name(list[str]) == "list[str]"
    assert type_name(str | None) == "str | None"
    assert type_name("Custom") == "Custom"
    assert type_name(None) == "None"


# ------------------------------------------------------------ config show


CONFIG = """\
secrets:
  provider: vaultish
  to: vaultish:secret/app
  providers:
    vaultish:
      address: https://ci:hunter2-url-pass@vault.example:8200
      token: s.show-canary-token
    envfile:
      target_file: .env.staging
    gone:
      password: gone-canary-pass
      auth: approle
      auth_header: "Bearer gone-canary-bearer"
      headers:
        Authorization: "Basic Z29uZS1jYW5hcnk="
        X-Trace: "on"
      forward: "Token gone-canary-token-value"
plugins:
  dirs: [plugins]
"""


def test_config_show_fills_defaults_and_masks_credentials(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / "stagecraft.yml").write_text(CONFIG)
    monkeypatch.setenv("STAGECRAFT_DISABLE_PLUGINS", "encore")
    code, out, err = run(capsys, "config", "show", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["file"] == str(here / "stagecraft.yml")
    assert (data["provider"], data["from"], data["to"]) == (
        "vaultish", None, "vaultish:secret/app")
    assert data["plugins"]["disable"] == ["encore"]  # from the environment
    assert data["plugins"]["dirs"] == [str(here / "plugins")]
    assert data["providers"]["vaultish"] == {
        "address": f"https://{MASK}@vault.example:8200",
        "token": MASK,
        "role_id": None,
        "mount": "secret",
        "concurrency": 4,
    }
    envfile = data["providers"]["envfile"]
    assert envfile["target_file"] == ".env.staging"
    assert envfile["create_target"] is True  # a default, filled in
    assert data["providers"]["gone"] == {"installed": False, "settings": {
        "password": MASK, "auth": "approle", "auth_header": MASK,
        "headers": {"Authorization": MASK, "X-Trace": "on"}, "forward": MASK,
    }}
    for canary in ("hunter2-url-pass", "s.show-canary-token", "gone-canary", "Z29uZS1jYW5hcnk",
                   "ci:"):
        assert canary not in out

    code, text, _ = run(capsys, "config", "show")
    assert code == 0
    assert f"file: {here / 'stagecraft.yml'}\nprovider: vaultish\n" in text
    assert f"    token: '{MASK}'\n" in text
    assert "hunter2-url-pass" not in text


def test_config_show_without_a_file_shows_the_defaults(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "config", "show", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["file"], data["provider"], data["providers"]) == (None, None, {})
    assert "no stagecraft.yml found" in err


def test_config_show_reports_an_invalid_section(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "stagecraft.yml").write_text(
        "secrets:\n  provider: envfile\n  providers:\n    envfile:\n      create_target: 3\n")
    code, out, err = run(capsys, "config", "show")
    assert (code, out) == (1, "")
    assert "stagecraft.yml:5:" in err


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("token", "abc", MASK),
        ("vault_token", "abc", MASK),
        ("secret_id", "abc", MASK),
        ("api_key", "abc", MASK),
        ("apikey", "abc", MASK),
        ("client-secret", "abc", MASK),
        ("password", "abc", MASK),
        ("token", "", ""),  # nothing to hide, and shows that it is unset
        ("token", None, None),
        ("keys", ["A", "B"], ["A", "B"]),
        ("tokenizer", "abc", "abc"),
        ("token_env", "VAULT_TOKEN", "VAULT_TOKEN"),  # where the credential is: shown
        ("secret_id_file", "/run/secret", "/run/secret"),
        ("auth", "approle", "approle"),
        ("url", "postgres://u:pw@h/db", f"postgres://{MASK}@h/db"),
        ("url", "https://ghp_tokenonly@h/x", f"https://{MASK}@h/x"),  # a token as the user
        ("url", "https://h/path?a=b", "https://h/path?a=b"),
        ("url", "https://h/path?to=a@b", "https://h/path?to=a@b"),  # no userinfo
        ("auth_header", "Bearer eyJabc", MASK),
        ("Authorization", "Basic dTpw", MASK),
        ("Proxy-Authorization", "Basic dTpw", MASK),
        ("cookie", "session=abc", MASK),
        ("forward", "Bearer eyJabc", MASK),  # the value says what it is
        ("scheme", "bearer", "bearer"),  # a word, no credential after it
    ],
)
def test_what_counts_as_a_credential(name: str, value: Any, shown: Any) -> None:
    assert mask({name: value}) == {name: shown}
