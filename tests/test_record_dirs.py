"""The write record's directories are private: every directory it creates is 0700."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from stagecraft.record import WriteRecord


def test_every_directory_the_record_creates_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, config = tmp_path / "a" / "b" / "state", tmp_path / "c" / "d" / "config"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    old = os.umask(0o022)
    try:
        record = WriteRecord(logging.getLogger("test.record"))
        record.update("store", "place", {"KEY": "record-canary-5Ud"}, [])
    finally:
        os.umask(old)
    created = [p for p in (tmp_path / "a", tmp_path / "c") for p in [p, *p.rglob("*")]
               if p.is_dir()]
    assert created, "the record created no directory"
    loose = [str(p) for p in created if stat.S_IMODE(p.stat().st_mode) != 0o700]
    assert not loose, f"directories the record created are not 0700: {loose}"
