"""The AWS tests' ``moto_server`` (launched by :mod:`stagecraft.testing.servers.moto`).

The dummy credentials and the environment a user of the AWS stores
would have, pointed at it.  The secret parts of the credentials are
canaries: no output of a sync may contain them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from stagecraft.testing.servers import free_port
from stagecraft.testing.servers.moto import MotoServer

__all__ = ["MotoServer", "aws_environment", "free_port", "page_environment"]

#: Dummy credentials; the secret parts are canaries that no output may contain.
ACCESS_KEY_ID = "AKIATESTSTAGECRAFT01"
SECRET_ACCESS_KEY = "canary-secret-access-key-4Rt9-do-not-leak"
SESSION_TOKEN = "canary-session-token-8Yp2-do-not-leak"
REGION = "eu-west-1"


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
