"""The record's entries: keyed fingerprints, and the packed format a file holds them in.

An entry is 32 bytes: a key id (keyed BLAKE2b of the store, the location
and the key) and a fingerprint (of those and the value), 16 bytes each.
A location's entries are one packed base64 string, so a record of a
100,000-key file costs a few megabytes, not a dictionary per key; the
file is ``{"version": 2, "stores": {STORE: {LOCATION: BASE64}}}``.  What
the entries are for, and where the key and the file live, is
:mod:`stagecraft.record`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping

__all__ = ["ENTRY", "HALF", "VERSION", "Keyed", "Stores", "entry_ids", "merged", "parse", "render"]

#: The version of the file format.
VERSION = 2
#: Bytes of a key id and of a fingerprint; an entry is both.
HALF = 16
ENTRY = 2 * HALF

#: STORE -> LOCATION -> packed entries (base64).
Stores = dict[str, dict[str, str]]


def _field(text: str) -> bytes:
    # Length-prefixed fields, so no two different tuples give the same message.
    data = text.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "big") + data


class Keyed:
    """Key ids and fingerprints of one place under the record's key.

    Keyed BLAKE2b, 16 bytes, one "person" per use, each hasher primed with
    the store and the place once and copied per key (a large sync computes
    one of each per key).
    """

    def __init__(self, secret: bytes, store: str, location: str) -> None:
        place = _field(store) + _field(location)
        key = secret[:64]  # BLAKE2b's longest key
        self._id = hashlib.blake2b(place, key=key, digest_size=HALF, person=b"key id")
        self._value = hashlib.blake2b(place, key=key, digest_size=HALF, person=b"value")
        self._pending = hashlib.blake2b(key=key, digest_size=HALF, person=b"pending")

    def key_id(self, key: str) -> bytes:
        hasher = self._id.copy()
        hasher.update(_field(key))
        return hasher.digest()

    def entry(self, key: str, value: str) -> tuple[bytes, bytes]:
        """``key``'s id and the fingerprint of ``value`` for it."""
        field = _field(key)
        key_id = self._id.copy()
        key_id.update(field)
        fingerprint = self._value.copy()
        fingerprint.update(field + _field(value))
        return key_id.digest(), fingerprint.digest()

    def pending_id(self, key_id: bytes) -> bytes:
        """The id of a key's *pending* entries: values a sync is writing or may have written."""
        hasher = self._pending.copy()
        hasher.update(key_id)
        return hasher.digest()


def entry_ids(raw: bytes) -> Iterator[bytes]:
    """The key id of each entry of ``raw``."""
    return (raw[start:start + HALF] for start in range(0, len(raw), ENTRY))


def merged(
    packed: str,
    *,
    add: Iterable[bytes] = (),
    drop: Collection[bytes] = (),
    drop_ids: Collection[bytes] = (),
    demote: Mapping[bytes, bytes] | None = None,
) -> str:
    """``packed`` less the entries ``drop`` and those with an id in ``drop_ids``, with the
    entries ``add``, and entries with an id in ``demote`` moved to the id it maps to.

    One pass over the bytes: no object per entry is kept, so a sync that
    changes a few keys of a large record costs a copy of its bytes.
    """
    raw = base64.b64decode(packed, validate=True)
    del packed  # the caller passes the only reference to a large record's text
    extra = dict.fromkeys(add)  # an ordered set: each entry once
    demote = demote or {}
    out = bytearray()
    for start, key_id in zip(range(0, len(raw), ENTRY), entry_ids(raw), strict=True):
        entry = raw[start:start + ENTRY]
        if key_id in drop_ids or entry in drop or entry in extra:
            continue
        if key_id in demote:
            extra[demote[key_id] + entry[HALF:]] = None
            continue
        out += entry
    del raw  # a large record is not held three times over
    for entry in extra:
        out += entry
    return base64.b64encode(out).decode()


def parse(data: bytes) -> Stores:
    """The stores of a record file, or ValueError when it is not exactly the format."""
    document = json.loads(data)  # bytes as they are: no decoded copy of a large record
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise ValueError("unknown version")
    stores = document.get("stores")
    if not isinstance(stores, dict):
        raise ValueError("no stores")
    for locations in stores.values():
        if not isinstance(locations, dict):
            raise ValueError("bad store")
        for packed in locations.values():
            if not isinstance(packed, str) or len(base64.b64decode(packed, validate=True)) % ENTRY:
                raise ValueError("bad location")
    return stores


def render(stores: Stores) -> bytes:
    document = {"version": VERSION, "stores": stores}
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")
