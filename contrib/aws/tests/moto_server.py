"""A real ``moto_server`` on a free port of 127.0.0.1, for the tests and the benchmarks.

Also the dummy credentials and the environment a user of the AWS stores
would have, pointed at it.  The secret parts of the credentials are
canaries: no output of a sync may contain them.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

#: Dummy credentials; the secret parts are canaries that no output may contain.
ACCESS_KEY_ID = "AKIATESTSTAGECRAFT01"
SECRET_ACCESS_KEY = "canary-secret-access-key-4Rt9-do-not-leak"
SESSION_TOKEN = "canary-session-token-8Yp2-do-not-leak"
REGION = "eu-west-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_binary() -> str:
    found = Path(sys.executable).with_name("moto_server")
    if found.exists():
        return str(found)
    on_path = shutil.which("moto_server")
    if on_path is None:
        raise RuntimeError("moto_server is not installed: `make install` adds moto[server]")
    return on_path


class MotoServer:
    """A running ``moto_server``: its URL and process."""

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


def aws_environment(endpoint: str, home: Path) -> dict[str, str]:
    """The variables a user of the stores would set, pointing at ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "AWS_DEFAULT_REGION": REGION,
        # Keep the user's ~/.aws (and any instance metadata lookup) out of it.
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@contextlib.contextmanager
def page_environment(workdir: Path) -> Iterator[dict[str, str]]:
    """A moto server for one docs page (``<!-- server: moto -->``): the variables to run with."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = MotoServer(workdir / "moto.log")
    try:
        server.wait_ready()
        yield aws_environment(server.url, workdir)
    finally:
        server.stop()
