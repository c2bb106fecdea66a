"""Which secrets ``stagecraft run`` gives COMMAND, and the refusal before it starts.

With keys declared, COMMAND gets the declared keys present in the source;
a declared key required in the environment but missing stops the run before
anything starts, naming every such key and never a value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stagecraft.config.manifest import DeclaredKey, Manifest
from stagecraft.errors import EXIT_USER_ERROR, UserError
from stagecraft.providers.secrets import MissingKeysError
from stagecraft.run import MissingKeysForRunError, secrets_for_run
from stagecraft.run.environment import child_environment
from tests.run_helpers import python, run, write_source

VALUES = {"DATABASE_URL": "canary-db-value", "SENTRY_DSN": "canary-sentry", "STRAY": "canary-x"}

MANIFEST = Manifest(keys=(
    DeclaredKey("DATABASE_URL"),
    DeclaredKey("STRIPE_API_KEY", required=frozenset({"staging", "prod"})),
    DeclaredKey("SENTRY_DSN", required=False),
    DeclaredKey("REDIS_URL", required=frozenset({"prod"})),
))


def test_declared_keys_present_are_given_and_strays_are_not() -> None:
    chosen = secrets_for_run(MANIFEST, VALUES, source="dev.env", environment="dev")
    assert chosen == {"DATABASE_URL": "canary-db-value", "SENTRY_DSN": "canary-sentry"}


def test_without_declared_keys_every_key_is_given() -> None:
    assert secrets_for_run(Manifest(), VALUES, source="x.env", environment=None) == VALUES


def test_keys_and_exclude_narrow_the_selection() -> None:
    chosen = secrets_for_run(Manifest(), VALUES, source="x.env", environment=None,
                             keys=["*_URL", "S*"], exclude=["STRAY"])
    assert chosen == {"DATABASE_URL": "canary-db-value", "SENTRY_DSN": "canary-sentry"}


def test_a_key_asked_for_that_is_not_there_is_an_error() -> None:
    with pytest.raises(MissingKeysError, match="NOPE"):
        secrets_for_run(Manifest(), VALUES, source="x.env", environment=None, keys=["NOPE"])


def test_required_keys_missing_in_the_environment_refuse_the_run_naming_them() -> None:
    with pytest.raises(MissingKeysForRunError) as caught:
        secrets_for_run(MANIFEST, VALUES, source="vault:secret/app/prod", environment="prod")
    error = caught.value
    assert isinstance(error, UserError)
    assert error.exit_code == EXIT_USER_ERROR
    assert error.keys == ("STRIPE_API_KEY", "REDIS_URL")
    assert str(error) == (
        "vault:secret/app/prod: missing declared key(s) required in prod: "
        "STRIPE_API_KEY, REDIS_URL; the command was not started"
    )
    assert not any(value in str(error) for value in VALUES.values())


def test_an_undeclared_key_asked_for_is_named_as_undeclared_not_missing() -> None:
    with pytest.raises(UserError) as caught:
        secrets_for_run(MANIFEST, VALUES, source="dev.env", environment="dev",
                        keys=["DATABASE_URL", "STRAY", "S*"])
    assert str(caught.value) == (
        "dev.env: not declared in secrets.keys: STRAY; with keys declared, only declared keys "
        "are given to the command (declare these to give them)"
    )
    assert not isinstance(caught.value, MissingKeysError)


def test_keys_narrowed_away_or_excluded_are_not_required() -> None:
    chosen = secrets_for_run(MANIFEST, VALUES, source="p", environment="prod",
                             keys=["DATABASE_URL", "SENTRY_*"], exclude=["SENTRY_DSN"])
    assert chosen == {"DATABASE_URL": "canary-db-value"}


def test_a_place_that_is_no_environment_needs_only_keys_required_everywhere() -> None:
    with pytest.raises(MissingKeysForRunError, match="required everywhere: DATABASE_URL;"):
        secrets_for_run(MANIFEST, {"SENTRY_DSN": "canary-s"}, source="x.env", environment=None)
    assert secrets_for_run(MANIFEST, VALUES, source="x.env", environment=None) == {
        "DATABASE_URL": "canary-db-value", "SENTRY_DSN": "canary-sentry",
    }


def test_the_child_environment_is_a_new_mapping_with_secrets_on_top() -> None:
    inherited = {"PATH": "/bin", "SHARED": "inherited"}
    environment = child_environment({"SHARED": "secret"}, inherited)
    assert environment == {"PATH": "/bin", "SHARED": "secret"}
    assert inherited == {"PATH": "/bin", "SHARED": "inherited"}


def test_no_command_at_all_is_a_user_error(tmp_path: Path) -> None:
    done = run(write_source(tmp_path), [])
    assert done.returncode == EXIT_USER_ERROR
    assert b"no command to run" in done.stderr


def test_a_file_that_is_not_executable_exits_126(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho never\n")
    done = run(write_source(tmp_path), [str(script)])
    assert done.returncode == 126
    assert done.stdout == b""


def test_the_command_gets_its_arguments_untouched(tmp_path: Path) -> None:
    code = "import sys; print(repr(sys.argv[1:]))"
    done = run(write_source(tmp_path), python(code, "--mask", "$DATABASE_URL", "a b"))
    assert done.stdout == b"['--mask', '$DATABASE_URL', 'a b']\n"


@pytest.mark.parametrize("mask", [False, True])
@pytest.mark.parametrize(("content", "status"), [
    pytest.param(b"\x7fELF garbage", 126, id="not-a-program"),
    pytest.param(b"#!/no/such/interpreter\n", 127, id="missing-interpreter"),
])
def test_a_command_that_cannot_be_executed_exits_as_a_shell_would(
    tmp_path: Path, mask: bool, content: bytes, status: int
) -> None:
    program = tmp_path / "program"
    program.write_bytes(content)
    program.chmod(0o755)
    done = run(write_source(tmp_path), [str(program)], mask=mask)
    assert done.returncode == status
    assert done.stderr.startswith(f"stagecraft: error: {program}: ".encode())
    assert done.stderr.count(b"\n") == 1  # one line, as a shell says it
    assert b"canary" not in done.stderr


def test_a_name_or_value_no_process_environment_can_hold_is_refused_by_name() -> None:
    """A Vault secret may hold a field named A=B or a value with a NUL byte: refused, the
    keys named and no value shown, instead of the operating system's error at start."""
    values = {"GOOD": "fine", "A=B": "x", "NUL_VALUE": "canary\0tail"}
    with pytest.raises(UserError) as info:
        secrets_for_run(Manifest(), values, source="vault:secret/app", environment=None)
    message = str(info.value)
    assert message == ("vault:secret/app: cannot be given to a process environment (a name "
                       "empty or holding '=' or NUL, or a value holding NUL): A=B, NUL_VALUE; "
                       "the command was not started")
    assert info.value.exit_code == EXIT_USER_ERROR
    assert secrets_for_run(Manifest(), {"GOOD": "fine"}, source="s", environment=None) == {
        "GOOD": "fine"}
