"""The store against a real OpenBao dev server: values, versions, fields kept, check-and-set."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest
from vault_helpers import VALUES, kv_get, kv_put, make_ctx

from stagecraft.providers.secrets import Context
from stagecraft.store import NoSuchLocationError
from stagecraft.testing import sessions
from stagecraft.testing.servers.openbao import DevServer
from stagecraft_vault.config import Config
from stagecraft_vault.errors import ConflictError, TooManyFieldsError
from stagecraft_vault.store import VaultStore

pytestmark = pytest.mark.usefixtures("vault_env")

def test_round_trip_of_tricky_values(store: VaultStore, ctx: Context, bao: DevServer,
                                     location: str, path: str) -> None:
    sessions.write(store, ctx, location, VALUES)
    assert store.read(ctx, location, None) == VALUES
    assert kv_get(bao, path) == (VALUES, 1)  # one write, stored as sent


def test_read_selects_keys_and_an_absent_secret_does_not_exist(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    with pytest.raises(NoSuchLocationError, match=f"vault:{location}: does not exist"):
        store.read(ctx, location, None)
    kv_put(bao, path, {})
    assert store.read(ctx, location, None) == {}  # exists, and holds no field
    kv_put(bao, path, {"A": "1", "B": "2"})
    assert store.read(ctx, location, ["A", "MISSING"]) == {"A": "1"}
    assert store.read(ctx, location, []) == {}


def test_read_registers_every_value_for_masking(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"A": "masked-value-one", "B": "masked-value-two"})
    store.read(ctx, location, ["A"])  # B is not selected, yet it was read
    shown = ctx.redactor.redact("x masked-value-one y masked-value-two " + bao.token)
    assert "masked-value" not in shown
    assert bao.token not in shown


def test_unchanged_values_write_nothing(store: VaultStore, ctx: Context, bao: DevServer,
                                        location: str, path: str) -> None:
    sessions.write(store, ctx, location, {"A": "1", "B": "2"})
    sessions.write(store, ctx, location, {"A": "1"})
    sessions.write(store, ctx, location, {})
    sessions.delete(store, ctx, location, ["NOT_THERE"])
    assert kv_get(bao, path) == ({"A": "1", "B": "2"}, 1)


def test_writing_nothing_creates_no_secret(store: VaultStore, ctx: Context, bao: DevServer,
                                           location: str, path: str) -> None:
    sessions.write(store, ctx, location, {})
    status, _ = bao.request("GET", f"secret/metadata/{path}")
    assert status == 404


def test_write_keeps_other_fields_in_one_new_version(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"OTHER": "kept", "A": "old"})
    sessions.write(store, ctx, location, {"A": "new", "B": "added"})
    assert kv_get(bao, path) == ({"OTHER": "kept", "A": "new", "B": "added"}, 2)


def test_delete_removes_fields_not_the_secret(store: VaultStore, ctx: Context, bao: DevServer,
                                              location: str, path: str) -> None:
    kv_put(bao, path, {"A": "1", "B": "2", "C": "3"})
    sessions.delete(store, ctx, location, ["A", "C"])
    assert kv_get(bao, path) == ({"B": "2"}, 2)
    sessions.delete(store, ctx, location, ["B"])
    assert kv_get(bao, path) == ({}, 3)  # an empty secret, still there


def test_session_writes_on_the_version_it_read(store: VaultStore, ctx: Context, bao: DevServer,
                                               location: str, path: str) -> None:
    kv_put(bao, path, {"A": "1"})
    with store.session(ctx, location, dry_run=False) as session:
        assert session.read(None) == {"A": "1"}
        session.write({"A": "2"})
        session.delete(["A"])  # after its own write: the version it wrote, no conflict
    assert kv_get(bao, path) == ({}, 3)


def test_concurrent_change_between_read_and_write_fails_clearly(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"A": "1", "B": "1"})
    with store.session(ctx, location, dry_run=False) as session:
        session.read(None)
        kv_put(bao, path, {"A": "1", "B": "theirs"})  # another writer, after our plan
        with pytest.raises(ConflictError) as caught:
            session.write({"A": "ours"})
    message = str(caught.value)
    assert f"vault: writing {location} at {bao.address}" in message
    assert "changed since it was read (version 1, now" in message
    assert "run again" in message
    assert "\n" not in message
    assert caught.value.exit_code == 2
    assert kv_get(bao, path) == ({"A": "1", "B": "theirs"}, 2)  # theirs kept, ours not written


def test_a_write_that_landed_with_its_answer_lost_is_not_a_conflict(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    """The engine retries a write whose connection dropped after the server applied it."""
    kv_put(bao, path, {"A": "1"})
    with store.session(ctx, location, dry_run=False) as session:
        session.read(None)
        kv_put(bao, path, {"A": "2", "B": "3"})  # what our first attempt wrote
        session.write({"A": "2", "B": "3"})  # the retry: check-and-set fails, data is ours
    assert kv_get(bao, path) == ({"A": "2", "B": "3"}, 2)


def test_deleted_latest_version_does_not_exist_and_can_be_written(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"A": "1"})
    assert bao.request("DELETE", f"secret/data/{path}")[0] == 204
    with pytest.raises(NoSuchLocationError):
        store.read(ctx, location, None)
    sessions.write(store, ctx, location, {"B": "2"})
    assert kv_get(bao, path) == ({"B": "2"}, 2)


def test_non_string_fields_read_as_json_and_are_kept(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {"N": 5, "L": ["a", 1], "S": "s"})
    assert store.read(ctx, location, None) == {"N": "5", "L": '["a", 1]', "S": "s"}
    sessions.write(store, ctx, location, {"S": "t"})
    assert kv_get(bao, path) == ({"N": 5, "L": ["a", 1], "S": "t"}, 2)


def test_too_many_fields_fail_before_anything_is_written(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    values = {f"K{i:03d}": f"v{i}" for i in range(499)}
    with pytest.raises(TooManyFieldsError) as caught:
        sessions.write(store, ctx, location, values)
    message = str(caught.value)
    assert "499 fields" in message
    assert "at most 498" in message
    assert "nothing was written" in message
    assert bao.address in message
    assert location in message
    assert kv_get(bao, path) == ({}, 0)
    del values["K498"]
    sessions.write(store, ctx, location, values)  # the largest secret one write can carry
    assert kv_get(bao, path) == (values, 1)


def test_the_size_limit_counts_fields_already_there(
    store: VaultStore, ctx: Context, bao: DevServer, location: str, path: str
) -> None:
    kv_put(bao, path, {f"OLD{i:03d}": "x" for i in range(400)})
    with pytest.raises(TooManyFieldsError, match="would hold 500 fields"):
        sessions.write(store, ctx, location, {f"NEW{i:03d}": "y" for i in range(100)})
    assert kv_get(bao, path)[1] == 1


def test_concurrent_sessions_on_one_store_keep_their_own_versions(
    store: VaultStore, bao: DevServer, tmp_path: Path, path: str
) -> None:
    """The store object is shared; each sync's version lives in its own session."""
    errors: list[BaseException] = []
    paths = [f"{path}-{n}" for n in range(6)]

    def sync(target: str) -> None:
        try:
            ctx = make_ctx(tmp_path)
            for round_ in range(3):
                with store.session(ctx, f"secret/{target}", dry_run=False) as session:
                    with contextlib.suppress(NoSuchLocationError):  # the first round
                        session.read(None)
                    session.write({"ROUND": str(round_), "NAME": target})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for target in paths:
        assert kv_get(bao, target) == ({"ROUND": "2", "NAME": target}, 3)


def test_configured_mount_takes_the_whole_location_as_path(
    store: VaultStore, bao: DevServer, tmp_path: Path, path: str
) -> None:
    ctx = make_ctx(tmp_path, Config(mount="secret"))
    sessions.write(store, ctx, f"{path}/deeper", {"A": "1"})
    assert kv_get(bao, f"{path}/deeper") == ({"A": "1"}, 1)
    assert store.normalise_location(ctx, f"/{path}/deeper/") == f"vault:secret/{path}/deeper"


def test_a_mount_with_slashes_is_found_from_the_server(
    store: VaultStore, ctx: Context, bao: DevServer, path: str
) -> None:
    mount = f"team-{path}/kv"
    status, body = bao.request("POST", f"sys/mounts/{mount}",
                               {"type": "kv", "options": {"version": "2"}})
    assert status == 204, body
    sessions.write(store, ctx, f"{mount}/app", {"A": "1"})
    assert kv_get(bao, "app", mount=mount) == ({"A": "1"}, 1)


def test_kv_version_from_config_skips_the_mount_lookup(
    store: VaultStore, bao: DevServer, tmp_path: Path, location: str, path: str
) -> None:
    ctx = make_ctx(tmp_path, Config(kv_version=2))
    sessions.write(store, ctx, location, {"A": "1"})
    assert store.read(ctx, location, None) == {"A": "1"}
    assert kv_get(bao, path) == ({"A": "1"}, 1)


# -- KV version 1 ----------------------------------------------------------------------


def v1_get(bao: DevServer, mount: str, name: str) -> dict[str, object]:
    status, body = bao.request("GET", f"{mount}/{name}")
    if status == 404:
        return {}
    data = body["data"]
    assert isinstance(data, dict)
    return data


def test_kv1_round_trip_keep_and_delete(store: VaultStore, ctx: Context, bao: DevServer,
                                        kv1: str) -> None:
    bao.request("POST", f"{kv1}/app", {"OTHER": "kept"})
    sessions.write(store, ctx, f"{kv1}/app", VALUES)
    assert store.read(ctx, f"{kv1}/app", None) == {**VALUES, "OTHER": "kept"}
    sessions.delete(store, ctx, f"{kv1}/app", list(VALUES))
    assert v1_get(bao, kv1, "app") == {"OTHER": "kept"}


def test_kv1_change_between_read_and_write_is_refused(
    store: VaultStore, ctx: Context, bao: DevServer, kv1: str
) -> None:
    bao.request("POST", f"{kv1}/app", {"A": "1"})
    with store.session(ctx, f"{kv1}/app", dry_run=False) as session:
        session.read(None)
        bao.request("POST", f"{kv1}/app", {"A": "theirs"})
        with pytest.raises(ConflictError, match="changed since it was read; nothing was written"):
            session.write({"B": "ours"})
    assert v1_get(bao, kv1, "app") == {"A": "theirs"}


def test_kv1_size_limit_is_500_fields(store: VaultStore, ctx: Context, bao: DevServer,
                                      kv1: str) -> None:
    values = {f"K{i:03d}": "v" for i in range(501)}
    with pytest.raises(TooManyFieldsError, match="at most 500"):
        sessions.write(store, ctx, f"{kv1}/app", values)
    del values["K500"]
    sessions.write(store, ctx, f"{kv1}/app", values)
    assert v1_get(bao, kv1, "app") == values
