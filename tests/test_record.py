"""The write record: keyed fingerprints of what was written to write-only stores."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import multiprocessing
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

import stagecraft
from stagecraft.providers.secrets import Action, Context, SyncOptions
from stagecraft.record import KEY_BYTES, WriteRecord, config_home, state_home

LOG = logging.getLogger("stagecraft.test.record")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    return home


def test_xdg_directories_are_honoured(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_home() == home / ".config" / "stagecraft"
    assert state_home() == home / ".local" / "state" / "stagecraft"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "st"))
    assert config_home() == tmp_path / "cfg" / "stagecraft"
    assert state_home() == tmp_path / "st" / "stagecraft"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")  # invalid per the spec: ignored
    assert state_home() == home / ".local" / "state" / "stagecraft"


def test_round_trip_and_what_is_on_disk(home: Path) -> None:
    record = WriteRecord(LOG)
    assert record.matching("s", "loc", {"ALPHA_KEY": "secret-a"}) == set()
    record.update("s", "loc", {"ALPHA_KEY": "secret-a", "BRAVO_KEY": "secret-a"})
    assert record.matching("s", "loc", {"ALPHA_KEY": "secret-a", "BRAVO_KEY": "other",
                                        "C": "x"}) == {"ALPHA_KEY"}
    assert record.matching("s", "other-loc", {"ALPHA_KEY": "secret-a"}) == set()
    assert record.matching("t", "loc", {"ALPHA_KEY": "secret-a"}) == set()

    key = (home / ".config/stagecraft/record.key")
    assert len(key.read_bytes()) == KEY_BYTES
    assert key.stat().st_mode & 0o777 == 0o600
    text = (home / ".local/state/stagecraft/written.json").read_text()
    document = json.loads(text)
    assert document["version"] == 2
    packed = base64.b64decode(document["stores"]["s"]["loc"])
    assert len(packed) == 64  # two entries: a 16-byte key id and a 16-byte fingerprint each
    # Bound to store, location and key: equal values do not give equal fingerprints.
    assert packed[16:32] != packed[48:64]
    assert hashlib.sha256(b"secret-a").hexdigest() not in text
    assert "secret-a" not in text
    assert "ALPHA_KEY" not in text  # not even the key names

    record.update("s", "loc", {}, forget=["ALPHA_KEY"])
    assert record.matching("s", "loc", {"ALPHA_KEY": "secret-a",
                                        "BRAVO_KEY": "secret-a"}) == {"BRAVO_KEY"}


def test_a_version_1_record_is_replaced(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Version 1 kept key names and HMAC-SHA256 hex: ignored with a warning, then replaced."""
    record = WriteRecord(LOG)
    record.update("s", "loc", {"OTHER": "x"})  # makes the key
    path = home / ".local/state/stagecraft/written.json"
    path.write_text(json.dumps({"version": 1, "stores": {"s": {"loc": {"A": "0" * 64}}}}))
    with caplog.at_level(logging.WARNING):
        assert record.matching("s", "loc", {"A": "v1-value"}) == set()
    assert "is damaged and is ignored" in caplog.text
    record.update("s", "loc", {"B": "2"})
    assert json.loads(path.read_text())["version"] == 2
    assert record.matching("s", "loc", {"B": "2"}) == {"B"}


def test_a_new_key_invalidates_old_entries(home: Path) -> None:
    record = WriteRecord(LOG)
    record.update("s", "loc", {"A": "1"})
    (home / ".config/stagecraft/record.key").unlink()
    assert record.matching("s", "loc", {"A": "1"}) == set()
    record.update("s", "loc", {"B": "2"})  # a new key is made; A's entry no longer matches
    assert record.matching("s", "loc", {"A": "1", "B": "2"}) == {"B"}


def test_short_key_is_not_trusted(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    record = WriteRecord(LOG)
    record.update("s", "loc", {"A": "1"})
    key = home / ".config/stagecraft/record.key"
    key.write_bytes(b"short")
    with caplog.at_level(logging.WARNING):
        assert record.matching("s", "loc", {"A": "1"}) == set()
    assert "is damaged (too short)" in caplog.text


def test_unwritable_state_dir_warns_and_does_not_fail(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / ".local").write_text("not a directory")
    record = WriteRecord(LOG)
    with caplog.at_level(logging.WARNING):
        record.update("s", "loc", {"A": "1"})
    assert "write record: cannot update" in caplog.text
    assert record.matching("s", "loc", {"A": "1"}) == set()


def _write_many(start: int) -> None:
    record = WriteRecord(logging.getLogger("x"))
    for i in range(start, start + 20):
        record.update("s", "loc", {f"K{i}": str(i)})


def test_concurrent_processes_lose_no_entries(home: Path) -> None:
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(n * 20,)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    values = {f"K{i}": str(i) for i in range(80)}
    assert WriteRecord(LOG).matching("s", "loc", values) == set(values)


class MemoryStore(stagecraft.SecretStore):
    """A write-only store that can say which keys exist: the engine's generic path."""

    id = "memory"
    readable = False

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.writes: list[str] = []

    def existing_keys(
        self, ctx: Context, location: str, keys: Collection[str]
    ) -> Collection[str] | None:
        return {key for key in keys if key in self.data}

    def write(self, ctx: Context, location: str, values: Mapping[str, str]) -> None:
        self.writes += list(values)
        self.data.update(values)


def test_engine_plans_unchanged_from_the_record_for_any_write_only_store(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text("A=1\nB=2\n", encoding="utf-8")
    store = MemoryStore()
    ctx = Context(cwd=tmp_path)

    def run(**options: object) -> dict[str, Action]:
        result = store.sync(ctx, SyncOptions(source=".env", target="here", **options))
        return {change.key: change.action for change in result.changes}

    assert run() == {"A": Action.ADDED, "B": Action.ADDED}
    assert run(dry_run=True) == {"A": Action.UNCHANGED, "B": Action.UNCHANGED}
    assert run(dry_run=True, record=False) == {"A": Action.UPDATED, "B": Action.UPDATED}
    (tmp_path / ".env").write_text("A=1\nB=3\n", encoding="utf-8")
    assert run() == {"A": Action.UNCHANGED, "B": Action.UPDATED}
    assert store.writes == ["A", "B", "B"]
    del store.data["A"]  # gone remotely: added, whatever the record says
    assert run(dry_run=True) == {"A": Action.ADDED, "B": Action.UNCHANGED}
