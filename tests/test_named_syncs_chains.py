"""Which named syncs run one after another, and a sync whose source an earlier sync of its
chain wrote only in part.

Chains are made of the places the prepared syncs really use: an unprefixed target written
by a file store is the same file a later sync reads.  A local plugin store that refuses
one key gives a real partial failure.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from dotenv import dotenv_values

import stagecraft
from stagecraft import named_syncs
from stagecraft.cli.sync_report import interrupted_after
from stagecraft.errors import EXIT_PROVIDER_ERROR, EXIT_USER_ERROR
from stagecraft.providers.secrets import SyncOptions
from tests.inprocess import isolate, run_command

SECRET = "chain-canary-4Rt"

#: One file per key; writing the key BAD fails, after the others may have been written.
FAILDIR = '''
import stagecraft
from stagecraft.files import atomic_write, make_private_dirs


class FailDir(stagecraft.SecretStore):
    id = "faildir"
    writes_one_by_one = True

    def read(self, ctx, location, keys):
        folder = ctx.resolve(location)
        if not folder.is_dir():
            raise stagecraft.NoSuchLocationError(self.id, location, "no directory")
        return {f.name: f.read_text() for f in sorted(folder.iterdir())}

    def write_one(self, ctx, location, key, value):
        if key == "BAD":
            raise stagecraft.ProviderError("faildir: this key is refused here")
        make_private_dirs(ctx.resolve(location))
        atomic_write(ctx.resolve(location) / key, value.encode())


@stagecraft.hookimpl
def secrets_provider_register():
    return FailDir()
'''


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(monkeypatch, tmp_path / "state")
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "faildir.py").write_text(FAILDIR, encoding="utf-8")
    (tmp_path / ".env.dev").write_text(f"GOOD=good-{SECRET}\nBAD=bad-{SECRET}\n",
                                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_command(capsys, *argv, never_shown=SECRET)


def test_a_file_target_written_without_a_store_is_the_file_a_later_sync_reads(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``provider: envfile``, ``to: ./.env.staging`` is the file ``from: ./.env.staging``
    reads: one chain (one thread), so release copies what promote wrote."""
    (root / "stagecraft.yml").write_text(
        "secrets:\n  provider: envfile\n  syncs:\n"
        "    promote: {from: ./.env.dev, to: ./.env.staging}\n"
        "    release: {from: ./.env.staging, to: ./.env.prod}\n", encoding="utf-8")
    (root / ".env.staging").write_text(f"GOOD=old-{SECRET}\n", encoding="utf-8")
    threads: list[str] = []
    real = named_syncs.run_in_threads

    def recorded(jobs: list[tuple[str, object]], **kwargs: object) -> None:
        threads.extend(name for name, _ in jobs)
        real(jobs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(named_syncs, "run_in_threads", recorded)
    code, _, err = run(capsys, "secrets", "sync")
    assert code == 0, err
    assert threads == ["sync-promote"]
    assert dotenv_values(root / ".env.prod") == {"GOOD": f"good-{SECRET}",
                                                  "BAD": f"bad-{SECRET}"}


def test_a_sync_reading_a_place_its_chain_wrote_in_part_is_not_run(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """promote writes GOOD and fails on BAD; release would copy that half-state on as if it
    were one: it is not run (exit 1, named), and the worst status is promote's 2."""
    (root / "stagecraft.yml").write_text(
        "plugins:\n  dirs: [plugins]\nsecrets:\n  syncs:\n"
        "    promote: {from: ./.env.dev, to: 'faildir:stage.d'}\n"
        "    release: {from: 'faildir:stage.d', to: 'envfile:.env.prod'}\n", encoding="utf-8")
    code, out, err = run(capsys, "secrets", "sync", "--json")
    assert code == EXIT_PROVIDER_ERROR, err
    report = {sync["name"]: sync for sync in json.loads(out)["syncs"]}
    assert report["promote"]["error"]["exit_code"] == EXIT_PROVIDER_ERROR
    assert [entry["key"] for entry in report["promote"]["failed"]] == ["BAD"]
    assert report["release"]["error"] == {
        "message": "release: not run: it reads faildir:stage.d, which promote failed to "
                   "write in full", "exit_code": EXIT_USER_ERROR}
    assert not (root / ".env.prod").exists()
    assert (root / "stage.d" / "GOOD").exists()


def test_a_dry_run_ended_by_ctrl_c_says_nothing_was_written() -> None:
    """The engine returns a dry run's plan before it looks at the cancellation, so the
    command reports it; it must not claim the changes listed were written."""
    dry = SyncOptions(source="a", target="b", dry_run=True)
    assert interrupted_after(dry) == ("interrupted; the plan above is complete and nothing "
                                      "was written")
    assert "were written" in interrupted_after(SyncOptions(source="a", target="b"))


#: A store whose write is interrupted by a Ctrl-C (the process's own SIGINT).
CTRL_C = '''
import os, signal, time
import stagecraft


class CtrlC(stagecraft.SecretStore):
    id = "ctrlc"
    readable = False
    writes_one_by_one = True

    def write_one(self, ctx, location, key, value):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)


@stagecraft.hookimpl
def secrets_provider_register():
    return CtrlC()
'''


def test_sync_all_lets_a_ctrl_c_interrupt_the_caller(root: Path) -> None:
    """No command is there to turn the first Ctrl-C into a cancellation: sync_all raises
    KeyboardInterrupt, as stagecraft.sync() does, instead of returning a list while the
    syncs still run.  SIGINT is handled as a Python program starts with (the test
    process's own handling may have been changed by the tests before it)."""
    (root / "plugins" / "ctrlc.py").write_text(CTRL_C, encoding="utf-8")
    (root / "stagecraft.yml").write_text(
        "plugins:\n  dirs: [plugins]\nsecrets:\n  syncs:\n"
        "    out: {from: ./.env.dev, to: 'ctrlc:anywhere'}\n", encoding="utf-8")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            stagecraft.sync_all()
    finally:
        signal.signal(signal.SIGINT, previous)
