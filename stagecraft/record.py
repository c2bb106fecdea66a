"""A record of what this machine last synced into each target, as keyed fingerprints.

After each sync the engine records, per store, location and key, a *keyed
fingerprint* of the value the target then holds (written, or found equal to
the source): keyed BLAKE2b (16 bytes) under a random key of 32 bytes, over
the store, the location, the key and the value together.  Two uses:

* a write-only store (Encore's secret store through its CLI) cannot give
  values back, so a plan says ``unchanged`` for a key when the store still
  lists it and the source value gives the recorded fingerprint;
* a readable target's current value is compared with the record before
  anything is written: a key whose value differs from the one this machine
  last synced there was changed in the target since (a rotation), and a
  stale source must not silently revert it, so the plan calls it a
  ``conflict`` (see :mod:`stagecraft.plan`).

Why keyed: a plain hash of a short secret can be brute-forced or matched
against a list of known values; a keyed hash under a key that never leaves
the user's config directory cannot.  Binding store, location and key into each
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
  ``~/.local/state``), JSON ``{"version": 2, "stores": {STORE: {LOCATION:
  BASE64}}}``.  Each location is one packed string of 32-byte entries: a
  key id (of store, location and key) and the fingerprint (of those and
  the value), 16 bytes each, so a record of a 100,000-key file costs a few
  megabytes, not a dictionary per key.  No value, no unkeyed hash and no
  key name is written.  A version 1 record (HMAC-SHA256 by key name) is
  ignored with a warning and replaced: write-only plans say ``updated``
  once.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from stagecraft.errors import FileWriteError
from stagecraft.files import locked_update, make_private_dirs
from stagecraft.record_entries import ENTRY, HALF, Keyed, Stores, entry_ids, merged, parse, render

__all__ = ["KEY_BYTES", "TargetRecord", "WriteRecord", "config_home", "state_home"]

#: Length of the record's key; at least 32 bytes (BLAKE2b takes up to 64).
KEY_BYTES = 32
KEY_FILE = "record.key"
RECORD_FILE = "written.json"


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
        """The record's key; None (with a warning) when it cannot be trusted or does not exist."""
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
            make_private_dirs(self.key_path.parent)
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

    def _stores(self, data: bytes | None) -> Stores:
        if data is None:
            return {}
        try:
            return parse(data)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            self.logger.warning(
                "write record: %s is damaged and is ignored (plans say updated; the next sync "
                "starts a new record)", self.path,
            )
            return {}

    def recorded(self, store: str, location: str) -> tuple[bytes, bytes] | None:
        """The key and ``location``'s packed entries; None when there is no trusted record."""
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
        packed = self._stores(data).get(store, {}).get(location, "")
        return secret, base64.b64decode(packed)

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
        *,
        pending: Mapping[str, str] | None = None,
        unsure: Iterable[str] = (),
    ) -> None:
        """Change the entries of ``location``, under the record's lock.

        * ``written``: the target holds these values (each replaces the key's
          entry, and ends the sync's ``pending`` one);
        * ``forget``: keys removed from the target (every entry dropped);
        * ``pending``: values about to be written, recorded first, so a sync
          killed between its write and the record's update, or another sync
          reading the target meanwhile, does not see a change made elsewhere;
        * ``unsure``: keys whose write failed or timed out: their value is the
          old one or the new one, and neither counts as "unchanged" any more.

        Never raises: a record that cannot be written only costs later plans
        their ``unchanged`` and their conflicts (a warning says so).
        """
        pending = pending or {}
        forget = [key for key in forget if key not in written]
        unsure = list(unsure)
        if not written and not forget and not pending and not unsure:
            return
        secret = self._key(create=bool(written or pending))
        if secret is None:
            if written:
                self.logger.warning("write record: nothing recorded, so the next plan says "
                                    "updated for these keys")
            return
        keyed = Keyed(secret, store, location)
        ids = {key: keyed.key_id(key) for key in [*written, *forget, *pending, *unsure]}
        add = [keyed.pending_id(ids[key]) + keyed.entry(key, value)[1]
               for key, value in pending.items()]
        add += [ids[key] + keyed.entry(key, value)[1] for key, value in written.items()]
        done = {keyed.pending_id(ids[key]) + entry[HALF:]
                for key, entry in zip(written, add[len(pending):], strict=True)}
        gone = [ids[key] for key in written] + [
            key_id for key in forget for key_id in (ids[key], keyed.pending_id(ids[key]))]
        demote = {ids[key]: keyed.pending_id(ids[key]) for key in unsure}
        try:
            make_private_dirs(self.path.parent)
            with locked_update(self.path) as handle:
                stores = self._stores(handle.original)
                locations = stores.setdefault(store, {})
                locations[location] = merged(locations.pop(location, ""), add=add, drop=done,
                                              drop_ids=set(gone), demote=demote)
                handle.write(render(stores))
        except (OSError, FileWriteError) as exc:
            self.logger.warning("write record: cannot update %s (%s)",
                                self.path, getattr(exc, "strerror", None) or exc)


class TargetRecord:
    """The record of one target, read once per sync and updated after its writes.

    The file is read at the first question, so a large record is loaded
    after the plan is made rather than on top of it.  Its entries are held
    as a set of packed 32-byte entries (key id and fingerprint together)
    rather than a dictionary: "is this the value recorded for this key" is
    one set look-up, and a large record costs one small object per key.
    """

    def __init__(self, record: WriteRecord, store: str, location: str) -> None:
        self.record = record
        self.store = store
        self.location = location
        self._keyed: Keyed | None = None
        self._raw = b""
        self._entries: set[bytes] | None = None  # None: not read yet

    def __repr__(self) -> str:
        return f"<TargetRecord {self.store}:{self.location}>"

    def _read(self) -> set[bytes]:
        if self._entries is None:
            found = self.record.recorded(self.store, self.location)
            if found is not None:
                self._keyed = Keyed(found[0], self.store, self.location)
                self._raw = found[1]
            self._entries = {self._raw[start:start + ENTRY]
                             for start in range(0, len(self._raw), ENTRY)}
        return self._entries

    def _recorded(self, key: str, value: str, *, or_pending: bool = False) -> bool:
        """Whether ``value`` is the one recorded for ``key`` (or one being written there)."""
        entries = self._read()
        keyed = self._keyed
        if keyed is None or not entries:
            return False
        key_id, fingerprint = keyed.entry(key, value)
        return key_id + fingerprint in entries or (
            or_pending and keyed.pending_id(key_id) + fingerprint in entries)

    def matching(self, values: Mapping[str, str]) -> set[str]:
        """The keys of ``values`` whose value is the one recorded."""
        return {key for key, value in values.items() if self._recorded(key, value)}

    def unrecorded(self, values: Mapping[str, str]) -> dict[str, str]:
        """The entries of ``values`` the record does not hold as they are."""
        return {key: value for key, value in values.items() if not self._recorded(key, value)}

    def changed(self, current: Mapping[str, str], keys: Iterable[str]) -> list[str]:
        """Those of ``keys`` recorded here whose ``current`` value is neither the recorded
        one nor one a sync from this machine was writing.

        A key the target no longer holds is not listed: there is no value
        of it for a sync to overwrite.
        """
        entries = self._read()
        keyed = self._keyed
        if keyed is None or not entries:
            return []
        # Only a key with a recorded value can be in conflict: a pending one alone
        # (a sync killed before its write) says nothing of what the target held.
        differing = {keyed.key_id(key): key for key in keys
                     if key in current and not self._recorded(key, current[key], or_pending=True)}
        if not differing:
            return []
        found = {differing[key_id] for key_id in entry_ids(self._raw) if key_id in differing}
        return [key for key in differing.values() if key in found]

    def release(self) -> None:
        """The plan is made: drop the entries read, so a large record is not held while
        the target is written (only :meth:`attempt` and :meth:`update` may follow)."""
        self._raw, self._entries = b"", set()

    def attempt(self, values: Mapping[str, str]) -> None:
        """Before writing ``values``: record them as pending (see :meth:`WriteRecord.update`)."""
        if values:
            self.record.update(self.store, self.location, {}, pending=values)

    def update(self, synced: Mapping[str, str], forget: Collection[str] = (),
               unsure: Collection[str] = ()) -> None:
        """After the writes: the target holds ``synced``; ``forget`` were removed; the
        writes of ``unsure`` failed (old or new value).

        Pass only what differs from the record (:meth:`unrecorded` of the
        unchanged keys, the keys written), so a sync that changed nothing
        leaves the file alone.
        """
        if synced or forget or unsure:
            self.record.update(self.store, self.location, synced, forget, unsure=unsure)
