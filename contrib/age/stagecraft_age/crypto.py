"""Encrypting and decrypting one age file in memory, through pyrage (the Rust age).

Each failure is one line naming the file: not an age file, damaged or
truncated, encrypted to a passphrase, or no identity that opens it.
pyrage's own reasons hold no key or content, so their first line may be
shown; the common ones get plainer words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyrage

from stagecraft.errors import UserError
from stagecraft_age.keys import Identity, Recipient

__all__ = ["AgeFileError", "decrypt", "encrypt"]

#: How every age file starts: the binary header line, or the ASCII armor.
_BINARY_HEADER = b"age-encryption.org/"
_ARMOR_HEADER = b"-----BEGIN AGE ENCRYPTED FILE-----"
#: The header line of a file encrypted to a passphrase rather than to keys.
_PASSPHRASE_STANZA = b"\n-> scrypt "

#: pyrage's wording for the failures people meet, and what they mean.
_PLAINER = {
    "failed to fill whole buffer": "it is truncated",
    "decryption error": "its content does not authenticate (changed after encryption)",
    "Unknown age format.": "not a version of age this store knows",
}


class AgeFileError(UserError):
    """An age file that cannot be decrypted; nothing was read from it or written to it."""


def decrypt(path: Path, data: bytes, identities: Sequence[Identity], origin: str) -> bytes:
    """The plaintext of the age file ``data`` (read from ``path``), opened with ``identities``.

    ``origin`` says where the identities came from, for the message when
    none of them opens the file.
    """
    if not (data.startswith(_BINARY_HEADER) or data.lstrip().startswith(_ARMOR_HEADER)):
        raise AgeFileError(
            f"{path}: not an age-encrypted file (no age header); "
            "a plain env file is read with envfile:PATH"
        )
    if data.startswith(_BINARY_HEADER) and _PASSPHRASE_STANZA in data.partition(b"\n---")[0]:
        raise AgeFileError(
            f"{path}: encrypted with a passphrase (age -p), not to recipients; "
            "this store reads and writes files encrypted to keys"
        )
    try:
        return pyrage.decrypt(data, identities)
    except pyrage.DecryptError as exc:
        reason = (str(exc).splitlines() or ["unknown error"])[0]
        if reason == "No matching keys found":
            raise AgeFileError(
                f"{path}: no identity from {origin} ({len(identities)} tried) "
                "matches a recipient of this file (or its header is damaged)"
            ) from None
        raise AgeFileError(
            f"{path}: damaged age file: {_PLAINER.get(reason, reason)}"
        ) from None


def encrypt(path: Path, plaintext: bytes, recipients: Sequence[Recipient], *, armor: bool) -> bytes:
    """``plaintext`` encrypted to every one of ``recipients`` (ASCII-armored when ``armor``)."""
    try:
        return pyrage.encrypt(plaintext, recipients, armored=armor)
    except pyrage.EncryptError as exc:
        reason = (str(exc).splitlines() or ["unknown error"])[0]
        raise AgeFileError(f"{path}: cannot encrypt: {reason}") from None
