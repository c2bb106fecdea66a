"""The core of ``secrets check``: the key-by-environment comparison, its JSON, exit status, text."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pytest

from stagecraft import config, dotenv
from stagecraft.colour import Palette
from stagecraft.config import DeclaredKey, Environment, Manifest, resolve_location
from stagecraft.errors import ProviderError
from stagecraft.manifest_check import (
    CheckResult,
    EnvironmentStatus,
    KeyStatus,
    check,
    render,
)

ENVIRONMENTS = {
    name: Environment(name, store, location)
    for name, store, location in [
        ("dev", "envfile", ".env.local"),
        ("staging", "vault", "secret/app"),
        ("prod", "aws-sm", "app/prod/"),
        ("encore-prod", "encore", "production"),
    ]
}
MANIFEST = Manifest(
    environments=ENVIRONMENTS,
    keys=(
        DeclaredKey("DATABASE_URL", "Postgres"),
        DeclaredKey("STRIPE_API_KEY", required=frozenset({"staging", "prod"})),
        DeclaredKey("SENTRY_DSN", required=False),
    ),
)


class FakeStores:
    """Key names per environment; an entry that is an exception is raised when read."""

    def __init__(self, names: dict[str, Collection[str] | Exception],
                 write_only: Collection[str] = ()) -> None:
        self.names = names
        self.write_only = set(write_only)
        self.reads: Counter[str] = Counter()
        self.lock = threading.Lock()

    def read(self, label: str) -> Collection[str]:
        with self.lock:
            self.reads[label] += 1
        found = self.names[label]
        if isinstance(found, Exception):
            raise found
        return found

    def can_list(self, label: str) -> bool:
        return label not in self.write_only


def test_every_declared_key_in_every_environment() -> None:
    stores = FakeStores({
        "dev": {"DATABASE_URL", "LOCAL_DEBUG"},
        "staging": {"DATABASE_URL", "STRIPE_API_KEY", "SENTRY_DSN"},
        "prod": {"STRIPE_API_KEY"},
        "encore-prod": {"DATABASE_URL"},
    })
    result = check(MANIFEST, None, stores.read, stores.can_list)
    statuses = {report.name: dict(report.keys) for report in result.environments}
    assert statuses == {
        "dev": {"DATABASE_URL": KeyStatus.PRESENT, "STRIPE_API_KEY": KeyStatus.OPTIONAL_ABSENT,
                "SENTRY_DSN": KeyStatus.OPTIONAL_ABSENT},
        "staging": {"DATABASE_URL": KeyStatus.PRESENT, "STRIPE_API_KEY": KeyStatus.PRESENT,
                    "SENTRY_DSN": KeyStatus.PRESENT},
        "prod": {"DATABASE_URL": KeyStatus.MISSING, "STRIPE_API_KEY": KeyStatus.PRESENT,
                 "SENTRY_DSN": KeyStatus.OPTIONAL_ABSENT},
        "encore-prod": {"DATABASE_URL": KeyStatus.PRESENT,
                        "STRIPE_API_KEY": KeyStatus.OPTIONAL_ABSENT,
                        "SENTRY_DSN": KeyStatus.OPTIONAL_ABSENT},
    }
    assert result.missing() == [("DATABASE_URL", "prod")]
    assert result.undeclared() == [("LOCAL_DEBUG", "dev")]
    assert result.exit_status() == 4
    assert stores.reads == Counter({"dev": 1, "staging": 1, "prod": 1, "encore-prod": 1})


def test_the_json_structure_is_the_pinned_one() -> None:
    stores = FakeStores(
        {"dev": {"DATABASE_URL", "EXTRA"}, "prod": ProviderError("prod: connection refused"),
         "encore-prod": set()},
        write_only={"encore-prod"},
    )
    result = check(MANIFEST, ["dev", "prod", "encore-prod"], stores.read, stores.can_list)
    document = result.to_json()
    assert json.loads(json.dumps(document)) == document
    assert document == {
        "environments": [
            {"name": "dev", "status": "checked",
             "keys": {"DATABASE_URL": "present", "STRIPE_API_KEY": "optional-absent",
                      "SENTRY_DSN": "optional-absent"}},
            {"name": "prod", "status": "unreadable",
             "keys": {"DATABASE_URL": "unknown", "STRIPE_API_KEY": "unknown",
                      "SENTRY_DSN": "unknown"}},
            {"name": "encore-prod", "status": "cannot check",
             "keys": {"DATABASE_URL": "unknown", "STRIPE_API_KEY": "unknown",
                      "SENTRY_DSN": "unknown"}},
        ],
        "missing": [],
        "undeclared": [{"key": "EXTRA", "environment": "dev"}],
        "unreadable": [
            {"environment": "prod", "error": "prod: connection refused"},
            {"environment": "encore-prod",
             "error": "cannot check: the store cannot list key names"},
        ],
    }
    assert "encore-prod" not in stores.reads  # a store that can list nothing is not read


@pytest.mark.parametrize(
    ("names", "write_only", "status"),
    [
        ({"dev": {"DATABASE_URL"}, "prod": {"DATABASE_URL", "STRIPE_API_KEY"}}, (), 0),
        ({"dev": {"DATABASE_URL"}, "prod": {"DATABASE_URL"}}, (), 4),
        ({"dev": {"DATABASE_URL"}, "prod": ProviderError("down")}, (), 2),
        ({"dev": set(), "prod": ProviderError("down")}, (), 2),  # a failure outranks drift
        ({"dev": {"DATABASE_URL"}, "prod": set()}, ("prod",), 2),  # cannot check is no pass
    ],
)
def test_exit_status(names: dict[str, Collection[str] | Exception],
                     write_only: tuple[str, ...], status: int) -> None:
    stores = FakeStores(names, write_only)
    assert check(MANIFEST, ["dev", "prod"], stores.read, stores.can_list).exit_status() == status


def test_the_caller_masks_the_error_text() -> None:
    stores = FakeStores({"dev": ProviderError("vault: bad token hvs.CANARY123")})
    result = check(MANIFEST, ["dev"], stores.read, stores.can_list,
                   error_text=lambda exc: str(exc).replace("hvs.CANARY123", "********"))
    assert result.unreadable()[0].error == "vault: bad token ********"
    assert "CANARY" not in json.dumps(result.to_json()) + render(result)


def test_a_bug_in_a_reader_is_not_taken_for_an_unreadable_store() -> None:
    stores = FakeStores({"dev": {"DATABASE_URL"}, "prod": KeyError("bug")})
    with pytest.raises(KeyError):
        check(MANIFEST, ["dev", "prod"], stores.read, stores.can_list)


def test_a_bug_in_one_reader_does_not_wait_for_the_others() -> None:
    """The slow reader is released only after check() returned; had check() waited for
    it, the reader would have timed out instead of seeing the release."""
    released = threading.Event()
    started = threading.Event()
    outcome: list[bool] = []

    def read(label: str) -> Collection[str]:
        if label == "dev":
            started.set()
            outcome.append(released.wait(60))
            return set()
        started.wait(60)
        raise RuntimeError("a bug in the prod reader")

    with pytest.raises(RuntimeError, match="a bug in the prod reader"):
        check(MANIFEST, ["dev", "prod"], read, lambda label: True)
    released.set()
    for thread in threading.enumerate():
        if thread.name.startswith("stagecraft-check"):
            thread.join()
    assert outcome == [True]


def test_environments_are_read_concurrently_and_once_each() -> None:
    """Each reader waits until every reader has started: read one after another, they
    could never all start, the barrier would break and the check would fail."""
    labels = ["dev", "staging", "prod", "encore-prod"]
    barrier = threading.Barrier(len(labels), timeout=60)  # a safety net, not a measurement
    stores = FakeStores(dict.fromkeys(labels, frozenset({"DATABASE_URL", "STRIPE_API_KEY"})))

    def read(label: str) -> Collection[str]:
        barrier.wait()
        return stores.read(label)

    result = check(MANIFEST, [*labels, "dev", "prod"], read, stores.can_list)
    assert [report.name for report in result.environments] == labels
    assert stores.reads == Counter(dict.fromkeys(labels, 1))
    assert result.exit_status() == 0


def test_without_declared_keys_every_key_found_is_compared() -> None:
    stores = FakeStores({
        "envfile:.env.a": {"B", "A"},
        "envfile:.env.b": {"A", "C"},
        "vault:app": ProviderError("vault: sealed"),
    })
    result = check(Manifest(), ["envfile:.env.a", "envfile:.env.b", "vault:app"],
                   stores.read, stores.can_list)
    assert result.keys == ("A", "B", "C")
    assert not result.declared
    assert result.missing() == [("B", "envfile:.env.b"), ("C", "envfile:.env.a")]
    assert result.undeclared() == []  # nothing is declared, so nothing is undeclared
    assert result.exit_status() == 2


def test_no_environments_at_all() -> None:
    result = check(Manifest(), None, FakeStores({}).read, FakeStores({}).can_list)
    assert result == CheckResult((), (), False)
    assert result.exit_status() == 0
    assert render(result) == "KEY\n(no keys declared or found)"


def test_the_text_matrix() -> None:
    stores = FakeStores(
        {"dev": {"DATABASE_URL", "LOCAL_DEBUG", "AN_EXTRA"}, "staging": {"DATABASE_URL"},
         "prod": ProviderError("aws-sm: access denied"), "encore-prod": set()},
        write_only={"encore-prod"},
    )
    result = check(MANIFEST, None, stores.read, stores.can_list)
    assert render(result).splitlines() == [
        "KEY             dev  staging  prod  encore-prod",
        "DATABASE_URL    ✓    ✓        ?     ?",
        "STRIPE_API_KEY  \u2013    ✗        ?     ?",
        "SENTRY_DSN      \u2013    \u2013        ?     ?",
        "dev: undeclared: AN_EXTRA, LOCAL_DEBUG",
        "prod: cannot read: aws-sm: access denied",
        "encore-prod: cannot check: the store cannot list key names",
    ]
    assert result.environments[3].status is EnvironmentStatus.CANNOT_CHECK


def test_the_matrix_in_colour_and_with_unprintable_names() -> None:
    manifest = Manifest(keys=(DeclaredKey("A\nB"), DeclaredKey("OK")))
    stores = FakeStores({"dev": {"OK"}})
    coloured = render(check(manifest, ["dev"], stores.read, stores.can_list), Palette(True))
    assert coloured.splitlines() == [
        "\x1b[1mKEY   dev\x1b[0m",
        "A\\nB  \x1b[31m✗\x1b[0m",
        "OK    \x1b[32m✓\x1b[0m",
    ]


def test_a_manifest_checked_against_real_env_files(tmp_path: Path) -> None:
    """From stagecraft.yml to the matrix: environments resolved by name, env files read by
    the project's own reader; a malformed file is an unreadable environment, named at its
    line, and its values never reach the result."""
    (tmp_path / "stagecraft.yml").write_text(
        "secrets:\n"
        "  environments:\n"
        "    dev: envfile:.env.dev\n"
        "    staging: envfile:.env.staging\n"
        "    broken: envfile:.env.broken\n"
        "  keys: .env.example\n"
    )
    (tmp_path / ".env.example").write_text("# Postgres\nDATABASE_URL=\nAPI_KEY=\n")
    (tmp_path / ".env.dev").write_text("DATABASE_URL=postgres://dev-canary\nAPI_KEY=k1\nX=1\n")
    (tmp_path / ".env.staging").write_text("DATABASE_URL=postgres://staging-canary\n")
    (tmp_path / ".env.broken").write_text("API_KEY='broken-canary\n")
    loaded = config.load(tmp_path / "stagecraft.yml", cwd=tmp_path)

    def read_keys(name: str) -> Collection[str]:
        resolved = resolve_location(name, loaded.manifest, ["envfile"])
        assert resolved.environment == name
        _store, location = resolved.location.split(":", 1)
        return dotenv.load(loaded.directory / location).keys()

    result = check(loaded.manifest, None, read_keys, lambda name: True)
    assert render(result).splitlines() == [
        "KEY           dev  staging  broken",
        "DATABASE_URL  ✓    ✓        ?",
        "API_KEY       ✓    ✗        ?",
        "dev: undeclared: X",
        f"broken: cannot read: {tmp_path / '.env.broken'}:1: "
        "unterminated single-quoted value for 'API_KEY'",
    ]
    assert result.exit_status() == 2
    assert "canary" not in json.dumps(result.to_json()) + render(result)
