"""The vault store's section of ``stagecraft.yml``.

::

    secrets:
      providers:
        vault:
          address: https://vault.example.com:8200   # default: $VAULT_ADDR, then $BAO_ADDR
          namespace: team-a                         # default: $VAULT_NAMESPACE
          mount: ""            # set it when the mount has slashes; locations are then paths in it
          kv_version: 0        # 0: ask the server (the mount's options); 1 or 2 to skip asking
          ca_cert: ""          # PEM file of the CA; default: $VAULT_CACERT
          tls_skip_verify: false                    # never in production: logged loudly
          auth: token          # or approle
          token_env: ""        # a variable holding the token (default: VAULT_TOKEN, BAO_TOKEN)
          token_file: ""       # a file holding it (default: ~/.vault-token)
          approle_mount: approle
          role_id_env: VAULT_ROLE_ID
          role_id_file: ""
          secret_id_env: VAULT_SECRET_ID
          secret_id_file: ""
          timeout: 30          # seconds a read or a write may take, retries included
                               # (the sync's --timeout caps it)
          max_request_strings: 1000   # the server's JSON limit (max_request_json_strings)

No credential is ever written in this file: the token, role id and secret id
come from environment variables or files that it *names*.  This module is
imported when the registry is built, so it imports nothing heavy; the
environment is read when a sync runs (:mod:`stagecraft_vault.settings`).
"""

from __future__ import annotations

from typing import Any

import attrs

from stagecraft.config_fields import at_least, positive_seconds
from stagecraft.errors import InvalidConfigError

AUTH_METHODS = ("token", "approle")


def _check_auth(_instance: object, _attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in AUTH_METHODS:
        raise InvalidConfigError(f"auth must be one of {', '.join(AUTH_METHODS)}, not {value!r}")


def _check_kv_version(_instance: object, _attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise InvalidConfigError(f"kv_version must be 0 (ask the server), 1 or 2, not {value!r}")


def _check_mount(_instance: object, _attribute: attrs.Attribute[Any], value: str) -> None:
    if ".." in value.split("/"):
        raise InvalidConfigError(f"mount must not contain '..': {value!r}")


@attrs.frozen
class Config:
    """Settings of the vault store (all optional; the environment fills the gaps)."""

    address: str = ""
    namespace: str = ""
    mount: str = attrs.field(default="", validator=_check_mount)
    kv_version: int = attrs.field(default=0, validator=_check_kv_version)
    ca_cert: str = ""
    tls_skip_verify: bool = False
    auth: str = attrs.field(default="token", validator=_check_auth)
    token_env: str = ""
    token_file: str = ""
    approle_mount: str = "approle"
    role_id_env: str = "VAULT_ROLE_ID"
    role_id_file: str = ""
    secret_id_env: str = "VAULT_SECRET_ID"  # noqa: S105 - a variable name
    secret_id_file: str = ""
    timeout: float = attrs.field(default=30.0, validator=positive_seconds)
    max_request_strings: int = attrs.field(default=1000, validator=at_least(10))
