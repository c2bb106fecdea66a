"""AppRole login, as CI uses it: role id and secret id from named variables or files."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from vault_helpers import kv_get, make_ctx

from stagecraft.errors import ProviderError
from stagecraft.testing import sessions
from stagecraft.testing.servers.openbao import DevServer
from stagecraft_vault.config import Config
from stagecraft_vault.settings import MissingCredentialError
from stagecraft_vault.store import VaultStore

pytestmark = pytest.mark.usefixtures("vault_env")


@attrs.frozen
class AppRole:
    mount: str
    role_id: str
    secret_id: str


@pytest.fixture
def approle(bao: DevServer, path: str, monkeypatch: pytest.MonkeyPatch) -> AppRole:
    """An AppRole auth mount whose role may read and write ``secret/<path>`` only."""
    mount = f"approle-{path}"
    assert bao.request("POST", f"sys/auth/{mount}", {"type": "approle"})[0] == 204
    policy = f'path "secret/data/{path}" {{ capabilities = ["read", "create", "update"] }}'
    assert bao.request("PUT", f"sys/policies/acl/ci-{path}", {"policy": policy})[0] == 204
    assert bao.request("POST", f"auth/{mount}/role/ci", {"token_policies": [f"ci-{path}"]})[0] \
        == 204
    status, body = bao.request("GET", f"auth/{mount}/role/ci/role-id")
    assert status == 200
    role = body["data"]
    assert isinstance(role, dict)
    status, body = bao.request("POST", f"auth/{mount}/role/ci/secret-id")
    assert status == 200
    secret = body["data"]
    assert isinstance(secret, dict)
    monkeypatch.delenv("VAULT_TOKEN")  # AppRole must not lean on a token from the environment
    return AppRole(mount, str(role["role_id"]), str(secret["secret_id"]))


def test_login_with_variables_then_read_and_write(
    store: VaultStore, bao: DevServer, approle: AppRole, tmp_path: Path, location: str,
    path: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULT_ROLE_ID", approle.role_id)
    monkeypatch.setenv("VAULT_SECRET_ID", approle.secret_id)
    ctx = make_ctx(tmp_path, Config(auth="approle", approle_mount=approle.mount))
    sessions.write(store, ctx, location, {"A": "from CI"})
    assert store.read(ctx, location, None) == {"A": "from CI"}
    assert kv_get(bao, path) == ({"A": "from CI"}, 1)
    shown = ctx.redactor.redact(f"{approle.role_id} {approle.secret_id}")
    assert approle.secret_id not in shown
    assert approle.role_id not in shown


def test_login_with_named_variable_and_file(
    store: VaultStore, approle: AppRole, tmp_path: Path, location: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI_ROLE", approle.role_id)
    (tmp_path / "secret-id").write_text(approle.secret_id + "\n", encoding="utf-8")
    config = Config(auth="approle", approle_mount=approle.mount, role_id_env="CI_ROLE",
                    secret_id_file="secret-id")
    ctx = make_ctx(tmp_path, config)
    sessions.write(store, ctx, location, {"A": "1"})
    assert store.read(ctx, location, None) == {"A": "1"}


def test_the_role_token_is_limited_by_its_policy(
    store: VaultStore, approle: AppRole, tmp_path: Path, path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULT_ROLE_ID", approle.role_id)
    monkeypatch.setenv("VAULT_SECRET_ID", approle.secret_id)
    ctx = make_ctx(tmp_path, Config(auth="approle", approle_mount=approle.mount))
    with pytest.raises(ProviderError, match="permission denied") as caught:
        store.read(ctx, f"secret/{path}-elsewhere", None)
    assert approle.secret_id not in str(caught.value)


def test_a_wrong_secret_id_is_refused_without_showing_it(
    store: VaultStore, bao: DevServer, approle: AppRole, tmp_path: Path, location: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "00000000-1111-2222-3333-444444444444"
    monkeypatch.setenv("VAULT_ROLE_ID", approle.role_id)
    monkeypatch.setenv("VAULT_SECRET_ID", wrong)
    ctx = make_ctx(tmp_path, Config(auth="approle", approle_mount=approle.mount))
    with pytest.raises(ProviderError) as caught:
        store.read(ctx, location, None)
    message = str(caught.value)
    assert f"logging in with AppRole (auth/{approle.mount}) for {location}" in message
    assert "the login was refused" in message
    assert bao.address in message
    assert wrong not in message
    assert approle.role_id not in message
    assert caught.value.exit_code == 2


def test_an_approle_mount_that_does_not_exist(
    store: VaultStore, approle: AppRole, tmp_path: Path, location: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULT_ROLE_ID", approle.role_id)
    monkeypatch.setenv("VAULT_SECRET_ID", approle.secret_id)
    ctx = make_ctx(tmp_path, Config(auth="approle", approle_mount="not-enabled"))
    with pytest.raises(ProviderError, match="no AppRole auth method is enabled at "
                                            "auth/not-enabled"):
        store.read(ctx, location, None)


def test_missing_approle_credentials_are_user_errors(
    store: VaultStore, approle: AppRole, tmp_path: Path, location: str,
) -> None:
    ctx = make_ctx(tmp_path, Config(auth="approle", approle_mount=approle.mount))
    with pytest.raises(MissingCredentialError,
                       match=r"the AppRole role id variable \$VAULT_ROLE_ID is not set") as caught:
        store.read(ctx, location, None)
    assert caught.value.exit_code == 1
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    ctx = make_ctx(tmp_path, Config(auth="approle", approle_mount=approle.mount,
                                    role_id_file="empty"))
    with pytest.raises(MissingCredentialError, match=r"the AppRole role id file .* is empty"):
        store.read(ctx, location, None)
