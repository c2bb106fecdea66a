"""One sync's HTTP client for GitHub's REST API, on the standard library.

Requests carry the headers GitHub asks for (a bearer token, its JSON media
type, the API version) over kept-alive ``http.client`` connections, one per
worker thread at a time.  This module owns the transport's failures and
GitHub's rate limits: a 403 or 429 that is a rate limit is waited out
(:mod:`stagecraft_github.pacing`) as long as the sync's deadline allows, and
mutating requests are paced.  Every other answer comes back as a
:class:`Reply`; what it means is :mod:`stagecraft_github.errors`' business.

Each request's timeout is the configured one, cut to what is left of the
sync's deadline; a cancelled sync sends nothing more.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs

from stagecraft.errors import ProviderError, TransientError
from stagecraft.providers.secrets import Context
from stagecraft_github.errors import RateLimitedError
from stagecraft_github.pacing import Pacer, rate_limit_wait
from stagecraft_github.settings import Settings

__all__ = ["API_VERSION", "Client", "RateLimitedError", "Reply"]

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
USER_AGENT = "stagecraft-github"
#: Rate-limit answers waited out for one request before it is reported.
MAX_RATE_LIMIT_WAITS = 4
_MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@attrs.frozen
class Reply:
    """An answer: its status, lower-cased headers and decoded JSON body (empty when none)."""

    status: int
    headers: Mapping[str, str]
    body: Any

    @property
    def message(self) -> str:
        """GitHub's error text (``message``), on one line."""
        found = self.body.get("message") if isinstance(self.body, Mapping) else None
        return " ".join(str(found).split()) if found else f"HTTP {self.status}"


class Client:
    """Requests to one API base for one sync; safe to use from the engine's worker threads."""

    def __init__(self, ctx: Context, settings: Settings, where: str) -> None:
        self.ctx = ctx
        self.settings = settings
        #: The location the requests are about, as every message names it.
        self.where = where
        parts = urllib.parse.urlsplit(settings.api_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.pacer = Pacer(settings.min_interval)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<github Client {self.settings.api_url}>"

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    # -- requests -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Send ``method`` to ``API/PATH``, waiting out rate limits within the deadline.

        ``doing`` says what the request is for, as messages show it.
        """
        url = f"{self._prefix}/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        repeat = 0
        while True:
            if method in _MUTATING:
                self.pacer.before_send(self.ctx)
            reply = self._send(method, url, data, doing)
            limit = rate_limit_wait(reply.status, reply.headers, reply.message, repeat,
                                    time.time())
            if limit is None:
                return reply
            if limit.secondary:
                self.pacer.slow_down()
            kind = f"{'secondary ' if limit.secondary else ''}rate limit (HTTP {reply.status})"
            prefix = f"github: {self.where}: {doing}"
            remaining = self.ctx.remaining()
            if repeat >= MAX_RATE_LIMIT_WAITS:
                raise RateLimitedError(
                    f"{prefix}: GitHub answered with its {kind} {repeat + 1} times in a row; "
                    "run again later"
                )
            if remaining is not None and limit.seconds >= remaining:
                raise RateLimitedError(
                    f"{prefix}: GitHub's {kind} asks for a wait of {limit.seconds:.0f} s, past "
                    f"this sync's deadline ({remaining:.0f} s left); run again later, or with "
                    "a longer --timeout"
                )
            self.ctx.logger.warning("%s: %s; waiting %.0f s as GitHub asks", prefix, kind,
                                    limit.seconds)
            self.ctx.wait(limit.seconds)
            self.ctx.check()
            repeat += 1

    def _send(self, method: str, url: str, data: bytes | None, doing: str) -> Reply:
        self.ctx.check()
        timeout = self.settings.timeout
        remaining = self.ctx.remaining()
        if remaining is not None:
            timeout = max(0.05, min(timeout, remaining))
        headers = {
            "Authorization": f"Bearer {self.settings.token}",
            "Accept": MEDIA_TYPE,
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.ctx.logger.debug("github: %s %s", method, url)
        prefix = f"github: {self.where}: {doing}"
        api = self.settings.api_url
        for fresh in (False, True):
            connection: http.client.HTTPConnection | None = None
            reused = False
            try:
                connection, reused = self._acquire(timeout, fresh)
                connection.request(method, url, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
            except TimeoutError:
                _close(connection)
                raise TransientError(
                    f"{prefix}: {api} did not answer within {timeout:g} s"
                ) from None
            except ssl.SSLError as exc:
                _close(connection)
                raise ProviderError(
                    f"{prefix}: TLS failure talking to {api} ({exc.reason or 'handshake failed'}); "
                    "for a GitHub Enterprise server, set SSL_CERT_FILE to its CA file"
                ) from None
            except (ConnectionRefusedError, socket.gaierror):
                _close(connection)
                raise ProviderError(
                    f"{prefix}: cannot reach {api}; is GITHUB_API_URL (or api_url) right?"
                ) from None
            except (http.client.HTTPException, OSError):
                _close(connection)
                if reused and not fresh:
                    continue  # a kept-alive connection the server had closed: once more, anew
                raise TransientError(
                    f"{prefix}: the connection to {api} was lost"
                ) from None
            if response.will_close:
                connection.close()
            else:
                self._release(connection)
            return Reply(response.status, _lowered(response.getheaders()), _decoded(raw))
        raise AssertionError("unreachable: the second attempt returns or raises")

    # -- connections ----------------------------------------------------------------

    def _acquire(self, timeout: float, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        """An idle kept-alive connection (reused: True), or a new one."""
        if not fresh:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is not None:
                connection.timeout = timeout
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
                return connection, True
        made: http.client.HTTPConnection
        if self._https:
            made = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            made = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        # http.client sends a request's headers and body in two writes: without
        # this, Nagle's algorithm holds the body back until the headers are acked.
        made.connect()
        if made.sock is not None:
            made.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return made, False

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append(connection)


def _close(connection: http.client.HTTPConnection | None) -> None:
    if connection is not None:
        connection.close()


def _lowered(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def _decoded(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {}
