"""Who an age file is encrypted to (recipients) and the private keys that open it (identities).

Both are read as the age CLI and SOPS read them, so the files a team
already has work unchanged: recipients as ``age -r`` / ``age -R`` take them,
identities from age identity files (``age-keygen`` output, SOPS's
``keys.txt``) or unencrypted SSH private keys.

Messages name the file (and line) or the config key at fault, never the
text of a key: someone who pastes a private key where a public key belongs
must not see it echoed into a CI log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pyrage
from pyrage import ssh, x25519

from stagecraft.errors import UserError
from stagecraft.files import read_bytes
from stagecraft.providers.secrets import Context
from stagecraft_age.config import Config

__all__ = ["AgeKeyError", "Identity", "Recipient", "identities", "identity_files", "recipients"]

Recipient = x25519.Recipient | ssh.Recipient
Identity = x25519.Identity | ssh.Identity

_SECTION = "secrets.providers.age"
_PRIVATE_PREFIX = "AGE-SECRET-KEY-"
_ENCRYPTED_PREFIXES = (b"age-encryption.org/", b"-----BEGIN AGE ENCRYPTED FILE-----")


class AgeKeyError(UserError):
    """A recipient or identity that cannot be used; the message names where it is."""


def _recipient(text: str, where: str) -> Recipient:
    """``text`` as a recipient; a line naming ``where`` and what is wrong when it is not one."""
    if text.startswith(_PRIVATE_PREFIX):
        raise AgeKeyError(
            f"{where} is a private key, not a recipient: give its public key (age-keygen -y FILE)"
        )
    parse: Callable[[str], Recipient]
    if text.startswith("age1"):
        if "1" in text[4:]:  # a bech32 prefix of its own: a plugin or post-quantum key
            raise AgeKeyError(
                f"{where} is a plugin or post-quantum recipient, which this store cannot "
                "encrypt to"
            )
        parse, kind = x25519.Recipient.from_str, "age public key"
    elif text.startswith("ssh-"):
        parse, kind = ssh.Recipient.from_str, "SSH public key (ssh-ed25519 or ssh-rsa)"
    else:
        raise AgeKeyError(
            f"{where} is not a recipient: expected an age public key (age1...) or an SSH "
            "public key"
        )
    try:
        return parse(text)
    except pyrage.RecipientError:
        raise AgeKeyError(f"{where} is not a valid {kind}") from None


def _lines(data: bytes, path: Path, what: str) -> list[tuple[int, str]]:
    """The numbered lines of a key file that hold a key: no blanks, no ``#`` comments."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AgeKeyError(f"{path}: {what} is not UTF-8 text") from None
    numbered = enumerate(text.splitlines(), 1)
    return [(number, line.strip()) for number, line in numbered
            if line.strip() and not line.lstrip().startswith("#")]


def recipients(ctx: Context, config: Config, target: Path) -> list[Recipient]:
    """Every recipient a write of ``target`` encrypts to (``recipients``, ``recipients_file``)."""
    found = [
        _recipient(text.strip(), f"{target}: {_SECTION}.recipients[{index}]")
        for index, text in enumerate(config.recipients)
    ]
    if config.recipients_file:
        path = ctx.resolve(config.recipients_file, from_config=True)
        data = read_bytes(path, what="age recipients file")
        found += [_recipient(line, f"{path}:{number}: this line")
                  for number, line in _lines(data, path, "age recipients file")]
    if not found:
        raise AgeKeyError(
            f"{target}: no recipients to encrypt to: set {_SECTION}.recipients "
            "(age or SSH public keys) or recipients_file"
        )
    return found


def identity_files(ctx: Context, config: Config) -> tuple[list[Path], str]:
    """The files to take identities from, and where that choice came from (for messages).

    The config's ``identities``; else ``SOPS_AGE_KEY_FILE``; else SOPS's
    default, ``$XDG_CONFIG_HOME/sops/age/keys.txt`` (``~/.config`` when the
    variable is unset or not an absolute path, as SOPS has it).
    """
    if config.identities:
        files = [ctx.resolve(name, from_config=True) for name in config.identities]
        return files, f"{_SECTION}.identities"
    from_environment = os.environ.get("SOPS_AGE_KEY_FILE")
    if from_environment:
        return [ctx.resolve(from_environment)], "SOPS_AGE_KEY_FILE"
    base = os.environ.get("XDG_CONFIG_HOME", "")
    config_home = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return [config_home / "sops" / "age" / "keys.txt"], "SOPS's default location"


def _identities_in(path: Path, data: bytes) -> list[Identity]:
    if data.lstrip().startswith(_ENCRYPTED_PREFIXES):
        raise AgeKeyError(f"{path}: passphrase-protected identity files are not supported")
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            return [ssh.Identity.from_buffer(data)]
        except pyrage.IdentityError:
            raise AgeKeyError(
                f"{path}: not a usable SSH private key (passphrase-protected SSH keys "
                "are not supported)"
            ) from None
    found: list[Identity] = []
    for number, line in _lines(data, path, "age identity file"):
        if line.startswith("AGE-PLUGIN-"):
            raise AgeKeyError(f"{path}:{number}: plugin identities are not supported")
        if not line.startswith(_PRIVATE_PREFIX):
            raise AgeKeyError(f"{path}:{number}: not an age identity (AGE-SECRET-KEY-1...)")
        try:
            found.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise AgeKeyError(f"{path}:{number}: not a valid age identity") from None
    if not found:
        raise AgeKeyError(f"{path}: holds no identity")
    return found


def identities(ctx: Context, config: Config) -> tuple[list[Identity], str]:
    """The identities to decrypt with, and where they came from (for messages)."""
    files, origin = identity_files(ctx, config)
    found: list[Identity] = []
    for path in files:
        if not path.exists():
            raise AgeKeyError(
                f"{path}: identity file not found (from {origin}); set {_SECTION}.identities "
                "or SOPS_AGE_KEY_FILE to the file that holds your age key"
            )
        found += _identities_in(path, read_bytes(path, what="age identity file"))
    return found, origin
