"""Reading and replacing one KV secret, version 2 or version 1.

A secret is a map of fields.  KV v2 keeps versions: a read returns the
fields and the current version, and a write sends the whole map with
``cas`` set to the version it was computed from, so the server refuses it
if anyone wrote in between.  KV v1 has neither versions nor check-and-set:
the write re-reads first and refuses when the fields differ from what the
plan saw (a narrow window remains; the docs say so).

A write carries every field of the secret, and the server refuses a JSON
body of more than ``max_request_strings`` strings (keys and string values,
1000 by default): :func:`check_size` says so before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from stagecraft_vault.client import Connection, Mount
from stagecraft_vault.errors import ConflictError, TooManyFieldsError, TransientError, reason

#: The JSON strings a KV v2 write adds around the fields: "data", "options", "cas".
_V2_ENVELOPE = 3


@attrs.frozen
class Secret:
    """The fields of a secret as the server holds them, and its version (v2; 0: none yet).

    ``exists`` is False when there is no secret at the path (or, v2, its newest
    version is deleted): not the same as a secret with no fields.
    """

    data: Mapping[str, Any]
    version: int = 0
    exists: bool = True


def count_strings(value: Any) -> int:
    """How many JSON strings ``value`` holds (keys and string values), as the server counts."""
    if isinstance(value, str):
        return 1
    if isinstance(value, Mapping):
        return sum(1 + count_strings(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_strings(item) for item in value)
    return 0


class KVSecret:
    """One secret (``mount.location``) reached through ``connection``."""

    def __init__(self, connection: Connection, mount: Mount, max_strings: int) -> None:
        self.connection = connection
        self.location = mount.location
        self.version = mount.version
        self.max_strings = max_strings

    def __repr__(self) -> str:
        return f"<KVSecret v{self.version} {self.location}>"

    @property
    def _data_path(self) -> str:
        loc = self.location
        return f"{loc.mount}/data/{loc.path}" if self.version == 2 else f"{loc.mount}/{loc.path}"

    def read(self) -> Secret:
        """The secret's fields and version; a secret that does not exist reads as empty,
        with ``exists`` False."""
        doing = f"reading {self.location}"
        reply = self.connection.call("GET", self._data_path, doing=doing)
        if reply.status == 200:
            data = reply.data
            if self.version == 1:
                return Secret(dict(data))
            fields = data.get("data")
            metadata = data.get("metadata")
            version = metadata.get("version", 0) if isinstance(metadata, Mapping) else 0
            return Secret(dict(fields) if isinstance(fields, Mapping) else {}, int(version))
        if reply.status == 404 and not reply.errors:
            # Absent, or (v2) its newest version deleted: the body then still has
            # the metadata, and the next write must name that version.
            metadata = reply.data.get("metadata")
            version = metadata.get("version", 0) if isinstance(metadata, Mapping) else 0
            return Secret({}, int(version or 0), exists=False)
        raise self.connection.fail(reply, doing, self.location)

    def size_problem(self, fields: Mapping[str, Any]) -> str | None:
        """Why the server would refuse a write of ``fields`` for its size, or None."""
        envelope = _V2_ENVELOPE if self.version == 2 else 0
        strings = envelope + count_strings(fields)
        if strings <= self.max_strings:
            return None
        most = (self.max_strings - envelope) // 2
        return (
            f"the secret would hold {len(fields)} fields, but one KV v{self.version} write "
            f"carries at most {most} (the server refuses JSON bodies of more than "
            f"{self.max_strings} strings). Split the keys over several paths (select them with "
            "KEY patterns or --exclude), or raise the server's max_request_json_strings and "
            "secrets.providers.vault.max_request_strings"
        )

    def check_size(self, fields: Mapping[str, Any]) -> None:
        """Refuse, before sending, a write the server would refuse for its size."""
        problem = self.size_problem(fields)
        if problem is not None:
            raise TooManyFieldsError(
                f"vault: writing {self.location} at {self.connection.address}: nothing was "
                f"written: {problem}"
            )

    def replace(self, fields: Mapping[str, Any], seen: Secret) -> Secret:
        """Write ``fields`` as the whole secret, unless it changed since ``seen`` was read."""
        self.check_size(fields)
        doing = f"writing {self.location}"
        if self.version == 1:
            current = self.read()
            if dict(current.data) != dict(seen.data):
                raise self.conflict(seen, current)
            reply = self.connection.call("POST", self._data_path, doing=doing, body=dict(fields))
            if reply.status in (200, 204):
                return Secret(dict(fields))
            raise self.connection.fail(reply, doing, self.location)
        body = {"data": dict(fields), "options": {"cas": seen.version}}
        reply = self.connection.call("POST", self._data_path, doing=doing, body=body)
        if reply.status == 200:
            version = reply.data.get("version")
            new = int(version) if isinstance(version, int) else seen.version + 1
            return Secret(dict(fields), new)
        if reply.status == 400 and "check-and-set" in reason(reply.errors, reply.status):
            raise self.conflict(seen, None)
        raise self.connection.fail(reply, doing, self.location)

    def conflict(self, seen: Secret, current: Secret | None) -> ConflictError:
        """The error for a secret that is no longer as ``seen`` (``current``: as it is now)."""
        now = f", now {current.version}" if current is not None and self.version == 2 else ""
        was = f" (version {seen.version}{now})" if self.version == 2 else ""
        return ConflictError(
            f"vault: writing {self.location} at {self.connection.address}: the secret changed "
            f"since it was read{was}; nothing was written; run again"
        )


__all__ = ["KVSecret", "Secret", "TransientError", "count_strings"]
