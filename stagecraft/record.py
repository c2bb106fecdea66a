"""A record of what this machine last wrote into write-only stores.

A write-only store (Encore's secret store through its CLI) cannot give
values back, so without help every plan would say ``updated`` and
``--check`` would always fail.  After each sync the engine records, per
store, location and key, a *keyed fingerprint* of the value it wrote:
HMAC-SHA256 under a random key of 32 bytes, over the store, the location,
the key and the value together.  A later plan says ``unchanged`` for a key
when the store still lists it and the source value gives the same
fingerprint.

Why keyed: a plain hash of a short secret can be brute-forced or matched
against a list of known values; an HMAC under a key that never leaves the
user's config directory cannot.  Binding store, location and key into each
fingerprint also hides which keys share a value.

The trust model is narrow on purpose: ``unchanged`` means "unchanged since
this machine last wrote it"; a change made elsewhere (another machine, a
dashboard) is not seen.  So a record that cannot be read (damaged, key
missing or readable by others) is never trusted: a warning, and the plan
falls back to ``updated``.

Files, both written atomically under a directory lock
(:func:`stagecraft.files.locked_update`), so concurrent syncs lose no entries:

* the key: ``$XDG_CONFIG_HOME/stagecraft/record.key`` (default
  ``~/.config``), mode ``0600``;
* the record: ``$XDG_STATE_HOME/stagecraft/written.json`` (default
  ``~/.local/state``), JSON ``{"version": 1, "stores": {STORE: {LOCATION:
  {KEY: HEX}}}}``.  No value and no unkeyed hash is ever written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from stagecraft.errors import FileWriteError
from stagecraft.files import locked_update

__all__ = ["KEY_BYTES", "WriteRecord", "config_home", "state_home"]

#: Length of the HMAC key; at least 32 bytes (SHA-256's block size is 64).
KEY_BYTES = 32
VERSION = 1
KEY_FILE = "record.key"
RECORD_FILE = "written.json"
_HEX = re.compile(r"[0-9a-f]{64}")

_Entries = dict[str, dict[str, dict[str, str]]]


def _xdg(variable: str, default: str) -> Path:
    # The XDG spec: a relative path in the variable is invalid and ignored.
    value = os.environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / default


def config_home() -> Path:
    """``$XDG_CONFIG_HOME/stagecraft`` (default ``~/.config/stagecraft``): the key's directory."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "stagecraft"


def state_home() -> Path:
    """``$XDG_STATE_HOME/stagecraft`` (default ``~/.local/state/stagecraft``): the record's."""
    return _xdg("XDG_STATE_HOME", ".local/state") / "stagecraft"


def _fingerprint(secret: bytes, store: str, location: str, key: str, value: str) -> str:
    # Length-prefixed fields, so no two different tuples give the same message.
    message = b"".join(
        len(part).to_bytes(8, "big") + part
        for part in (p.encode("utf-8", "surrogatepass") for p in (store, location, key, value))
    )
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _parse(data: bytes) -> _Entries:
    """The entries of a record file, or ValueError when it is not exactly the format."""
    document = json.loads(data.decode("utf-8"))
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise ValueError("unknown version")
    stores = document.get("stores")
    if not isinstance(stores, dict):
        raise ValueError("no stores")
    for locations in stores.values():
        if not isinstance(locations, dict):
            raise ValueError("bad store")
        for keys in locations.values():
            if not isinstance(keys, dict):
                raise ValueError("bad location")
            for fingerprint in keys.values():
                if not isinstance(fingerprint, str) or not _HEX.fullmatch(fingerprint):
                    raise ValueError("bad fingerprint")
    return stores


def _render(entries: _Entries) -> bytes:
    document = {"version": VERSION, "stores": entries}
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")


class WriteRecord:
    """The record in ``state_dir`` under the key in ``config_dir`` (defaults: the XDG homes)."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        config_dir: Path | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.logger = logger
        self.key_path = (config_dir or config_home()) / KEY_FILE
        self.path = (state_dir or state_home()) / RECORD_FILE

    def __repr__(self) -> str:
        return f"<WriteRecord {str(self.path)!r}>"

    # -- reading --------------------------------------------------------------

    def _key(self, *, create: bool) -> bytes | None:
        """The HMAC key; None (with a warning) when it cannot be trusted or does not exist."""
        try:
            status = self.key_path.stat()
        except FileNotFoundError:
            return self._create_key() if create else None
        except OSError as exc:
            self.logger.warning("write record: cannot read %s (%s); not used",
                                self.key_path, exc.strerror)
            return None
        if not stat.S_ISREG(status.st_mode) or status.st_mode & 0o077:
            self.logger.warning(
                "write record: %s is readable by others or not a regular file, so it is not "
                "trusted; run `chmod 600 %s` (or delete it to start a new record)",
                self.key_path, self.key_path,
            )
            return None
        try:
            secret = self.key_path.read_bytes()
        except OSError as exc:
            self.logger.warning("write record: cannot read %s (%s); not used",
                                self.key_path, exc.strerror)
            return None
        if len(secret) < KEY_BYTES:
            self.logger.warning("write record: %s is damaged (too short); not used; delete it "
                                "to start a new record", self.key_path)
            return None
        return secret

    def _create_key(self) -> bytes | None:
        try:
            self.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with locked_update(self.key_path) as handle:
                if handle.original is not None:  # another sync made it meanwhile
                    if len(handle.original) >= KEY_BYTES:
                        return handle.original
                    self.logger.warning("write record: %s is damaged (too short); not used",
                                        self.key_path)
                    return None
                secret = os.urandom(KEY_BYTES)
                handle.write(secret)  # a new file: mode 0600
                return secret
        except (OSError, FileWriteError) as exc:
            self.logger.warning("write record: cannot create %s (%s); nothing recorded",
                                self.key_path, getattr(exc, "strerror", None) or exc)
            return None

    def _entries(self, data: bytes | None) -> _Entries:
        if data is None:
            return {}
        try:
            return _parse(data)
        except (ValueError, UnicodeDecodeError):
            self.logger.warning(
                "write record: %s is damaged and is ignored (plans say updated; the next sync "
                "starts a new record)", self.path,
            )
            return {}

    def matching(self, store: str, location: str, values: Mapping[str, str]) -> set[str]:
        """The keys of ``values`` whose value is the one this machine last wrote there."""
        secret = self._key(create=False)
        if secret is None:
            return set()
        try:
            data: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            data = None
        except OSError as exc:
            self.logger.warning("write record: cannot read %s (%s); not used",
                                self.path, exc.strerror)
            return set()
        recorded = self._entries(data).get(store, {}).get(location, {})
        return {
            key for key, value in values.items()
            if key in recorded and hmac.compare_digest(
                recorded[key], _fingerprint(secret, store, location, key, value)
            )
        }

    # -- writing --------------------------------------------------------------

    def update(
        self,
        store: str,
        location: str,
        written: Mapping[str, str],
        forget: Iterable[str] = (),
    ) -> None:
        """Record ``written`` and drop ``forget`` (keys whose remote value is now unknown).

        Never raises: a record that cannot be written only costs later plans
        their ``unchanged`` (a warning says so).
        """
        forget = [key for key in forget if key not in written]
        if not written and not forget:
            return
        secret = self._key(create=bool(written))
        if secret is None:
            if written:
                self.logger.warning("write record: nothing recorded, so the next plan says "
                                    "updated for these keys")
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with locked_update(self.path) as handle:
                entries = self._entries(handle.original)
                keys = entries.setdefault(store, {}).setdefault(location, {})
                for key in forget:
                    keys.pop(key, None)
                for key, value in written.items():
                    keys[key] = _fingerprint(secret, store, location, key, value)
                handle.write(_render(entries))
        except (OSError, FileWriteError) as exc:
            self.logger.warning("write record: cannot update %s (%s)",
                                self.path, getattr(exc, "strerror", None) or exc)
