"""Stores through the engine: the store contract for every store, and the command on an
in-house store (``plugins/dirstore.py``, read + write_one + delete) that implements none
of the features it gets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cli_helpers import child_env, load_example_plugin

from stagecraft.providers.secrets import Context, Registry, SyncOptions
from stagecraft.store import SecretStore, TransientError
from stagecraft.testing import StoreContract, write_env_file

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "plugins"
STAGECRAFT = Path(sys.executable).with_name("stagecraft")


dirstore = load_example_plugin("dirstore")
jsonfile = load_example_plugin("jsonfile")


# ------------------------------------------------------------------ the contract


class TestDirStore(StoreContract):
    def make_store(self) -> SecretStore:
        return dirstore.DirStore()  # type: ignore[no-any-return]

    def make_location(self, tmp_path: Path) -> str:
        return str(tmp_path / "deploy" / "secrets.d")  # parents to create: 0700 too


class TestJsonFileStore(StoreContract):
    def make_store(self) -> SecretStore:
        return jsonfile.JsonFileStore()  # type: ignore[no-any-return]

    def make_location(self, tmp_path: Path) -> str:
        return str(tmp_path / "secrets.json")


class TestEnvfileStore(StoreContract):
    # Values no quoting carries to all three default readers are refused by name
    # (contrib/envfile's own tests check the refusals).
    tricky_values: ClassVar[Mapping[str, str]] = {
        key: value for key, value in StoreContract.tricky_values.items()
        if key not in {"TRICKY_BOTH_QUOTES", "TRICKY_DOLLAR_BRACE"}
    }

    def make_store(self) -> SecretStore:
        from stagecraft_envfile import EnvfileStore

        return EnvfileStore()

    def make_location(self, tmp_path: Path) -> str:
        return str(tmp_path / "target.env")


class TestEncoreCueFile(StoreContract):
    def make_store(self) -> SecretStore:
        from stagecraft_encore.provider import EncoreStore

        return EncoreStore()

    def make_location(self, tmp_path: Path) -> str:
        (tmp_path / "encore.app").write_text("{}\n")
        return ".secrets.local.cue"


# ------------------------------------------------------------------ the engine, in process


class CountingStore(SecretStore):
    """A write_one store in memory that counts calls in flight and can fail or stall."""

    id = "counting"
    writes_one_by_one = True
    concurrency = 3

    def __init__(self, latency: float = 0.0, fail: Collection[str] = (),
                 transient: int = 0) -> None:
        self.latency = latency
        self.fail = set(fail)
        self.transient = transient
        self.data: dict[str, str] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.calls = 0
        self.lock = threading.Lock()

    def read(self, ctx: Context, location: str, keys: Collection[str] | None) -> dict[str, str]:
        return dict(self.data)

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            flaky = self.transient > 0
            self.transient -= flaky
        try:
            time.sleep(self.latency)
            if flaky:
                raise TransientError("throttled")
            if key in self.fail:
                raise RuntimeError(f"refused {value}")
            self.data[key] = value
        finally:
            with self.lock:
                self.in_flight -= 1


def run_engine(tmp_path: Path, store: SecretStore, values: dict[str, str], **opts: Any) -> Any:
    write_env_file(tmp_path / "src.env", values)
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    return store.sync(ctx, SyncOptions(source="src.env", target="here", **opts))


def test_write_one_calls_are_bounded_by_concurrency(tmp_path: Path) -> None:
    store = CountingStore(latency=0.02)
    values = {f"K{i:02d}": f"value-{i}" for i in range(12)}
    result = run_engine(tmp_path, store, values)
    assert set(result.added) == set(values)
    assert store.data == values
    assert store.most_in_flight == 3


def test_transient_failures_are_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stagecraft.retrying.BACKOFF", 0.001)
    store = CountingStore(transient=2)
    result = run_engine(tmp_path, store, {"A": "value-a", "B": "value-b"})
    assert set(result.added) == {"A", "B"}
    assert store.calls == 4


def test_a_failing_key_keeps_the_others_and_its_reason_is_masked(tmp_path: Path) -> None:
    from stagecraft.engine import SyncFailedError

    store = CountingStore(fail={"B"})
    with pytest.raises(SyncFailedError) as info:
        run_engine(tmp_path, store, {"A": "value-aaaa", "B": "value-bbbb", "C": "value-cccc"})
    assert set(store.data) == {"A", "C"}
    assert info.value.failed == {"B": "refused ***"}
    assert [c.key for c in info.value.result.changes] == ["A", "C"]


def test_only_changed_keys_are_written(tmp_path: Path) -> None:
    store = CountingStore()
    run_engine(tmp_path, store, {"A": "value-a", "B": "value-b"})
    calls = store.calls
    result = run_engine(tmp_path, store, {"A": "value-a", "B": "value-b2"})
    assert (result.unchanged, result.updated) == (("A",), ("B",))
    assert store.calls == calls + 1


def test_deadline_stops_new_writes(tmp_path: Path) -> None:
    from stagecraft.engine import SyncFailedError

    store = CountingStore(latency=0.2)
    values = {f"K{i}": f"value-{i}" for i in range(9)}
    write_env_file(tmp_path / "src.env", values)
    ctx = Context(cwd=tmp_path, deadline=time.monotonic() + 0.3, registry=Registry([store]))
    with pytest.raises(SyncFailedError) as info:
        store.sync(ctx, SyncOptions(source="src.env", target="here"))
    assert set(store.data) == {c.key for c in info.value.result.changes}
    assert 0 < len(store.data) < 9
    assert all("deadline" in reason for reason in info.value.failed.values())


class _CarelessDirStore(dirstore.DirStore):  # type: ignore[name-defined,misc]
    """Creates its directory and files with the umask's modes (0755, 0644)."""

    def write_one(self, ctx: Context, location: str, key: str, value: str) -> None:
        folder = ctx.resolve(location)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).write_text(value, encoding="utf-8")


def test_the_contract_catches_files_and_directories_others_may_read(tmp_path: Path) -> None:
    contract = TestDirStore()
    with pytest.raises(AssertionError) as info:
        contract.test_files_and_directories_the_store_creates_are_private(
            _CarelessDirStore(), contract.make_location(tmp_path), tmp_path)
    message = str(info.value)
    assert "deploy (directory, mode 0755)" in message
    assert "deploy/secrets.d/CONTRACT_ALPHA (file, mode 0644)" in message


def test_dirstore_refuses_keys_that_name_another_place(tmp_path: Path) -> None:
    from stagecraft.engine import RefusedValuesError

    (tmp_path / "a.json").write_text('{"OK": "1", "../escaped": "2", "..": "3"}\n')
    store = dirstore.DirStore()
    ctx = Context(cwd=tmp_path, registry=Registry([store, jsonfile.JsonFileStore()]))
    with pytest.raises(RefusedValuesError) as info:
        store.sync(ctx, SyncOptions(source="jsonfile:a.json", target="secrets.d"))
    assert str(info.value) == (  # one reason, stated once, a line per key
        "dirstore:secrets.d: refusing 2 key(s), nothing was written:\n"
        "  not a file name:\n"
        "    ..\n"
        "    ../escaped"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]  # nothing written


def test_dirstore_reads_back_carriage_returns_exactly(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"CRLF": "a\\r\\nb", "CR": "c\\rd"}\n')
    store = dirstore.DirStore()
    ctx = Context(cwd=tmp_path, registry=Registry([store, jsonfile.JsonFileStore()]))
    options = SyncOptions(source="jsonfile:a.json", target="secrets.d")
    assert store.sync(ctx, options).added == ("CRLF", "CR")
    assert store.sync(ctx, options).unchanged == ("CRLF", "CR")
    assert (tmp_path / "secrets.d" / "CRLF").read_bytes() == b"a\r\nb"


def test_a_source_that_is_the_target_is_refused(tmp_path: Path) -> None:
    from stagecraft_envfile import EnvfileStore

    write_env_file(tmp_path / "a.env", {"A": "1"})
    store = EnvfileStore()
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    with pytest.raises(Exception, match="source and target are the same file"):
        store.sync(ctx, SyncOptions(source="envfile:a.env", target="./a.env"))


def test_a_file_store_target_ending_in_a_slash_is_refused(tmp_path: Path) -> None:
    write_env_file(tmp_path / "a.env", {"A": "value-a"})
    store = jsonfile.JsonFileStore()
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    with pytest.raises(Exception, match="names a directory"):
        store.sync(ctx, SyncOptions(source="a.env", target="newdir/"))
    assert not (tmp_path / "newdir").exists()


# ------------------------------------------------------------------ the command


def stagecraft(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if "sync" in args and "--from" not in args:
        args = (*args, "--from", ".env")
    return subprocess.run(
        [str(STAGECRAFT), "--plugins-dir", str(PLUGINS), *args],
        cwd=cwd, env={**child_env(), **(env or {})}, capture_output=True, text=True,
        timeout=60, check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_env_file(tmp_path / ".env", {
        "STRIPE_KEY": "sk-canary-1111", "STRIPE_SECRET": "sk-canary-2222",
        "DATABASE_URL": "postgres://canary-3333", "DEBUG_TOKEN": "dbg-canary-4444",
    })
    return tmp_path


def no_canary(result: subprocess.CompletedProcess[str]) -> None:
    for value in ("sk-canary-1111", "sk-canary-2222", "canary-3333", "canary-4444"):
        assert value not in result.stdout + result.stderr


def test_dry_run_check_and_json_on_an_in_house_store(project: Path) -> None:
    dry = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "--dry-run")
    assert (dry.returncode, dry.stdout) == (
        0, "+ STRIPE_KEY\n+ STRIPE_SECRET\n+ DATABASE_URL\n+ DEBUG_TOKEN\n")
    assert not (project / "d").exists()
    drift = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "--check")
    assert drift.returncode == 4
    done = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "--json")
    report = json.loads(done.stdout)
    assert report["provider"] == "dirstore"
    assert report["target"] == "d"
    assert [c["action"] for c in report["changes"]] == ["added"] * 4
    assert (project / "d" / "STRIPE_KEY").read_text() == "sk-canary-1111"
    assert (project / "d" / "STRIPE_KEY").stat().st_mode & 0o777 == 0o600
    clean = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "--check")
    assert clean.returncode == 0
    for result in (dry, drift, done, clean):
        no_canary(result)


def test_globs_exclude_and_prune(project: Path) -> None:
    picked = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "STRIPE_*",
                        "DEBUG_TOKEN", "--exclude", "*_SECRET")
    assert picked.stdout == "+ STRIPE_KEY\n+ DEBUG_TOKEN\n"
    typo = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "STRIPE_*", "NOPE_*")
    assert typo.returncode == 1
    assert "pattern matched no key: NOPE_*" in typo.stderr
    write_env_file(project / ".env", {"STRIPE_KEY": "sk-canary-1111"})
    plan = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "--prune", "--dry-run")
    assert plan.stdout == "= STRIPE_KEY\n- DEBUG_TOKEN\n"
    pruned = stagecraft(project, "secrets", "sync", "--to", "dirstore:d", "--prune")
    assert pruned.returncode == 0
    assert sorted(p.name for p in (project / "d").iterdir()) == ["STRIPE_KEY"]


def test_copy_between_stores_both_ways(project: Path) -> None:
    into = stagecraft(project, "secrets", "sync", "--to", "dirstore:d")
    assert into.returncode == 0
    out = stagecraft(project, "secrets", "sync", "--from", "dirstore:d", "--to", "jsonfile:s.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((project / "s.json").read_text())["DATABASE_URL"] == "postgres://canary-3333"
    back = stagecraft(project, "secrets", "sync", "--from", "jsonfile:s.json",
                      "--to", "envfile:copy.env")
    assert back.returncode == 0, back.stderr
    assert "STRIPE_SECRET=sk-canary-2222" in (project / "copy.env").read_text()


def test_an_unknown_store_prefix_is_a_user_error_with_a_hint(project: Path) -> None:
    result = stagecraft(project, "secrets", "sync", "--to", "dirstor:d")
    assert result.returncode == 1
    assert "'dirstor' is not a store id (did you mean 'dirstore'?)" in result.stderr
    assert "Traceback" not in result.stderr
    (project / "odd:name.json").write_text("{}")
    colon = stagecraft(project, "secrets", "sync", "--provider", "jsonfile",
                       "--to", "odd:name.json")
    assert colon.returncode == 0, colon.stderr


SLOW_PLUGIN = '''
import os, time
import stagecraft

class Slow(stagecraft.SecretStore):
    id = "slow"
    writes_one_by_one = True
    concurrency = 2

    def read(self, ctx, location, keys):
        return {}

    def write_one(self, ctx, location, key, value):
        if key == os.environ.get("FAIL_KEY"):
            raise stagecraft.ProviderError("rejected " + value[:12])
        print("wrote", key, value, flush=True)
        time.sleep(float(os.environ.get("SLOW", "0")))
        with open(os.path.join(location, key), "w") as handle:
            handle.write(value)

@stagecraft.hookimpl
def secrets_provider_register():
    return Slow()
'''


@pytest.fixture
def slow(project: Path) -> Path:
    plugin_dir = project / "slow-plugins"
    plugin_dir.mkdir()
    (plugin_dir / "slow.py").write_text(SLOW_PLUGIN)
    (project / "out").mkdir()
    return plugin_dir


def test_partial_failure_exits_2_naming_the_key_and_masking_its_echo(
    project: Path, slow: Path
) -> None:
    result = stagecraft(project, "--plugins-dir", str(slow), "secrets", "sync",
                        "--to", f"slow:{project / 'out'}", "--json",
                        env={"FAIL_KEY": "STRIPE_SECRET"})
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["error"]["exit_code"] == 2
    assert report["failed"] == [{"key": "STRIPE_SECRET", "reason": "rejected ***"}]
    assert sorted(c["key"] for c in report["changes"]) == ["DATABASE_URL", "DEBUG_TOKEN",
                                                           "STRIPE_KEY"]
    assert sorted(p.name for p in (project / "out").iterdir()) == [
        "DATABASE_URL", "DEBUG_TOKEN", "STRIPE_KEY"]
    # what the store printed went to stderr, masked; stdout is the JSON alone
    assert "stagecraft: provider output: wrote STRIPE_KEY ***" in result.stderr
    no_canary(result)


def test_sigint_lets_writes_in_flight_finish_and_exits_130(project: Path, slow: Path) -> None:
    values = {f"K{i:02d}": f"sigint-canary-{i:02d}" for i in range(20)}
    write_env_file(project / ".env", values)
    process = subprocess.Popen(
        [str(STAGECRAFT), "--plugins-dir", str(slow), "secrets", "sync", "--from", ".env",
         "--to", f"slow:{project / 'out'}"],
        cwd=project, env={**child_env(), "SLOW": "0.3"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any((project / "out").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    written = sorted(p.name for p in (project / "out").iterdir())
    assert 0 < len(written) < 20
    assert sorted(line[2:] for line in out.splitlines()) == written
    assert "interrupted" in err
    assert "not synced" in err
    assert "sigint-canary" not in err.replace("***", "")


@pytest.mark.parametrize("store_id", ["vault", "aws-sm", "dirstore"])
def test_a_bare_store_id_is_not_taken_for_a_file_name(project: Path, store_id: str) -> None:
    """`--to vault` (the colon forgotten) would write every secret in plain text to ./vault."""
    (project / "stagecraft.yml").write_text("secrets:\n  provider: envfile\n")
    hint = f"{store_id}: names the store {store_id!r}, not a location in it; " \
        f"write {store_id}:LOCATION"
    for args in (("--to", store_id), ("--from", store_id, "--to", "out.env")):
        result = stagecraft(project, "secrets", "sync", *args)
        assert result.returncode == 1, result.stderr
        assert hint in result.stderr
        assert "Traceback" not in result.stderr
        no_canary(result)
    for role in ("to", "from"):
        (project / "stagecraft.yml").write_text(
            f"secrets:\n  provider: envfile\n  {role}: {store_id}\n")
        configured = subprocess.run(
            [str(STAGECRAFT), "--plugins-dir", str(PLUGINS), "secrets", "sync"],
            cwd=project, env=child_env(), capture_output=True, text=True, timeout=60,
            check=False)
        assert configured.returncode == 1, configured.stderr
        assert hint in configured.stderr
    assert not (project / store_id).exists()
    (project / "stagecraft.yml").write_text("secrets:\n  provider: envfile\n")
    as_file = stagecraft(project, "secrets", "sync", "--to", f"./{store_id}")
    assert as_file.returncode == 0, as_file.stderr
    assert "STRIPE_KEY=sk-canary-1111" in (project / store_id).read_text()
