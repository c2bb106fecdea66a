"""The AWS stores' reads, writes and deletes against a real moto server.

These tests drive the stores through their sessions, as the engine does,
and check the result with a plain boto3 client on moto; the whole command
is tested in ``test_cli.py``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from stagecraft.providers.secrets import Action, Context
from stagecraft.store import NoSuchLocationError
from stagecraft.testing import TRICKY_VALUES, sessions
from stagecraft_aws.awsstore import AwsStore, LocationError
from stagecraft_aws.config import Config
from stagecraft_aws.parameterstore import ParameterStore
from stagecraft_aws.secretsmanager import (
    JsonSecretStore,
    SecretPerKeyStore,
    SecretsManagerStore,
)

#: The tricky values each store can hold (Secrets Manager and Parameter Store refuse "").
NON_EMPTY_TRICKY = {key: value for key, value in TRICKY_VALUES.items() if value}


def write_all(store: AwsStore, ctx: Context, location: str, values: Mapping[str, str]) -> None:
    with store.session(ctx, location, dry_run=False) as session:
        with contextlib.suppress(NoSuchLocationError):  # as a target: a first write creates it
            session.read(None)
        if store.writes_one_by_one:
            for key, value in values.items():
                session.write_one(key, value)
        else:
            session.write(values)


def read_all(store: AwsStore, ctx: Context, location: str) -> dict[str, str]:
    with store.session(ctx, location, dry_run=False) as session:
        return dict(session.read(None))


def secret_names(sm: Any, prefix: str) -> list[str]:
    names: list[str] = []
    for page in sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix]}]
    ):
        names.extend(entry["Name"] for entry in page["SecretList"])
    return sorted(names)


def version_count(sm: Any, name: str) -> int:
    return len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"])


# ------------------------------------------------------------------ the plugin


def test_listing_the_stores_does_not_import_boto3() -> None:
    code = (
        "import sys\n"
        "from stagecraft.providers import secrets\n"
        "assert {'aws-sm', 'aws-ssm'} <= set(secrets.ids()), secrets.ids()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_contributing_the_stores_imports_nothing_beyond_the_plugin() -> None:
    """Every command builds the registry: the plugin must not add imports to its start-up
    beyond the core's modules a store and its config class are made of."""
    code = (
        "import sys\n"
        "import attrs, stagecraft.hookspecs, stagecraft.store, stagecraft.providers.secrets\n"
        "import stagecraft.config_fields\n"
        "before = set(sys.modules)\n"
        "import stagecraft_aws\n"
        "stagecraft_aws.secrets_provider_register()\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if not m.startswith('stagecraft_aws')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_plugin_contributes_two_stores_and_routes_by_layout(ctx: Context) -> None:
    import stagecraft_aws

    stores = stagecraft_aws.secrets_provider_register()
    assert [store.id for store in stores] == ["aws-sm", "aws-ssm"]
    sm_store = stores[0]
    assert isinstance(sm_store, SecretsManagerStore)
    per_key = sm_store.route(ctx, "myapp/prod/")
    one_secret = sm_store.route(ctx, "myapp/prod")
    assert isinstance(per_key, SecretPerKeyStore)
    assert per_key.writes_one_by_one
    assert isinstance(one_secret, JsonSecretStore)
    assert not one_secret.writes_one_by_one
    assert per_key.can_delete
    assert one_secret.can_delete
    assert stores[1].writes_one_by_one
    assert stores[1].can_delete


@pytest.mark.parametrize(
    ("store", "location", "message"),
    [
        (ParameterStore(), "myapp/prod/", "starts with '/'"),
        (ParameterStore(), "/myapp/prod", "end the path with '/'"),
        (ParameterStore(), "/my app/", "may hold only"),
        (ParameterStore(), "/a//b/", "may hold only"),
        (SecretsManagerStore(), "", "the location is empty"),
        (SecretsManagerStore(), "my app/", "may hold only"),
    ],
)
def test_bad_locations_are_refused_before_any_call(
    store: AwsStore, location: str, message: str, ctx: Context
) -> None:
    with pytest.raises(LocationError, match=message) as caught:
        store.read(ctx, location, None)
    assert caught.value.exit_code == 1
    assert str(caught.value).startswith(f"{store.id}:")


# ------------------------------------------------------------------ a place that does not exist


@pytest.mark.parametrize(
    ("make_store", "layout", "why"),
    [
        (ParameterStore, "/{prefix}/prod/", "no parameter named /{prefix}/prod/KEY"),
        (SecretPerKeyStore, "{prefix}/prod/", "no secret named {prefix}/prod/KEY"),
        (JsonSecretStore, "{prefix}/prod", "no secret named {prefix}/prod"),
    ],
    ids=["aws-ssm-path", "aws-sm-prefix", "aws-sm-name"],
)
def test_a_location_with_nothing_there_does_not_exist(
    aws_env: object, ctx: Context, prefix: str, make_store: Callable[[], AwsStore],
    layout: str, why: str,
) -> None:
    """A prefix or a path exists only through its keys: none there is no such place."""
    store, location = make_store(), layout.format(prefix=prefix)
    with pytest.raises(NoSuchLocationError) as caught:
        store.read(ctx, location, None)
    expected = f"{store.id}:{location}: does not exist ({why.format(prefix=prefix)})"
    assert str(caught.value) == expected
    write_all(store, ctx, location, {"ONLY": "value-1"})
    assert store.read(ctx, location, None) == {"ONLY": "value-1"}


# ------------------------------------------------------------------ round trips


def test_parameter_store_round_trip_of_tricky_values(aws_env: object, ctx: Context,
                                                     prefix: str, ssm: Any) -> None:
    store, location = ParameterStore(), f"/{prefix}/prod/"
    write_all(store, ctx, location, NON_EMPTY_TRICKY)
    assert read_all(store, ctx, location) == NON_EMPTY_TRICKY
    assert store.read(ctx, location, ["TRICKY_PEM", "ABSENT"]) == {
        "TRICKY_PEM": NON_EMPTY_TRICKY["TRICKY_PEM"]}
    parameter = ssm.get_parameter(Name=f"{location}TRICKY_TAB", WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Value"] == "before\tafter"


def test_secret_per_key_round_trip_of_tricky_values(aws_env: object, ctx: Context,
                                                    prefix: str, sm: Any) -> None:
    store, location = SecretsManagerStore(), f"{prefix}/prod/"
    write_all(store.per_key, ctx, location, NON_EMPTY_TRICKY)
    assert read_all(store.per_key, ctx, location) == NON_EMPTY_TRICKY
    assert secret_names(sm, location) == sorted(location + key for key in NON_EMPTY_TRICKY)
    answer = sm.get_secret_value(SecretId=f"{location}TRICKY_UNICODE")
    assert answer["SecretString"] == TRICKY_VALUES["TRICKY_UNICODE"]


def test_json_secret_round_trip_of_tricky_values_including_empty(
    aws_env: object, ctx: Context, prefix: str, sm: Any
) -> None:
    store, location = SecretsManagerStore(), f"{prefix}/prod"
    write_all(store.json_object, ctx, location, TRICKY_VALUES)
    assert read_all(store.json_object, ctx, location) == TRICKY_VALUES
    stored = json.loads(sm.get_secret_value(SecretId=location)["SecretString"])
    assert stored == TRICKY_VALUES
    assert version_count(sm, location) == 1


def test_empty_and_oversized_values_are_refused_before_anything_is_sent(ctx: Context) -> None:
    values = {"EMPTY": "", "HUGE": "x" * 5000, "OK": "fine", "BAD KEY": "v"}
    ssm_problems = ParameterStore().check_values(ctx, "/app/", values)
    assert set(ssm_problems) == {"EMPTY", "HUGE", "BAD KEY"}
    assert "4096" in ssm_problems["HUGE"]
    sm_problems = SecretsManagerStore().check_values(ctx, "app/", values)
    assert set(sm_problems) == {"EMPTY", "BAD KEY"}
    assert SecretsManagerStore().check_values(ctx, "app", values) == {}
    for reason in [*ssm_problems.values(), *sm_problems.values()]:
        assert "fine" not in reason
        assert "xxx" not in reason


# ------------------------------------------------------------------ Secrets Manager layouts


def test_per_key_layout_ignores_deeper_and_differently_cased_names(
    aws_env: object, ctx: Context, prefix: str, sm: Any
) -> None:
    location = f"{prefix}/prod/"
    sm.create_secret(Name=f"{location}A", SecretString="a")
    sm.create_secret(Name=f"{location}nested/B", SecretString="b")
    sm.create_secret(Name=f"{prefix.upper()}/prod/C", SecretString="c")
    sm.create_secret(Name=f"{prefix}/production/D", SecretString="d")
    assert read_all(SecretPerKeyStore(), ctx, location) == {"A": "a"}


def test_per_key_writes_create_new_secrets_with_tags_and_update_old_ones(
    aws_env: object, prefix: str, sm: Any, tmp_path: Any
) -> None:
    ctx = Context(cwd=tmp_path, config=Config(tags={"team": "web"}))
    store, location = SecretPerKeyStore(), f"{prefix}/prod/"
    sm.create_secret(Name=f"{location}OLD", SecretString="before")
    with store.session(ctx, location, dry_run=False) as session:
        assert session.read(None) == {"OLD": "before"}
        assert session.write_one("OLD", "after") is Action.UPDATED
        assert session.write_one("NEW", "fresh") is Action.ADDED
    assert sm.get_secret_value(SecretId=f"{location}OLD")["SecretString"] == "after"
    described = sm.describe_secret(SecretId=f"{location}NEW")
    assert described["Tags"] == [{"Key": "team", "Value": "web"}]
    assert "Tags" not in sm.describe_secret(SecretId=f"{location}OLD")


def test_per_key_write_without_a_read_finds_out_whether_the_secret_exists(
    aws_env: object, ctx: Context, prefix: str, sm: Any
) -> None:
    store, location = SecretPerKeyStore(), f"{prefix}/prod/"
    sm.create_secret(Name=f"{location}OLD", SecretString="before")
    assert sessions.write_one(store, ctx, location, "OLD", "after") is Action.UPDATED
    assert sessions.write_one(store, ctx, location, "NEW", "fresh") is Action.ADDED
    assert read_all(store, ctx, location) == {"OLD": "after", "NEW": "fresh"}


def test_json_layout_keeps_unselected_keys_and_their_types(
    aws_env: object, ctx: Context, prefix: str, sm: Any
) -> None:
    location = f"{prefix}/prod"
    sm.create_secret(Name=location, SecretString=json.dumps(
        {"KEEP": "kept", "PORT": 5432, "DEBUG": True, "CHANGE": "old"}))
    store = JsonSecretStore()
    assert store.read(ctx, location, ["PORT", "DEBUG", "NOPE"]) == {
        "PORT": "5432", "DEBUG": "true"}
    sessions.write(store, ctx, location, {"CHANGE": "new", "ADDED": "yes"})
    stored = json.loads(sm.get_secret_value(SecretId=location)["SecretString"])
    assert stored == {"KEEP": "kept", "PORT": 5432, "DEBUG": True, "CHANGE": "new",
                      "ADDED": "yes"}
    sessions.delete(store, ctx, location, ["ADDED", "KEEP"])
    stored = json.loads(sm.get_secret_value(SecretId=location)["SecretString"])
    assert stored == {"PORT": 5432, "DEBUG": True, "CHANGE": "new"}
    before = version_count(sm, location)
    sessions.write(store, ctx, location, {"CHANGE": "new"})  # what it already holds
    assert version_count(sm, location) == before


def test_json_layout_refuses_a_secret_that_is_not_an_object(
    aws_env: object, ctx: Context, prefix: str, sm: Any
) -> None:
    location = f"{prefix}/plain"
    sm.create_secret(Name=location, SecretString="just a password")
    with pytest.raises(Exception, match="not a JSON object") as caught:
        JsonSecretStore().read(ctx, location, None)
    assert getattr(caught.value, "exit_code", None) == 2
    assert "just a password" not in str(caught.value)
    assert f"aws-sm:{location}/" in str(caught.value)


# ------------------------------------------------------------------ prune


def test_per_key_delete_keeps_the_recovery_window_and_a_later_write_restores(
    aws_env: object, ctx: Context, prefix: str, sm: Any
) -> None:
    store, location = SecretPerKeyStore(), f"{prefix}/prod/"
    write_all(store, ctx, location, {"A": "1", "B": "2", "C": "3"})
    sessions.delete(store, ctx, location, ["A", "B"])
    sessions.delete(store, ctx, location, ["A"])  # deleting again is harmless
    assert read_all(store, ctx, location) == {"C": "3"}
    described = sm.describe_secret(SecretId=f"{location}A")
    assert "DeletedDate" in described  # scheduled, recoverable
    write_all(store, ctx, location, {"A": "back"})
    assert read_all(store, ctx, location) == {"A": "back", "C": "3"}


def test_per_key_force_delete_removes_at_once(
    aws_env: object, prefix: str, sm: Any, tmp_path: Any
) -> None:
    ctx = Context(cwd=tmp_path, config=Config(force_delete=True))
    store, location = SecretPerKeyStore(), f"{prefix}/prod/"
    write_all(store, ctx, location, {"A": "1", "B": "2"})
    sessions.delete(store, ctx, location, ["A"])
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.describe_secret(SecretId=f"{location}A")
    assert read_all(store, ctx, location) == {"B": "2"}


# ------------------------------------------------------------------ pagination


def test_parameter_store_pages_every_read_and_delete_path(
    proxy: Any, ctx: Context, prefix: str, ssm: Any
) -> None:
    store, location = ParameterStore(), f"/{prefix}/big/"
    values = {f"KEY_{i:03d}": f"value-{i:03d}" for i in range(105)}
    write_all(store, ctx, location, values)
    proxy.faults.reset()
    assert read_all(store, ctx, location) == values
    assert proxy.faults.calls["GetParametersByPath"] == 11  # 10 a page
    wanted = [f"KEY_{i:03d}" for i in range(0, 105, 3)] + ["ABSENT"]
    proxy.faults.reset()
    assert store.read(ctx, location, wanted) == {k: values[k] for k in wanted if k in values}
    assert proxy.faults.calls["GetParameters"] == 4  # 36 names, 10 a call
    proxy.faults.reset()
    sessions.delete(store, ctx, location, [*values][:101])
    assert proxy.faults.calls["DeleteParameters"] == 11
    assert read_all(store, ctx, location) == {k: values[k] for k in [*values][101:]}


def test_secrets_manager_pages_list_and_batches_values(
    proxy: Any, ctx: Context, prefix: str
) -> None:
    store, location = SecretPerKeyStore(), f"{prefix}/big/"
    values = {f"KEY_{i:03d}": f"value-{i:03d}" for i in range(205)}
    write_all(store, ctx, location, values)
    proxy.faults.reset()
    assert read_all(store, ctx, location) == values
    assert proxy.faults.calls["ListSecrets"] == 3  # 100 a page
    assert proxy.faults.calls["BatchGetSecretValue"] == 11  # 20 names a call
    assert proxy.faults.total() == 14
