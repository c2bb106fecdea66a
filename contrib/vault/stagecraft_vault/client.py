"""One sync's connection to the server, through hvac, and the meaning of every failure.

hvac (and so requests) is imported here, and this module is imported only
when a vault sync runs.  Requests go through hvac's raw adapter, which
adds the token and namespace headers and joins the address; the status
codes are read here rather than through hvac's exceptions so that each one
maps to exactly one message (:mod:`stagecraft_vault.errors`).

The configured ``timeout`` bounds a whole operation (a read or a write,
with its login, mount lookup and retries: :meth:`Connection.bounded`), and
each request's timeout is cut to what is left of it and of the sync's
deadline; a cancelled sync sends nothing more.  A write sent and not
answered is an :class:`~stagecraft.OutcomeUnknownError`: the engine then
reports its keys as unknown, never as not written.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
import urllib.parse
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import hvac  # type: ignore[import-untyped]
import hvac.adapters  # type: ignore[import-untyped]
import requests

from stagecraft_vault.errors import (
    LostAnswerError,
    NoAnswerError,
    ProviderError,
    TransientError,
    UnansweredWriteError,
    reason,
)
from stagecraft_vault.location import Location

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_vault.settings import Settings

#: Status codes worth another try: throttling and the server's (or a proxy's) 5xx.
_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
#: Serialises requests made without TLS verification (see Connection._insecure_request).
_INSECURE_LOCK = threading.Lock()
#: Retries of a request that changes nothing, and their backoff (seconds, doubling).
RETRIES = 3
BACKOFF = 0.2
MAX_BACKOFF = 5.0


@attrs.frozen
class Reply:
    """A status code and the decoded JSON body (empty when there was none)."""

    status: int
    body: Mapping[str, Any]

    @property
    def errors(self) -> list[str]:
        found = self.body.get("errors")
        return [str(error) for error in found] if isinstance(found, list) else []

    @property
    def data(self) -> Mapping[str, Any]:
        found = self.body.get("data")
        return found if isinstance(found, Mapping) else {}


@attrs.frozen
class Mount:
    """What the server says about the mount holding a location."""

    location: Location  # corrected when the mount is deeper than the first segment
    version: int  # KV version: 1 or 2


def _connect_failed(exc: BaseException) -> bool:
    """Whether the connection was never made (refused, no route, unknown host)."""
    import urllib3.exceptions

    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
            return True
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        inner = getattr(current, "reason", None)  # urllib3's MaxRetryError wraps the cause
        if isinstance(inner, BaseException):
            pending.append(inner)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return False


def _tls_reason(exc: BaseException) -> str:
    """What went wrong in the handshake, in a few words (OpenSSL's text is long)."""
    text = str(exc)
    detail = re.search(r"certificate verify failed: ([^()'\"]+)", text)
    if detail:
        return f"certificate verify failed ({detail.group(1).strip()})"
    if "certificate verify failed" in text.lower():
        return "certificate verify failed"
    if "wrong version number" in text.lower():
        return "the server does not speak TLS there (should the address start with http://?)"
    return "the TLS handshake failed"


class Connection:
    """hvac's client for one sync: the session, the token, the error mapping."""

    def __init__(self, ctx: Context, settings: Settings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.address = settings.shown_address or settings.address  # messages show this one
        self._client = hvac.Client(
            url=settings.address,
            token=settings.token,
            verify=settings.verify,
            timeout=settings.timeout,
            namespace=settings.namespace or None,
            adapter=hvac.adapters.RawAdapter,
        )
        #: When the operation under way must end (:meth:`bounded`); None: no operation.
        self._until: float | None = None

    def __repr__(self) -> str:
        return f"<vault Connection {self.address}>"

    def close(self) -> None:
        self._client.adapter.close()

    # -- transport -----------------------------------------------------------------

    @contextlib.contextmanager
    def bounded(self) -> Iterator[None]:
        """One operation: its requests and their retries end within the configured timeout.

        Nested uses keep the outer bound (a write's re-read belongs to the write).
        """
        if self._until is not None:
            yield
            return
        self._until = time.monotonic() + self.settings.timeout
        try:
            yield
        finally:
            self._until = None

    def _time_left(self) -> tuple[float, str]:
        """Seconds a request may take now, and what limits it (for messages)."""
        left, why = self.settings.timeout, "secrets.providers.vault.timeout"
        if self._until is not None:
            left = min(left, self._until - time.monotonic())
        remaining = self.ctx.remaining()
        if remaining is not None and remaining < left:
            left, why = remaining, "the --timeout deadline"
        return left, why

    def call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        body: Mapping[str, Any] | None = None,
        retry: bool | None = None,
    ) -> Reply:
        """Send one request to ``/v1/PATH``; transport failures become store errors.

        ``doing`` says what the request is for, as messages show it
        (``reading secret/myapp``).  Every HTTP status comes back as a
        :class:`Reply`: :meth:`fail` turns the unexpected ones into errors.

        Requests that change nothing (``retry``, by default every GET) are
        retried here with backoff on throttling, 5xx, dropped connections and
        timeouts.  Writes are not: their :class:`TransientError` goes to the
        engine, which retries the whole write, check-and-set included.
        """
        retry = method.upper() == "GET" if retry is None else retry
        attempt = 0
        while True:
            failure: TransientError | None = None
            try:
                reply = self._send(method, path, doing=doing, body=body)
            except TransientError as exc:
                failure = exc
            else:
                if not self.transient(reply):
                    return reply
            delay = min(MAX_BACKOFF, BACKOFF * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311
            if not retry or attempt >= RETRIES or self._time_left()[0] <= delay:
                if failure is not None:
                    raise failure  # the last outcome is the one reported
                return reply
            attempt += 1
            self.ctx.logger.debug("vault: retrying %s in %.2f s", doing, delay)
            self.ctx.wait(delay)

    @staticmethod
    def transient(reply: Reply) -> bool:
        """Whether ``reply`` is worth another try (throttling, 5xx; a sealed server is not)."""
        if reply.status == 503 and "sealed" in reason(reply.errors, reply.status).lower():
            return False
        return reply.status in _TRANSIENT or reply.status >= 500

    def _send(
        self, method: str, path: str, *, doing: str, body: Mapping[str, Any] | None
    ) -> Reply:
        self.ctx.check()
        left, why = self._time_left()
        # A request that changes the secret (not a read, not a login) was perhaps
        # applied when no answer came: its outcome is then unknown.
        changes = method.upper() not in ("GET", "LIST") and not path.startswith("auth/")
        if left <= 0:
            raise NoAnswerError(
                f"vault: no time left for {doing} at {self.address} ({why} has passed)")
        timeout = max(0.05, left)
        url = "/v1/" + urllib.parse.quote(path, safe="/")
        self.ctx.logger.debug("vault: %s %s", method.upper(), url)
        try:
            if self.settings.verify is False:
                response = self._insecure_request(method, url, body, timeout)
            else:
                response = self._client.adapter.request(
                    method, url, json=body, raise_exception=False, timeout=timeout
                )
        except requests.exceptions.SSLError as exc:
            raise ProviderError(
                f"vault: TLS failure talking to {self.address} while {doing}: "
                f"{_tls_reason(exc)}; set VAULT_CACERT or secrets.providers.vault.ca_cert "
                "to the server's CA file"
            ) from None
        except requests.exceptions.Timeout as exc:
            # Not retried: the timeout bounds the operation, retries included.
            sent = changes and not isinstance(exc, requests.exceptions.ConnectTimeout)
            text = (f"vault: {self.address} did not answer within {timeout:.3g} s ({why}) "
                    f"while {doing}")
            raise (UnansweredWriteError(text) if sent else NoAnswerError(text)) from None
        except requests.exceptions.ConnectionError as exc:
            if _connect_failed(exc):
                raise ProviderError(
                    f"vault: cannot reach {self.address} while {doing} (connection failed); "
                    "is the server running, and is VAULT_ADDR right?"
                ) from None
            text = f"vault: the connection to {self.address} was lost while {doing}"
            raise (LostAnswerError(text) if changes else TransientError(text)) from None
        except requests.exceptions.RequestException as exc:
            raise ProviderError(
                f"vault: request to {self.address} failed while {doing}: {type(exc).__name__}"
            ) from None
        try:
            decoded = json.loads(response.content) if response.content else {}
        except ValueError:
            decoded = {}
        return Reply(response.status_code, decoded if isinstance(decoded, Mapping) else {})

    def _insecure_request(
        self, method: str, url: str, body: Mapping[str, Any] | None, timeout: float
    ) -> requests.Response:
        """A request without TLS verification, urllib3's warning for each one silenced.

        The loud warning was logged once, in :func:`settings.resolve`.  Warning
        filters are process-wide and ``catch_warnings`` is not thread-safe, so
        these requests take a lock (only syncs with ``tls_skip_verify`` do).
        """
        with _INSECURE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response: requests.Response = self._client.adapter.request(
                method, url, json=body, raise_exception=False, timeout=timeout
            )
        return response

    # -- meaning of a failed reply --------------------------------------------------

    def fail(self, reply: Reply, doing: str, where: Location | str) -> ProviderError:
        """The error for an unexpected ``reply`` to a request about ``where``."""
        text = reason(reply.errors, reply.status)
        prefix = f"vault: {doing} at {self.address}"
        if reply.status == 503 and "sealed" in text.lower():
            return ProviderError(f"{prefix}: the server is sealed; unseal it, then run again")
        if self.transient(reply):
            return TransientError(f"{prefix}: the server answered {reply.status} ({text})")
        if "preflight capability check" in text or "no handler for route" in text:
            return self._unknown_mount(prefix, where)
        if reply.status in (401, 403):
            if not self.token_valid():
                return ProviderError(
                    f"{prefix}: the token was refused (invalid or expired); set VAULT_TOKEN, "
                    "log in again, or check the AppRole settings"
                )
            return ProviderError(
                f"{prefix}: permission denied; the token's policies do not allow this on {where}"
            )
        return ProviderError(f"{prefix}: the server answered {reply.status} ({text})")

    def _unknown_mount(self, prefix: str, where: Location | str) -> ProviderError:
        mount = where.mount if isinstance(where, Location) else str(where).split("/")[0]
        return ProviderError(
            f"{prefix}: no secrets engine is mounted at {mount + '/'!r} (or the token may not "
            f"use it); check the first segment of the location, or set "
            "secrets.providers.vault.mount"
        )

    def token_valid(self) -> bool:
        """Whether the server accepts the token at all (asked only after a refusal)."""
        try:
            reply = self.call("GET", "auth/token/lookup-self", doing="checking the token")
        except ProviderError:
            return True  # cannot tell: report the original refusal as a permission problem
        return reply.status == 200

    # -- requests every sync makes ------------------------------------------------------

    def login(self, where: Location) -> None:
        """Exchange the AppRole role id and secret id for a token (no-op with a token)."""
        settings = self.settings
        if settings.auth != "approle":
            return
        doing = f"logging in with AppRole (auth/{settings.approle_mount}) for {where}"
        reply = self.call(  # a login changes nothing the sync cares about: retried
            "POST",
            f"auth/{settings.approle_mount}/login",
            doing=doing,
            retry=True,
            body={"role_id": settings.role_id, "secret_id": settings.secret_id},
        )
        auth = reply.body.get("auth")
        token = auth.get("client_token") if isinstance(auth, Mapping) else None
        if reply.status == 200 and isinstance(token, str) and token:
            self.ctx.add_secrets([token])
            self._client.token = token
            return
        text = reason(reply.errors, reply.status)
        if "no handler for route" in text or reply.status == 403:
            # A login path takes no token: 403 means nothing is mounted there.
            raise ProviderError(
                f"vault: {doing} at {self.address}: no AppRole auth method is enabled at "
                f"auth/{settings.approle_mount}; set secrets.providers.vault.approle_mount"
            )
        if reply.status in (400, 401, 403) and "sealed" not in text.lower():
            raise ProviderError(
                f"vault: {doing} at {self.address}: the login was refused ({text}); "
                "check the role id and secret id"
            )
        raise self.fail(reply, doing, where)

    def mount(self, where: Location, kv_version: int) -> Mount:
        """The KV version of ``where``'s mount (and the real mount path), from the server."""
        if kv_version:
            return Mount(where, kv_version)
        doing = f"looking up the mount of {where}"
        reply = self.call("GET", f"sys/internal/ui/mounts/{where}", doing=doing)
        if reply.status != 200:
            raise self.fail(reply, doing, where)
        data = reply.data
        engine = str(data.get("type", ""))
        if engine not in ("kv", "generic"):
            mount_path = str(data.get("path", where.mount))
            raise ProviderError(
                f"vault: {where} at {self.address}: the mount {mount_path!r} is a "
                f"{engine or 'unknown'} secrets engine, not kv"
            )
        options = data.get("options")
        version = 2 if isinstance(options, Mapping) and str(options.get("version")) == "2" else 1
        mount_path = str(data.get("path", "")).strip("/")
        return Mount(where.within(mount_path) if mount_path else where, version)
