"""The credentials a URL can carry, kept out of what is shown.

``http://ci:Hunter2Pass99@vault:8200`` holds a user and a password in its
*userinfo* (before the ``@``), and ``https://TOKEN@host`` a token.  A store
that names its server in messages ("cannot reach ...") shows the URL
through :func:`shown_url`: the userinfo is removed from the text, and
registered for masking, so a library that quotes the full URL in its own
error is masked too.  :func:`mask_userinfo` does the same for text that
shows where the userinfo was (``config show``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

__all__ = ["mask_userinfo", "shown_url", "strip_userinfo", "userinfo_secrets"]

#: ``scheme://USERINFO@``: the userinfo runs to the last ``@`` before the path.
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/?#\s]*)@",
                       re.IGNORECASE)


def userinfo_secrets(text: str) -> list[str]:
    """Each userinfo in ``text``, its password part and their decoded forms, to mask."""
    found: list[str] = []
    for match in _USERINFO.finditer(text):
        userinfo = match.group("userinfo")
        password = userinfo.partition(":")[2]
        for part in (userinfo, password):
            if part:
                found += [part, unquote(part)]
    return found


def strip_userinfo(text: str) -> str:
    """``text`` with the userinfo of every URL in it removed (``http://host``)."""
    return _USERINFO.sub(lambda match: match.group("scheme"), text)


def mask_userinfo(text: str, mask: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``mask``."""
    return _USERINFO.sub(lambda match: f"{match.group('scheme')}{mask}@", text)


def shown_url(url: str, add_secrets: Callable[[Iterable[str]], None]) -> str:
    """``url`` as a message may show it; its userinfo goes to ``add_secrets`` for masking.

    Pass the run's ``ctx.add_secrets``.  The URL itself (with its userinfo)
    is what the store still connects to.
    """
    secrets = userinfo_secrets(url)
    if not secrets:
        return url
    add_secrets(secrets)
    return strip_userinfo(url)
