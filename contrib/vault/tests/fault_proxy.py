"""A small threaded HTTP proxy that makes a share of requests fail, in front of the dev server.

For each request it draws (from a seeded random generator) one of:

* ``ok``: forward it and relay the answer;
* ``500`` / ``429``: answer that status itself, forwarding nothing;
* ``close``: drop the connection before forwarding (nothing reached the server);
* ``lost``: forward it, then drop the connection instead of relaying the
  answer (the server applied the request, the client never hears so).

``write_delay`` (seconds) holds back the answer to every request that is not
a GET, after forwarding it: the server has applied the write, the client
waits (a slow network, or a slow server's answer).

``counts`` says how often each happened.  Stopped by :meth:`FaultProxy.close`.
"""

from __future__ import annotations

import http.client
import http.server
import random
import threading
import urllib.parse
from collections import Counter

OUTCOMES = ("500", "429", "close", "lost")


class FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``upstream`` (``http://host:port``)."""

    def __init__(
        self, upstream: str, share: float, seed: int, *, write_delay: float = 0.0
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.share = share
        self.write_delay = write_delay
        self._closing = threading.Event()
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: no request lines on the test's stderr

            def relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                outcome = proxy.draw()
                if outcome in ("500", "429"):
                    payload = b'{"errors":["injected by the fault proxy"]}'
                    self.send_response(int(outcome))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if outcome == "close":
                    self.close_connection = True
                    return
                connection = http.client.HTTPConnection(
                    proxy.upstream_host, proxy.upstream_port, timeout=30
                )
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    payload = answer.read()
                finally:
                    connection.close()
                if outcome == "lost":
                    self.close_connection = True
                    return
                if self.command != "GET" and proxy.write_delay:
                    proxy._closing.wait(proxy.write_delay)
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_LIST = relay

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def draw(self) -> str:
        with self._lock:
            outcome = "ok"
            if self._random.random() < self.share:
                outcome = self._random.choice(OUTCOMES)
            self.counts[outcome] += 1
            return outcome

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
