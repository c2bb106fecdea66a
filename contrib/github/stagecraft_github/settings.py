"""The token and API base of one sync: the config first, then the environment.

The token comes from ``token`` in the store's config, else ``GITHUB_TOKEN``
(what Actions provides), else ``GH_TOKEN`` (what the ``gh`` CLI reads); it is
registered for masking the moment it is found.  The API base comes from
``api_url``, else ``GITHUB_API_URL`` (what Actions sets, and what GitHub
Enterprise Server needs: ``https://HOST/api/v3``), else api.github.com.
"""

from __future__ import annotations

import os
import urllib.parse

import attrs

from stagecraft.errors import UserError
from stagecraft.providers.secrets import Context
from stagecraft_github.config import DEFAULT_API_URL, Config

__all__ = ["TOKEN_VARIABLES", "Settings", "resolve"]

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")


@attrs.frozen
class Settings:
    """What the HTTP client needs; the token never shows in a repr."""

    api_url: str
    token: str = attrs.field(repr=False)
    timeout: float
    min_interval: float


def api_url(config: Config) -> str:
    """The API base without a trailing slash (config, ``GITHUB_API_URL``, api.github.com)."""
    url = config.api_url or os.environ.get("GITHUB_API_URL", "") or DEFAULT_API_URL
    return url.rstrip("/")


def resolve(ctx: Context, config: Config) -> Settings:
    """The settings of this sync; a :class:`UserError` when no token or a bad API base."""
    base = api_url(config)
    parsed = urllib.parse.urlsplit(base)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        where = "api_url in secrets.providers.github" if config.api_url else "GITHUB_API_URL"
        raise UserError(f"github: {where} is not an http(s) URL: {base!r}")
    token = config.token
    if not token:
        token = next((os.environ[name] for name in TOKEN_VARIABLES if os.environ.get(name)), "")
    token = token.strip()
    if not token:
        raise UserError(
            "github: no token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may write "
            "the secrets, or token under secrets.providers.github"
        )
    ctx.add_secrets([token])
    if not token.isascii() or not token.isprintable() or " " in token:
        # http.client would refuse the header with the token in its message.
        raise UserError("github: the token holds spaces or characters an HTTP header cannot "
                        "carry; check GITHUB_TOKEN, GH_TOKEN or token in the config")
    return Settings(base, token, config.timeout, config.min_interval)
