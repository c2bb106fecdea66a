"""A local fake of GitHub's REST API for Actions, environment, Dependabot and org secrets.

It follows ``shared/reference/github-actions-secrets.md``: the paths, the
status codes (201 created, 204 updated or deleted, 401 bad credentials,
403 no permission or a rate limit, 404 unknown repository, environment or
secret, 422 a bad name or a stale ``key_id``), pagination (``per_page`` at
most 100, default 30, pages from 1), one key pair per location with its
``key_id``, names stored in upper case, the rate-limit headers on every
answer, and rate-limit answers when a test asks for them.

It holds each location's private key, so every value that reaches it is
decrypted: tests compare what GitHub would hold with what was synced,
exactly.  It serves on 127.0.0.1 on a port the system picks, from a thread
started and stopped by :func:`serving` (HTTP/1.1, connections kept alive,
as GitHub's are).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nacl.public import PrivateKey, SealedBox

TOKEN = "ghp_fakeTokenForTests0123456789abcdefXYZ"
API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
MAX_VALUE_BYTES = 48 * 1024
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOCS = "https://docs.github.com/rest"


@dataclass
class Secret:
    value: str
    created_at: str
    updated_at: str
    visibility: str = ""
    selected_repository_ids: list[int] = field(default_factory=list)


class Scope:
    """One location's secrets and key pair."""

    def __init__(self, limit: int, organization: bool = False) -> None:
        self.limit = limit
        self.organization = organization
        self.secrets: dict[str, Secret] = {}
        self.rotate()

    def rotate(self) -> None:
        """A new key pair and key id (what GitHub does now and then)."""
        self.private = PrivateKey.generate()
        self.key_id = str(int(time.time() * 1e6) % 10**18)

    @property
    def public_key(self) -> str:
        return base64.b64encode(bytes(self.private.public_key)).decode("ascii")

    def values(self) -> dict[str, str]:
        return {name: secret.value for name, secret in self.secrets.items()}


@dataclass
class Repository:
    id: int
    owner: str
    name: str
    actions: Scope = field(default_factory=lambda: Scope(100))
    dependabot: Scope = field(default_factory=lambda: Scope(100))
    environments: dict[str, Scope] = field(default_factory=dict)


@dataclass
class Request:
    """One request as the fake saw it (never its body: bodies hold ciphertext only anyway)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass
class Throttle:
    """Answer the next matching request with this rate limit instead."""

    status: int
    headers: dict[str, str]
    message: str
    methods: tuple[str, ...]


class FakeGitHub:
    """The fake's state; the server thread and the tests share it under ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token = TOKEN
        self.read_only_tokens: set[str] = set()
        self.repositories: dict[tuple[str, str], Repository] = {}
        self.organizations: dict[str, Scope] = {}
        self.requests: list[Request] = []
        self.throttles: deque[Throttle] = deque()
        self.latency = 0.0
        self.on_request: Callable[[Request], None] | None = None
        self.url = ""
        self.in_flight = 0
        self.most_in_flight = 0
        self._next_id = 1000

    # -- set-up ---------------------------------------------------------------------

    def add_repository(self, owner: str, name: str, environments: tuple[str, ...] = ()
                       ) -> Repository:
        with self.lock:
            self._next_id += 1
            repository = Repository(self._next_id, owner, name)
            for environment in environments:
                repository.environments[environment] = Scope(100)
            self.repositories[(owner.lower(), name.lower())] = repository
            return repository

    def add_organization(self, name: str) -> Scope:
        with self.lock:
            scope = Scope(1000, organization=True)
            self.organizations[name.lower()] = scope
            return scope

    def throttle(self, status: int = 429, *, retry_after: float | None = 1,
                 reset_in: float | None = None, secondary: bool = True, count: int = 1,
                 methods: tuple[str, ...] = ("PUT", "DELETE")) -> None:
        """Answer the next ``count`` requests of ``methods`` with a rate limit."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        if reset_in is not None:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(int(time.time() + reset_in))
        message = SECONDARY_MESSAGE if secondary else "API rate limit exceeded for user."
        with self.lock:
            for _ in range(count):
                self.throttles.append(Throttle(status, headers, message, methods))

    def fail_next(self, status: int, message: str = "Server Error", count: int = 1,
                  methods: tuple[str, ...] = ("PUT", "DELETE")) -> None:
        """Answer the next ``count`` requests of ``methods`` with ``status``."""
        with self.lock:
            for _ in range(count):
                self.throttles.append(Throttle(status, {}, message, methods))

    # -- what tests look at --------------------------------------------------------------

    def scope(self, location: str) -> Scope:
        """The scope of a ``github:`` location (without the prefix)."""
        parts = location.split("/")
        with self.lock:
            if parts[0] == "orgs":
                return self.organizations[parts[1].lower()]
            repository = self.repositories[(parts[0].lower(), parts[1].lower())]
            if parts[2:] == ["dependabot"]:
                return repository.dependabot
            if parts[2:3] == ["environments"]:
                return repository.environments["/".join(parts[3:])]
            return repository.actions

    def stored(self, location: str) -> dict[str, str]:
        """What GitHub holds at ``location``, decrypted."""
        scope = self.scope(location)
        with self.lock:
            return scope.values()

    def seen(self, method: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if method is None or r.method == method]

    # -- the API ----------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, dict[str, str], Any]:
        split = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(split.query))
        request = Request(method, split.path, query, headers, time.monotonic())
        with self.lock:
            self.requests.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.on_request is not None:
                self.on_request(request)
            if self.latency:
                time.sleep(self.latency)
            return self._answer(method, split.path, query, headers, body)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            token = headers.get("authorization", "").removeprefix("Bearer ")
            if token != self.token and token not in self.read_only_tokens:
                return 401, {}, {"message": "Bad credentials", "documentation_url": _DOCS}
            for index, throttle in enumerate(self.throttles):
                if method in throttle.methods:
                    del self.throttles[index]
                    return throttle.status, dict(throttle.headers), {
                        "message": throttle.message, "documentation_url": _DOCS}
            segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
            if method in ("PUT", "DELETE") and token in self.read_only_tokens:
                return 403, {}, {"message": "Resource not accessible by personal access token",
                                 "documentation_url": _DOCS}
            return self._route(method, segments, query, body)

    def _route(self, method: str, segments: list[str], query: dict[str, str], body: bytes
               ) -> tuple[int, dict[str, str], Any]:
        not_found = (404, {}, {"message": "Not Found", "documentation_url": _DOCS})
        scope: Scope | None = None
        rest: list[str] = []
        if len(segments) >= 3 and segments[0] == "orgs" and segments[2:4] == ["actions",
                                                                              "secrets"]:
            scope, rest = self.organizations.get(segments[1].lower()), segments[4:]
        elif len(segments) >= 3 and segments[0] == "repos":
            repository = self.repositories.get((segments[1].lower(), segments[2].lower()))
            if repository is None:
                return not_found
            tail = segments[3:]
            if not tail and method == "GET":
                return 200, {}, {"id": repository.id,
                                 "full_name": f"{repository.owner}/{repository.name}"}
            if tail[:2] == ["actions", "secrets"]:
                scope, rest = repository.actions, tail[2:]
            elif tail[:2] == ["dependabot", "secrets"]:
                scope, rest = repository.dependabot, tail[2:]
            elif len(tail) >= 3 and tail[0] == "environments" and tail[2] == "secrets":
                scope, rest = repository.environments.get(tail[1]), tail[3:]
        if scope is None:
            return not_found
        if not rest and method == "GET":
            return self._list(scope, query)
        if rest == ["public-key"] and method == "GET":
            return 200, {}, {"key_id": scope.key_id, "key": scope.public_key}
        if len(rest) != 1:
            return not_found
        name = rest[0].upper()
        if method == "GET":
            secret = scope.secrets.get(name)
            return (200, {}, {"name": name, "created_at": secret.created_at,
                              "updated_at": secret.updated_at}) if secret else not_found
        if method == "DELETE":
            return (204, {}, None) if scope.secrets.pop(name, None) else not_found
        if method == "PUT":
            return self._put(scope, rest[0], body)
        return 404, {}, {"message": "Not Found"}

    @staticmethod
    def _list(scope: Scope, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        per_page = min(100, int(query.get("per_page", "30")))
        page = int(query.get("page", "1"))
        names = sorted(scope.secrets)
        chosen = names[(page - 1) * per_page: page * per_page]
        entries = []
        for name in chosen:
            secret = scope.secrets[name]
            entry = {"name": name, "created_at": secret.created_at,
                     "updated_at": secret.updated_at}
            if scope.organization:
                entry["visibility"] = secret.visibility
            entries.append(entry)
        return 200, {}, {"total_count": len(names), "secrets": entries}

    @staticmethod
    def _put(scope: Scope, raw_name: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        def invalid(message: str) -> tuple[int, dict[str, str], Any]:
            return 422, {}, {"message": message, "documentation_url": _DOCS}

        if not _NAME.fullmatch(raw_name) or raw_name.upper().startswith("GITHUB_"):
            return invalid("Secret names can only contain alphanumeric characters ([a-z], "
                           "[A-Z], [0-9]) or underscores (_).")
        try:
            document = json.loads(body)
            sealed = base64.b64decode(document["encrypted_value"], validate=True)
            key_id = str(document["key_id"])
        except (ValueError, KeyError, TypeError):
            return invalid("Invalid request.")
        if key_id != scope.key_id:
            return invalid("Bad key_id.")
        try:
            value = SealedBox(scope.private).decrypt(sealed).decode("utf-8")
        except Exception:  # any failure to open the box is a bad request
            return invalid("Could not decrypt the value.")
        if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
            return invalid("Secret value is too large.")
        visibility = ""
        selected: list[int] = []
        if scope.organization:
            visibility = str(document.get("visibility", ""))
            if visibility not in ("all", "private", "selected"):
                return invalid("visibility must be all, private or selected.")
            selected = list(document.get("selected_repository_ids", []))
        name = raw_name.upper()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        existing = scope.secrets.get(name)
        if existing is None and len(scope.secrets) >= scope.limit:
            return invalid("Too many secrets.")
        created = existing.created_at if existing else now
        scope.secrets[name] = Secret(value, created, now, visibility, selected)
        return (204 if existing else 201), {}, None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: Buffered: an answer's headers and body leave in one write, as a real server's do
    #: (two small writes would wait out the client's delayed ACK: 40 ms a request).
    wbufsize = 64 * 1024
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, extra, document = self.server.fake.handle(self.command, self.path, headers, body)
        payload = b"" if document is None else json.dumps(document).encode("utf-8")
        self.send_response(status)
        reset = str(int(time.time()) + 3600)
        for name, value in {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999",
                            "x-ratelimit-used": "1", "x-ratelimit-reset": reset,
                            **extra}.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if status != 204:
            self.wfile.write(payload)

    do_GET = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``FakeGitHub.requests`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGitHub


@contextlib.contextmanager
def serving(fake: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    """Serve ``fake`` (a new one by default) on 127.0.0.1 until the block ends."""
    fake = fake or FakeGitHub()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="fake-github", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def page_environment(workdir: Path) -> Iterator[dict[str, str]]:
    """For the docs' pages: a fake holding ``octo/app`` (environment ``production``)."""
    with serving() as fake:
        fake.add_repository("octo", "app", environments=("production",))
        fake.add_organization("octo")
        yield {"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN}
