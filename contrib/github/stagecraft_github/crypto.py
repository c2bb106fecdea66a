"""Values sealed to a location's public key: libsodium's sealed box, through PyNaCl.

GitHub decrypts a secret with the private key it keeps for each location
(repository, environment, Dependabot, organization); what it receives is
``crypto_box_seal(value, public key)``, base64-encoded.  Only a store that
writes imports this module, so PyNaCl (and its C library) loads with the
first write of a sync, never for a plan, a dry run or a sync with nothing
to write.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from stagecraft.errors import ProviderError

__all__ = ["sealer"]


def sealer(key: str, where: str) -> Callable[[str], str]:
    """A function sealing a value to ``key`` (GitHub's base64 of a 32-byte Curve25519 key)."""
    try:
        box = SealedBox(PublicKey(base64.b64decode(key, validate=True)))
    except (binascii.Error, ValueError, TypeError, CryptoError):
        raise ProviderError(
            f"github: {where}: GitHub's public key is not a base64 32-byte key; "
            "nothing was written"
        ) from None

    def seal(value: str) -> str:
        return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")

    return seal
