"""Test helpers for the age store: keys, and the two independent age implementations.

* :class:`Project`: a working directory with a key, and syncs into it.
* :func:`new_identity_file` writes a fresh X25519 key as ``age-keygen`` does.
* :func:`ssh_key_pair` makes an unencrypted ed25519 or RSA SSH key pair.
* :func:`age_cli` is the ``age`` command (Debian's ``age``, Go, by age's
  authors).  ``.ci/run`` installs it, so a missing ``age`` fails the tests;
  a developer without it sets ``SKIP_AGE_CLI=1`` to skip those tests instead
  (the root conftest removes ``CI`` and every ``STAGECRAFT_*`` variable from
  the environment, so neither can carry that choice).
* :func:`node_age` runs ``age-encryption`` from npm (typage, TypeScript, by
  age's author), pinned in tests/node/package.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from pyrage import x25519

from stagecraft.providers.secrets import Context, SyncOptions, SyncResult
from stagecraft.testing import write_env_file
from stagecraft_age import AgeStore
from stagecraft_age.config import Config

#: The store these tests drive (the plugin builds its own in the hook).
PROVIDER = AgeStore()

NODE_DIR = Path(__file__).resolve().parents[3] / "tests" / "node"

#: Set to 1 to skip (rather than fail) the tests that need the age CLI.
SKIP_AGE_CLI = "SKIP_AGE_CLI"


@attrs.frozen
class Project:
    """A working directory, one identity file in it and that identity's recipient."""

    root: Path
    key_file: Path
    recipient: str

    def config(self, **fields: Any) -> Config:
        """A config encrypting to this project's recipient and decrypting with its key."""
        fields.setdefault("recipients", [self.recipient])
        fields.setdefault("identities", [str(self.key_file)])
        return Config(**fields)

    def sync(self, values: Mapping[str, str] | None = None, target: str = "secrets.env.age",
             config: Config | None = None, **options: Any) -> SyncResult:
        """Sync ``values`` (written to ``src.env``; None: the file as it is) into ``target``."""
        if values is not None:
            write_env_file(self.root / "src.env", values)
        opts = SyncOptions(config=config or self.config(), source="src.env", target=target,
                           **options)
        return PROVIDER.sync(Context(cwd=self.root), opts)

    def read(self, location: str = "secrets.env.age", config: Config | None = None
             ) -> Mapping[str, str]:
        ctx = Context(cwd=self.root, config=config or self.config())
        return PROVIDER.read(ctx, location, None)


def new_identity_file(path: Path) -> str:
    """Write a new age identity to ``path`` (0600, with age-keygen's comments); its recipient."""
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    path.write_text(
        f"# created: 2026-01-01T00:00:00Z\n# public key: {recipient}\n{identity}\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return recipient


def ssh_key_pair(directory: Path, kind: str) -> tuple[Path, str]:
    """An unencrypted ``ed25519`` or ``rsa`` SSH private key file and its public key line."""
    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else (
        rsa.generate_private_key(public_exponent=65537, key_size=2048))
    private = directory / f"id_{kind}"
    private.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption()))
    private.chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public} test@stagecraft"


def age_cli() -> str:
    """The ``age`` command; fails the test when it is missing, unless ``SKIP_AGE_CLI=1``."""
    found = shutil.which("age")
    if found is None:
        if os.environ.get(SKIP_AGE_CLI) == "1":
            pytest.skip("the age CLI is not installed (SKIP_AGE_CLI=1)")
        pytest.fail(
            "the age CLI is not installed: `apt-get install age` (.ci/run does), "
            "or set SKIP_AGE_CLI=1 to skip the tests that need it"
        )
    return found


def run_age(*args: str | Path, cwd: Path) -> bytes:
    """Run the age CLI; its stdout.  A failure shows age's own message."""
    done = subprocess.run([age_cli(), *map(str, args)], cwd=cwd, capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, f"age {args[0]} failed: {done.stderr.decode(errors='replace')}"
    return done.stdout


def age_keygen(path: Path) -> str:
    """A new identity file written by ``age-keygen`` (beside ``age``); its recipient."""
    keygen = Path(age_cli()).with_name("age-keygen")
    done = subprocess.run([keygen, "-o", path], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, f"age-keygen failed: {done.stderr.decode(errors='replace')}"
    return next(line.split(": ", 1)[1] for line in path.read_text().splitlines()
                if line.startswith("# public key: "))


_NODE_SCRIPT = r"""
import fs from "node:fs";
import { Encrypter, Decrypter, armor } from "age-encryption";
const job = JSON.parse(fs.readFileSync(0, "utf8"));
const input = fs.readFileSync(job.input);
if (job.op === "encrypt") {
  const encrypter = new Encrypter();
  for (const recipient of job.recipients) encrypter.addRecipient(recipient);
  const sealed = await encrypter.encrypt(input);
  fs.writeFileSync(job.output, job.armor ? armor.encode(sealed) : sealed);
} else {
  const decrypter = new Decrypter();
  for (const identity of job.identities) decrypter.addIdentity(identity);
  const text = input.toString("latin1");
  const sealed = text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")
    ? armor.decode(text) : input;
  fs.writeFileSync(job.output, await decrypter.decrypt(sealed));
}
"""


def node_age(job: dict[str, object]) -> None:
    """Run one ``encrypt`` or ``decrypt`` job with ``age-encryption`` (paths absolute)."""
    node = shutil.which("node")
    assert node is not None, "node is required for the age-encryption interop tests"
    assert (NODE_DIR / "node_modules" / "age-encryption").is_dir(), (
        "run `make test` to install tests/node (npm ci)")
    done = subprocess.run(
        [node, "--input-type=module", "-e", _NODE_SCRIPT],
        input=json.dumps(job), capture_output=True, text=True, cwd=NODE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}, timeout=120, check=False,
    )
    assert done.returncode == 0, f"age-encryption {job['op']} failed: {done.stderr}"


def identity_line(key_file: Path) -> str:
    """The ``AGE-SECRET-KEY-1...`` line of an identity file (for age-encryption)."""
    return next(line for line in key_file.read_text().splitlines()
                if line.startswith("AGE-SECRET-KEY-"))
