"""``stagecraft config show``: the configuration a sync would run with.

The file that was found (or none), the provider it chooses, ``secrets.from``
and ``secrets.to``, the plugin settings after the environment
(``STAGECRAFT_DISABLE_PLUGINS``, ``STAGECRAFT_LOAD_PLUGINS``), ``-p`` and
``--plugins-dir`` are applied, and each provider section structured into
its ``Config`` class, so every default is filled in.

A config file should hold no secrets, yet some do (a Vault token, a URL
with a password, a plugin's ``Authorization`` header).  Every setting whose
name looks like a credential, every value that reads like an HTTP
credential (``Bearer ...``, ``Basic ...``), and the user and password of
any URL are masked, so the output can be pasted into an issue as it is.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from stagecraft.urls import mask_userinfo

__all__ = ["MASK", "looks_like_credential", "mask", "render"]

MASK = "********"

#: Setting names that hold credentials: ``token``, ``vault_token``, ``secret_id``,
#: ``password``, ``api_key``, ``private_key``, ``credentials`` ...
_CREDENTIAL_NAME = re.compile(
    r"(^|[_.-])(token|secret|secret_id|password|passwd|pwd|api_?key|private_?key|access_?key"
    r"|credentials?|passphrase|client_secret|session_token|authorization|auth_?header"
    r"|cookie|api_?token)([_.-]|$)",
    re.IGNORECASE,
)
#: Values that carry an HTTP credential whatever the setting is called:
#: ``Bearer eyJ...``, ``Basic dXNlcjpwYXNz``, ``Token abc``.
_CREDENTIAL_VALUE = re.compile(r"^\s*(bearer|basic|token|digest|negotiate|apikey)\s+\S",
                               re.IGNORECASE)
#: ...unless the setting only says where the credential is (``token_env``,
#: ``secret_id_file``, ``approle_mount``): those are shown, they help debugging.
_REFERENCE = re.compile(r"[_.-](env|file|path|mount|var|name)$", re.IGNORECASE)


def looks_like_credential(name: str) -> bool:
    return _CREDENTIAL_NAME.search(name) is not None and _REFERENCE.search(name) is None


def mask(value: Any, name: str = "") -> Any:
    """``value`` with credentials masked: by the setting's name, and URL passwords anywhere."""
    if isinstance(value, dict):
        return {key: mask(item, str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask(item, name) for item in value]
    if name and looks_like_credential(name) and value not in (None, "", False):
        return MASK
    if isinstance(value, str):
        if _CREDENTIAL_VALUE.match(value):
            return MASK
        return mask_userinfo(value, MASK)
    return value


def section(config_object: Any) -> Any:
    """A structured provider section as plain data (attrs instances field by field)."""
    from stagecraft.describe import _plain

    if attrs.has(type(config_object)):
        out = {}
        for field in attrs.fields(type(config_object)):
            key = field.metadata.get("key", field.alias or field.name)
            out[key] = _plain(getattr(config_object, field.name))
        return out
    return _plain(config_object)


def render(data: dict[str, Any]) -> str:
    """The text form: YAML, the language of ``stagecraft.yml`` itself."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")
