"""Where a secret lives: ``vault:MOUNT/PATH``, read the way ``vault kv`` reads it.

``secret/myapp`` is the path ``myapp`` of the mount ``secret``: the first
segment names the mount.  A mount whose name has slashes (``team/kv``) is
set as ``mount`` in the config, and locations are then paths inside it; the
server's answer about the mount (see :mod:`stagecraft_vault.client`) also
corrects a first-segment guess when the real mount is deeper.
"""

from __future__ import annotations

import attrs

from stagecraft_vault.errors import InvalidLocationError


@attrs.frozen
class Location:
    """A mount (no slashes at either end) and a path inside it."""

    mount: str
    path: str

    def __str__(self) -> str:
        return f"{self.mount}/{self.path}"

    def within(self, mount: str) -> Location:
        """The same secret seen from ``mount``, a longer mount path the server reported."""
        mount = mount.strip("/")
        full = str(self)
        if mount == self.mount or not full.startswith(mount + "/"):
            return self
        return Location(mount, full[len(mount) + 1:])


def parse(text: str, mount: str = "") -> Location:
    """The :class:`Location` of ``text`` (``MOUNT/PATH``, or ``PATH`` when ``mount`` is set)."""
    cleaned = text.strip().strip("/")
    parts = [part for part in cleaned.split("/") if part]
    if ".." in parts or "." in parts:
        raise InvalidLocationError(f"vault: location {text!r} must not contain '.' or '..'")
    if mount:
        mount = mount.strip("/")
        if not parts:
            raise InvalidLocationError(
                f"vault: location {text!r} names no secret; give a path inside the mount {mount!r}"
            )
        return Location(mount, "/".join(parts))
    if len(parts) < 2:
        raise InvalidLocationError(
            f"vault: location {text!r} must be MOUNT/PATH, as in vault:secret/myapp"
        )
    return Location(parts[0], "/".join(parts[1:]))
