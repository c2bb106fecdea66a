"""Helpers shared by the vault tests (on pytest's pythonpath, imported by name)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from stagecraft.providers.secrets import Context
from stagecraft.testing import TRICKY_VALUES
from stagecraft.testing.servers.openbao import DevServer, dev_server
from stagecraft_vault.config import Config

#: Values that must arrive byte for byte: the envfile round-trip set, a PEM key, unicode, empty.
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
    "-----END PRIVATE KEY-----\n"
)
VALUES = {
    **TRICKY_VALUES,
    "PEM_KEY": PEM,
    "UNICODE_MIX": "\u00e9\u00e8 \u4e2d\u6587 \u0645\u0631\u062d\u0628\u0627 \U0001f510 \u200b",
    "EMPTY": "",
    "CRLF": "a\r\nb",
    "JSON_LOOKING": '{"a": [1, 2]}',
    "NUL_AND_CONTROL": "a\x00b\x07c",
}


def make_ctx(tmp_path: Path, config: Config | None = None, **kwargs: Any) -> Context:
    return Context(cwd=tmp_path, config_dir=tmp_path, logger=logging.getLogger("stagecraft"),
                  **kwargs, config=config if config is not None else Config())


def kv_get(server: DevServer, path: str, mount: str = "secret") -> tuple[dict[str, Any], int]:
    """The fields and current version of ``mount/path`` (KV v2), straight from the API."""
    status, body = server.request("GET", f"{mount}/data/{path}")
    if status == 404:
        data = body.get("data") or {}
        metadata = data.get("metadata") if isinstance(data, dict) else None
        return {}, int(metadata["version"]) if isinstance(metadata, dict) else 0
    assert status == 200, body
    data = body["data"]
    assert isinstance(data, dict)
    return dict(data["data"] or {}), int(data["metadata"]["version"])


def kv_put(server: DevServer, path: str, fields: Mapping[str, Any], mount: str = "secret") -> int:
    """Write ``fields`` as the whole secret (KV v2), as another client would; the new version."""
    status, body = server.request("POST", f"{mount}/data/{path}", {"data": dict(fields)})
    assert status == 200, body
    data = body["data"]
    assert isinstance(data, dict)
    return int(data["version"])


@contextlib.contextmanager
def page_environment(workdir: Path) -> Iterator[dict[str, str]]:
    """A dev server for one docs page (``<!-- server: bao -->``): the variables to run with."""
    del workdir  # the dev server keeps its files in a directory of its own
    with dev_server() as server:
        yield server.env()


class SilentServer:
    """Listens on 127.0.0.1, accepts connections and never answers; counts what it accepted.

    The count is how many requests a client started (each timed-out request
    leaves its connection unusable, so a retry opens a new one).
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.address = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            self.accepted.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self.accepted:
            connection.close()
        self._listener.close()
