"""A record of what this machine last synced into each target, as keyed fingerprints.

After each sync the engine records, per store, location and key, a *keyed
fingerprint* of the value the target then holds (written, or found equal to
the source): HMAC-SHA256 under a random key of 32 bytes, over the store,
the location, the key and the value together.  Two uses:

* a write-only store (Encore's secret store through its CLI) cannot give
  values back, so a plan says ``unchanged`` for a key when the store still
  lists it and the source value gives the recorded fingerprint;
* a readable target's current value is compared with the record before
  anything is written: a key whose value differs from the one this machine
  last synced there was changed in the target since (a rotation), and a
  stale source must not silently revert it, so the plan calls it a
  ``conflict`` (see :mod:`stagecraft.plan`).

Why keyed: a plain hash of a short secret can be brute-forced or matched
against a list of known values; an HMAC under a key that never leaves the
user's config directory cannot.  Binding store, location and key into each
fingerprint also hides which keys share a value.

The trust model is narrow on purpose: the record speaks only of syncs made
on this machine; a change made elsewhere is seen only as "differs from what
this machine last synced".  So a record that cannot be read (damaged, key
missing or readable by others) is never trusted: a warning, and the sync
behaves as with no record (plans say ``updated``, no conflict is found).

Files, both written atomically under a directory lock
(:func:`stagecraft.files.locked_update`), so concurrent syncs lose no entries:

* the key: ``$XDG_CONFIG_HOME/stagecraft/record.key`` (default
  ``~/.config``), mode ``0600``;
* the record: ``$XDG_STATE_HOME/stagecraft/written.json`` (default
  ``~/.local/state``), JSON ``{"version": 1, "stores": {STORE: {LOCATION:
  {KEY: HEX}}}}``.  No value and no unkeyed hash is ever written.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from stagecraft.files import FileWriteError, locked_update

__all__ = ["KEY_BYTES", "TargetRecord", "WriteRecord", "config_home", "state_home"]

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


def _field(text: str) -> bytes:
    # Length-prefixed fields, so no two different tuples give the same message.
    data = text.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "big") + data


def _fingerprint(secret: bytes, store: str, location: str, key: str, value: str) -> str:
    message = _field(store) + _field(location) + _field(key) + _field(value)
    return hmac.digest(secret, message, "sha256").hex()


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

    def recorded(self, store: str, location: str) -> tuple[bytes, dict[str, str]] | None:
        """The key and ``location``'s fingerprints by key; None when there is no trusted record."""
        secret = self._key(create=False)
        if secret is None:
            return None
        try:
            data: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            data = None
        except OSError as exc:
            self.logger.warning("write record: cannot read %s (%s); not used",
                                self.path, exc.strerror)
            return None
        return secret, self._entries(data).get(store, {}).get(location, {})

    def matching(self, store: str, location: str, values: Mapping[str, str]) -> set[str]:
        """The keys of ``values`` whose value is the one this machine last wrote there."""
        return TargetRecord(self, store, location).matching(values)

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


class TargetRecord:
    """The record of one target, read once per sync and updated once after its writes."""

    def __init__(self, record: WriteRecord, store: str, location: str) -> None:
        self.record = record
        self.store = store
        self.location = location
        found = record.recorded(store, location)
        self._secret: bytes | None = found[0] if found is not None else None
        self._recorded: dict[str, str] = found[1] if found is not None else {}
        self._prefix = _field(store) + _field(location)

    def __repr__(self) -> str:
        return f"<TargetRecord {self.store}:{self.location} ({len(self._recorded)} keys)>"

    def _matches(self, key: str, value: str) -> bool:
        recorded = self._recorded.get(key)
        if recorded is None or self._secret is None:
            return False
        message = self._prefix + _field(key) + _field(value)
        return hmac.compare_digest(recorded, hmac.digest(self._secret, message, "sha256").hex())

    def matching(self, values: Mapping[str, str]) -> set[str]:
        """The keys of ``values`` whose value is the one recorded."""
        return {key for key, value in values.items() if self._matches(key, value)}

    def unrecorded(self, values: Mapping[str, str]) -> dict[str, str]:
        """The entries of ``values`` the record does not hold as they are."""
        return {key: value for key, value in values.items() if not self._matches(key, value)}

    def changed(self, current: Mapping[str, str], keys: Iterable[str]) -> list[str]:
        """Those of ``keys`` recorded here whose ``current`` value is not the recorded one.

        A key the target no longer holds is not listed: there is no value
        of it for a sync to overwrite.
        """
        return [key for key in keys
                if key in self._recorded and key in current
                and not self._matches(key, current[key])]

    def update(self, synced: Mapping[str, str], forget: Collection[str] = ()) -> None:
        """Record that the target now holds ``synced``; drop ``forget`` (now unknown).

        Entries that already say so are not written again, so a sync that
        changed nothing leaves the file alone.
        """
        fresh = {key: value for key, value in synced.items() if not self._matches(key, value)}
        gone = [key for key in forget if key in self._recorded and key not in synced]
        if fresh or gone:
            self.record.update(self.store, self.location, fresh, gone)
