"""A real ``moto_server`` on a free port of 127.0.0.1 (PyPI ``moto[server]``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from stagecraft.testing.servers.ports import free_port

__all__ = ["MotoServer", "moto_binary"]


def moto_binary() -> str:
    """The ``moto_server`` next to this interpreter, else on PATH."""
    found = Path(sys.executable).with_name("moto_server")
    if found.exists():
        return str(found)
    on_path = shutil.which("moto_server")
    if on_path is None:
        raise RuntimeError("moto_server is not installed: `make install` adds moto[server]")
    return on_path


class MotoServer:
    """A running ``moto_server``: its URL and process; its output goes to ``log``."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [moto_binary(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once the server accepts connections; raise if it exits or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"moto_server did not listen on port {self.port} in {timeout} s")

    def stop(self) -> None:
        """Stop the server by its process id (terminate, then kill)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()
