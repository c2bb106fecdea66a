"""What the config and the environment say about one server, resolved when a sync starts.

The vault section of ``stagecraft.yml`` may be absent: the ecosystem's
variables fill the gaps the way the ``vault`` / ``bao`` commands do, so a
shell that can run ``vault kv get`` can run a sync too.

* address: ``address``, then ``$VAULT_ADDR``, then ``$BAO_ADDR``;
* namespace: ``namespace``, then ``$VAULT_NAMESPACE``, then ``$BAO_NAMESPACE``;
* CA file: ``ca_cert``, then ``$VAULT_CACERT``, then ``$BAO_CACERT``;
* token (``auth: token``): the variable ``token_env`` names, the file
  ``token_file`` names, ``$VAULT_TOKEN``, ``$BAO_TOKEN``, ``~/.vault-token``;
* AppRole (``auth: approle``): role id and secret id, each from the file
  its ``*_file`` setting names or else from the variable its ``*_env`` names.

Every credential read here is registered with ``ctx.add_secrets`` at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from stagecraft.errors import ConfigError, UserError
from stagecraft.urls import shown_url

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_vault.config import Config


class MissingCredentialError(UserError):
    """No token (or AppRole credential) could be found: the user has to provide one."""


@attrs.frozen(repr=False)
class Settings:
    """A server and the way to authenticate to it.  Its repr never shows a credential."""

    address: str  # what the client connects to, userinfo included
    namespace: str
    verify: bool | str  # requests' meaning: False, True or a CA bundle path
    timeout: float
    auth: str
    token: str = ""
    role_id: str = ""
    secret_id: str = ""
    approle_mount: str = "approle"
    #: The address as messages show it: without a user or password it may hold.
    shown_address: str = ""

    def __repr__(self) -> str:
        return (
            f"Settings(address={self.shown_address!r}, namespace={self.namespace!r}, "
            f"auth={self.auth!r})"
        )


def _first(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate:
            return candidate
    return ""


def _read_credential(ctx: Context, path: str, what: str) -> str:
    file = ctx.resolve(path, from_config=True)
    try:
        text = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MissingCredentialError(
            f"vault: cannot read the {what} file {file}: {exc.strerror or type(exc).__name__}"
        ) from None
    if not text:
        raise MissingCredentialError(f"vault: the {what} file {file} is empty")
    return text


def _from_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingCredentialError(f"vault: the {what} variable ${name} is not set")
    return value


def _token(ctx: Context, config: Config) -> str:
    if config.token_env:
        return _from_env(config.token_env, "token")
    if config.token_file:
        return _read_credential(ctx, config.token_file, "token")
    token = _first(*(os.environ.get(name, "").strip() for name in ("VAULT_TOKEN", "BAO_TOKEN")))
    if token:
        return token
    home_file = Path.home() / ".vault-token"
    if home_file.is_file():
        return _read_credential(ctx, str(home_file), "token")
    raise MissingCredentialError(
        "vault: no token: set VAULT_TOKEN (or BAO_TOKEN), log in so ~/.vault-token exists, "
        "or configure secrets.providers.vault.auth: approle"
    )


def configured_address(config: Config) -> str | None:
    """The server's address as configured: ``address``, then ``$VAULT_ADDR``, then ``$BAO_ADDR``."""
    return _first(config.address, os.environ.get("VAULT_ADDR"), os.environ.get("BAO_ADDR"))


def resolve(ctx: Context, config: Config) -> Settings:
    """The settings of this sync, credentials registered for masking."""
    address = configured_address(config)
    if not address:
        raise ConfigError(
            "vault: no server address: set VAULT_ADDR (or BAO_ADDR), or "
            "secrets.providers.vault.address in stagecraft.yml"
        )
    address = address.rstrip("/")
    shown = shown_url(address, ctx.add_secrets)
    if not address.startswith(("http://", "https://")):
        raise ConfigError(f"vault: the address {shown!r} must start with http:// or https://")
    namespace = _first(
        config.namespace, os.environ.get("VAULT_NAMESPACE"), os.environ.get("BAO_NAMESPACE")
    )
    ca_cert = _first(config.ca_cert, os.environ.get("VAULT_CACERT"), os.environ.get("BAO_CACERT"))
    verify: bool | str = True
    if config.tls_skip_verify:
        verify = False
        ctx.logger.warning(
            "vault: TLS VERIFICATION IS OFF for %s (tls_skip_verify): anyone on the network path "
            "can read the secrets and the token; use ca_cert instead",
            shown,
        )
    elif ca_cert:
        ca_path = ctx.resolve(ca_cert, from_config=bool(config.ca_cert))
        if not ca_path.is_file():
            raise ConfigError(f"vault: the CA file {ca_path} does not exist")
        verify = str(ca_path)
    token = role_id = secret_id = ""
    if config.auth == "approle":
        role_id = (
            _read_credential(ctx, config.role_id_file, "AppRole role id")
            if config.role_id_file
            else _from_env(config.role_id_env, "AppRole role id")
        )
        secret_id = (
            _read_credential(ctx, config.secret_id_file, "AppRole secret id")
            if config.secret_id_file
            else _from_env(config.secret_id_env, "AppRole secret id")
        )
        ctx.add_secrets([role_id, secret_id])
    else:
        token = _token(ctx, config)
        ctx.add_secrets([token])
    return Settings(
        address=address,
        namespace=namespace,
        verify=verify,
        timeout=float(config.timeout),
        auth=config.auth,
        token=token,
        role_id=role_id,
        secret_id=secret_id,
        approle_mount=config.approle_mount.strip("/") or "approle",
        shown_address=shown,
    )
