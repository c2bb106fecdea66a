"""Every failure is one line naming the server and the secret, exit 2, and leaks nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from vault_helpers import SilentServer, kv_put, make_ctx

from stagecraft.errors import CancelledError, ConfigError, ProviderError
from stagecraft.providers.secrets import Context
from stagecraft.store import TransientError
from stagecraft.testing import sessions
from stagecraft.testing.servers import free_port
from stagecraft.testing.servers.openbao import DevServer, dev_server
from stagecraft_vault.config import Config
from stagecraft_vault.errors import NoAnswerError
from stagecraft_vault.settings import MissingCredentialError
from stagecraft_vault.store import VaultStore

pytestmark = pytest.mark.usefixtures("vault_env")

CANARY = "canary-vault-value-5Rt2-do-not-leak"


def failure(store: VaultStore, ctx: Context, location: str) -> ProviderError:
    """The error of a read, then of a write of a canary value, which must be alike."""
    with pytest.raises(ProviderError) as read_error:
        store.read(ctx, location, None)
    with pytest.raises(ProviderError) as write_error:
        sessions.write(store, ctx, location, {"KEY": CANARY})
    for caught in (read_error, write_error):
        message = str(caught.value)
        assert "\n" not in message
        assert CANARY not in message
        assert caught.value.__cause__ is None or CANARY not in repr(caught.value.__cause__)
    assert read_error.value.exit_code == 2
    return read_error.value


def assert_names(error: BaseException, address: str, location: str) -> None:
    message = str(error)
    assert message.startswith("vault: ")
    assert address in message
    assert location in message


def test_bad_token(store: VaultStore, ctx: Context, bao: DevServer, location: str,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "hvs.not-a-real-token-Zq81")
    error = failure(store, ctx, location)
    assert "the token was refused (invalid or expired)" in str(error)
    assert "not-a-real-token" not in str(error)
    assert_names(error, bao.address, location)


def test_permission_denied(store: VaultStore, ctx: Context, bao: DevServer, location: str,
                           path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = f'path "secret/data/{path}-other" {{ capabilities = ["read"] }}'
    assert bao.request("PUT", f"sys/policies/acl/p-{path}", {"policy": policy})[0] == 204
    status, body = bao.request("POST", "auth/token/create", {"policies": [f"p-{path}"]})
    assert status == 200
    auth = body["auth"]
    assert isinstance(auth, dict)
    token = str(auth["client_token"])
    monkeypatch.setenv("VAULT_TOKEN", token)
    error = failure(store, ctx, location)
    assert "permission denied" in str(error)
    assert_names(error, bao.address, location)
    assert token not in str(error)


def test_unknown_mount(store: VaultStore, ctx: Context, bao: DevServer, path: str) -> None:
    error = failure(store, ctx, f"nomount-{path}/app")
    assert f"no secrets engine is mounted at 'nomount-{path}/'" in str(error)
    assert_names(error, bao.address, f"nomount-{path}/app")


def test_unknown_mount_with_kv_version_configured(
    store: VaultStore, bao: DevServer, tmp_path: Path, path: str
) -> None:
    ctx = make_ctx(tmp_path, Config(kv_version=2))  # no lookup: the data request finds out
    error = failure(store, ctx, f"nomount-{path}/app")
    assert "no secrets engine is mounted at" in str(error)
    assert_names(error, bao.address, f"nomount-{path}/app")


def test_a_mount_that_is_not_kv(store: VaultStore, ctx: Context, bao: DevServer) -> None:
    error = failure(store, ctx, "cubbyhole/app")
    assert "is a cubbyhole secrets engine, not kv" in str(error)
    assert_names(error, bao.address, "cubbyhole/app")


def test_unreachable_server(store: VaultStore, ctx: Context, location: str,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    address = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("VAULT_ADDR", address)
    error = failure(store, ctx, location)
    assert not isinstance(error, TransientError)  # a wrong address is not retried
    assert "cannot reach" in str(error)
    assert_names(error, address, location)


def test_sealed_server(store: VaultStore, ctx: Context, location: str,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    with dev_server() as sealed:
        for name, value in sealed.env().items():
            monkeypatch.setenv(name, value)
        assert sealed.request("PUT", "sys/seal")[0] == 204
        error = failure(store, ctx, location)
        assert not isinstance(error, TransientError)
        assert "the server is sealed; unseal it" in str(error)
        assert_names(error, sealed.address, location)
        assert sealed.token not in str(error)


@pytest.fixture(scope="module")
def tls_bao() -> Iterator[DevServer]:
    with dev_server(tls=True) as server:
        yield server


@pytest.fixture
def tls_env(tls_bao: DevServer, monkeypatch: pytest.MonkeyPatch) -> DevServer:
    monkeypatch.setenv("VAULT_ADDR", tls_bao.address)
    monkeypatch.setenv("VAULT_TOKEN", tls_bao.token)
    return tls_bao


def test_tls_without_the_ca_fails_clearly(store: VaultStore, ctx: Context, tls_env: DevServer,
                                          location: str) -> None:
    error = failure(store, ctx, location)
    assert "TLS failure" in str(error)
    assert "certificate verify failed" in str(error)
    assert "VAULT_CACERT" in str(error)
    assert_names(error, tls_env.address, location)


def test_tls_with_the_ca_from_the_environment(
    store: VaultStore, ctx: Context, tls_env: DevServer, location: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tls_env.ca_cert is not None
    monkeypatch.setenv("VAULT_CACERT", str(tls_env.ca_cert))
    sessions.write(store, ctx, location, {"A": "over TLS"})
    assert store.read(ctx, location, None) == {"A": "over TLS"}


def test_tls_skip_verify_works_and_warns_loudly(
    store: VaultStore, tls_env: DevServer, tmp_path: Path, location: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = make_ctx(tmp_path, Config(tls_skip_verify=True))
    with caplog.at_level(logging.WARNING, logger="stagecraft"):
        sessions.write(store, ctx, location, {"A": "1"})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("TLS VERIFICATION IS OFF" in message and tls_env.address in message
               for message in warnings)


def test_a_missing_ca_file_is_a_config_error(store: VaultStore, tmp_path: Path,
                                             location: str) -> None:
    ctx = make_ctx(tmp_path, Config(ca_cert="nowhere/ca.pem"))
    with pytest.raises(ConfigError, match=r"the CA file .*nowhere/ca.pem does not exist"):
        store.read(ctx, location, None)


def test_a_server_that_does_not_answer_times_out(
    store: VaultStore, tmp_path: Path, location: str, silent_server: SilentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULT_ADDR", silent_server.address)
    ctx = make_ctx(tmp_path, Config(timeout=0.3, kv_version=2))
    with pytest.raises(NoAnswerError, match=(
        r"did not answer within 0\.3 s \(secrets\.providers\.vault\.timeout\) while reading"
    )) as caught:
        store.read(ctx, location, None)
    assert not isinstance(caught.value, TransientError), "a timeout is not retried past itself"


def test_the_deadline_caps_the_request_timeout(
    store: VaultStore, tmp_path: Path, location: str, silent_server: SilentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULT_ADDR", silent_server.address)
    ctx = make_ctx(tmp_path, Config(timeout=600, kv_version=2),
                   deadline=time.monotonic() + 1.0)
    with pytest.raises(NoAnswerError,
                       match=r"did not answer within (0\.\d+|1) s \(the --timeout deadline\)"):
        store.read(ctx, location, None)


def test_past_the_deadline_nothing_is_sent(store: VaultStore, tmp_path: Path, bao: DevServer,
                                           location: str, path: str) -> None:
    ctx = make_ctx(tmp_path, deadline=time.monotonic() - 1)
    with pytest.raises(CancelledError):
        sessions.write(store, ctx, location, {"A": "1"})
    assert bao.request("GET", f"secret/metadata/{path}")[0] == 404


# -- where the address and the token come from ------------------------------------------


def test_no_address_is_a_user_error(store: VaultStore, ctx: Context, location: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAULT_ADDR")
    with pytest.raises(ConfigError, match="no server address: set VAULT_ADDR") as caught:
        store.read(ctx, location, None)
    assert caught.value.exit_code == 1


def test_no_token_is_a_user_error(store: VaultStore, ctx: Context, location: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAULT_TOKEN")
    with pytest.raises(MissingCredentialError, match="no token: set VAULT_TOKEN") as caught:
        store.read(ctx, location, None)
    assert caught.value.exit_code == 1


def test_bao_variables_and_the_token_file(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kv_put(bao, path, {"A": "1"})
    monkeypatch.delenv("VAULT_ADDR")
    monkeypatch.delenv("VAULT_TOKEN")
    monkeypatch.setenv("BAO_ADDR", bao.address)
    monkeypatch.setenv("BAO_TOKEN", bao.token)
    assert store.read(ctx, location, None) == {"A": "1"}
    monkeypatch.delenv("BAO_TOKEN")
    (Path.home() / ".vault-token").write_text(bao.token + "\n", encoding="utf-8")
    assert store.read(ctx, location, None) == {"A": "1"}
    assert bao.token not in ctx.redactor.redact(f"token {bao.token}")


def test_named_token_variable_and_file(
    store: VaultStore, bao: DevServer, tmp_path: Path, location: str, path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kv_put(bao, path, {"A": "1"})
    monkeypatch.setenv("VAULT_TOKEN", "wrong-token-from-default-variable")
    monkeypatch.setenv("CI_VAULT_TOKEN", bao.token)
    assert store.read(make_ctx(tmp_path, Config(token_env="CI_VAULT_TOKEN")), location,
                      None) == {"A": "1"}
    (tmp_path / "token.txt").write_text(bao.token, encoding="utf-8")
    assert store.read(make_ctx(tmp_path, Config(token_file="token.txt")), location,
                      None) == {"A": "1"}
    with pytest.raises(MissingCredentialError, match=r"the token variable \$UNSET_TOKEN"):
        store.read(make_ctx(tmp_path, Config(token_env="UNSET_TOKEN")), location, None)
    with pytest.raises(MissingCredentialError, match=r"cannot read the token file .*none.txt"):
        store.read(make_ctx(tmp_path, Config(token_file="none.txt")), location, None)


def test_namespace_header_is_sent(store: VaultStore, bao: DevServer, tmp_path: Path,
                                  location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenBao has namespaces too: an unknown one is refused, which shows the header went out."""
    monkeypatch.setenv("VAULT_NAMESPACE", "no-such-namespace")
    with pytest.raises(ProviderError) as caught:
        store.read(make_ctx(tmp_path), location, None)
    assert bao.address in str(caught.value)
