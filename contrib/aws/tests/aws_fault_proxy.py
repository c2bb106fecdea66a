"""A small HTTP proxy in front of moto that adds latency and injects AWS's failures.

moto never throttles or fails by itself; the real services do.  The proxy
forwards every request to moto, after ``latency`` seconds, unless its
:class:`Faults` policy picks a failure for it:

* ``throttle``: HTTP 400 ``ThrottlingException`` "Rate exceeded" (what
  PutParameter answers past its quota), without forwarding;
* ``server``: HTTP 500 ``InternalServiceError``, without forwarding;
* ``reset``: the connection is reset before the request reaches moto;
* ``deny`` / ``kms``: AccessDeniedException / KMSInvalidStateException;
* ``lost``: the request reaches moto (the write lands) and then the
  connection is reset, so the client never sees the answer.

The policy is deterministic: the n-th call of an operation fails when the
plan says so, and every decision is counted, so tests can assert exactly
how many faults were served.  The benchmarks load this file by path.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import ClassVar


@dataclasses.dataclass(frozen=True)
class Call:
    """One request as the policy sees it.

    ``operation`` is AWS's name (``X-Amz-Target``, e.g. PutParameter);
    ``resource`` the parameter or secret it names ('' for none); ``nth``
    counts calls of the operation and ``attempt`` calls of the operation on
    that resource, both from 1.
    """

    operation: str
    resource: str
    nth: int
    attempt: int


Decider = Callable[[Call], str]  # -> a fault of _ERRORS, "reset", "lost" or "pass"


def every(pattern: dict[str, tuple[str, ...]]) -> Decider:
    """A policy cycling through ``pattern[operation]`` (e.g. ``("throttle", "pass")``)."""

    def decide(call: Call) -> str:
        faults = pattern.get(call.operation)
        return faults[(call.nth - 1) % len(faults)] if faults else "pass"

    return decide


def _pass(_call: Call) -> str:
    return "pass"


class Faults:
    """What the proxy does to each call, and what it did (thread-safe)."""

    def __init__(self, decide: Decider | None = None, latency: float = 0.0) -> None:
        self.decide: Decider = decide or _pass
        self.latency = latency
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # per operation
        self.attempts: Counter[tuple[str, str]] = Counter()  # per (operation, resource)
        self.served: Counter[tuple[str, str]] = Counter()  # (operation, fault)
        self.in_flight = 0
        self.max_in_flight = 0
        self.upstream_errors: list[str] = []  # moto failing to answer the proxy
        #: moto's own 5xx answers per (operation, resource): moto fails a share of
        #: concurrent CreateSecret calls (a race in its secret table), which the
        #: client retries like any other 5xx.
        self.upstream_failures: Counter[tuple[str, str]] = Counter()

    def next(self, operation: str, resource: str) -> str:
        with self.lock:
            self.calls[operation] += 1
            self.attempts[(operation, resource)] += 1
            call = Call(operation, resource, self.calls[operation],
                        self.attempts[(operation, resource)])
            fault = self.decide(call)
            self.served[(operation, fault)] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return fault

    def done(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def reset(self, decide: Decider | None = None, latency: float | None = None) -> None:
        with self.lock:
            self.decide = decide or _pass
            if latency is not None:
                self.latency = latency
            self.calls.clear()
            self.attempts.clear()
            self.served.clear()
            self.upstream_failures.clear()
            self.max_in_flight = self.in_flight

    def total(self) -> int:
        with self.lock:
            return sum(self.calls.values())

    def count(self, fault: str) -> int:
        with self.lock:
            return sum(n for (_op, kind), n in self.served.items() if kind == fault)


_ERRORS = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "server": (500, "InternalServiceError", "An internal error occurred (injected)."),
    "deny": (400, "AccessDeniedException",
             "User: arn:aws:iam::123456789012:user/ci is not authorized to perform this action"),
    "kms": (400, "KMSInvalidStateException", "arn:aws:kms:eu-west-1:123456789012:key/k1 is "
            "pending deletion."),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: with Nagle's algorithm the body
    # would wait for the client's delayed ACK (up to 40 ms a request).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read the counters, not a log."""

    def _reset(self) -> None:
        # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        operation = target.rpartition(".")[2] or self.path
        resource = _resource(body)
        faults = self.server.faults
        fault = faults.next(operation, resource)
        try:
            self._answer(fault, body, (operation, resource))
        finally:
            faults.done()

    def _answer(self, fault: str, body: bytes, call: tuple[str, str]) -> None:
        if self.server.faults.latency:
            time.sleep(self.server.faults.latency)
        if fault == "reset":
            self._reset()
            return
        if fault in _ERRORS:
            status, code, message = _ERRORS[fault]
            payload = json.dumps({"__type": code, "message": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-ErrorType", code)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        try:
            status, headers, answer = self.server.forward("POST", self.path, body, self.headers)
        except OSError as exc:
            with self.server.faults.lock:
                self.server.faults.upstream_errors.append(repr(exc))
            self._reset()
            return
        if status >= 500:
            with self.server.faults.lock:
                self.server.faults.upstream_failures[call] += 1
        if fault == "lost":
            self._reset()
            return
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding",
                                    "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def _resource(body: bytes) -> str:
    """The parameter or secret a JSON-protocol request names ('' when none)."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    return str(document.get("Name") or document.get("SecretId") or "")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Many clients' threads connect at once; the default backlog of 5 drops some.
    request_queue_size: ClassVar[int] = 128  # type: ignore[misc]

    def __init__(self, upstream: tuple[str, int], faults: Faults) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.faults = faults

    def forward(
        self, method: str, path: str, body: bytes, headers: http.client.HTTPMessage
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("connection", "host")}
            sent["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


class FaultProxy:
    """The proxy, serving on a free port of 127.0.0.1 in a thread of this process."""

    def __init__(self, upstream: tuple[str, int], faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self._server = _Server(upstream, self.faults)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
