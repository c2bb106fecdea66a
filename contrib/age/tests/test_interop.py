"""The age store against two independent age implementations and the real env readers.

* What the store writes is decrypted by the ``age`` CLI (Go) and by
  ``age-encryption`` (TypeScript), and the env file that comes out is read
  by python-dotenv and Node's dotenv, which must find every value exactly.
* What those two encrypt, from an env file, is read by the store exactly as
  the plain file reads.

The ``age`` CLI tests fail when ``age`` is missing (``.ci/run`` installs it);
``SKIP_AGE_CLI=1`` skips them on a machine without it (see age_helpers).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import envfile_readers
import pytest
from age_helpers import (
    Project,
    age_cli,
    age_keygen,
    identity_line,
    new_identity_file,
    node_age,
    run_age,
    ssh_key_pair,
)

from stagecraft import dotenv
from stagecraft.testing import TRICKY_VALUES, write_env_file

#: What no single quoting can give python-dotenv, Node and compose alike (see dotenv-compat.md).
WRITABLE = {key: value for key, value in TRICKY_VALUES.items()
            if key not in ("TRICKY_BOTH_QUOTES", "TRICKY_DOLLAR_BRACE")}
VALUES = {**WRITABLE, "DB_PASSWORD": 'p@ss"word$x', "API_KEY": "sk-interop-canary-4Kq"}

#: A hand-written env file, as a team keeps one: comments, export, quoting styles.
PLAIN_ENV = (
    "# staging, encrypted to the team\n"
    "export API_KEY=sk-live-123   # rotated monthly\n"
    "DB_PASSWORD='p@ss\"word'\n"
    'PEM="-----BEGIN KEY-----\nMIIB\n-----END KEY-----"\n'
    "EMPTY=\n"
    "UNICODE=caf\u00e9 \u2615\n"
)


def assert_read_exactly(env_file: Path, expected: Mapping[str, str]) -> None:
    """python-dotenv (interpolation on, as load_dotenv) and Node's dotenv read ``expected``."""
    assert envfile_readers.python_dotenv(env_file, interpolate=True) == expected
    [node] = envfile_readers.node("dotenv", [env_file], env_file.parent)
    assert node == expected


def written_by_the_store(project: Project, *, armor: bool) -> Path:
    project.sync(VALUES, config=project.config(armor=armor))
    return project.root / "secrets.env.age"


def plain_env(project: Project) -> tuple[Path, dict[str, str]]:
    path = project.root / "plain.env"
    path.write_text(PLAIN_ENV, encoding="utf-8")
    expected = dotenv.load(path).values()
    assert envfile_readers.python_dotenv(path, interpolate=True) == expected  # the premise
    return path, expected


# ------------------------------------------------------------------ the age CLI


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
def test_the_age_cli_decrypts_what_the_store_wrote(project: Project, armor: bool) -> None:
    encrypted = written_by_the_store(project, armor=armor)
    run_age("-d", "-i", project.key_file, "-o", "decrypted.env", encrypted, cwd=project.root)
    assert_read_exactly(project.root / "decrypted.env", VALUES)


def test_the_store_reads_what_the_age_cli_encrypted(project: Project) -> None:
    """A key from age-keygen; age -r, age -R with a recipients file, age -a: all read the same."""
    plain, expected = plain_env(project)
    recipient = age_keygen(project.root / "keys" / "keygen.txt")
    config = project.config(identities=["keys/keygen.txt"])
    run_age("-r", recipient, "-o", "by-r.age", plain, cwd=project.root)
    (project.root / "team.txt").write_text(f"# the team\n{recipient}\n")
    run_age("-R", "team.txt", "-a", "-o", "by-R.age", plain, cwd=project.root)
    for name in ("by-r.age", "by-R.age"):
        assert project.read(name, config=config) == expected
    assert (project.root / "by-R.age").read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED")


def test_ssh_keys_work_both_ways_with_the_age_cli(project: Project) -> None:
    private, public = ssh_key_pair(project.root / "keys", "ed25519")
    config = project.config(recipients=[public], identities=[str(private)])
    project.sync(VALUES, config=config)
    run_age("-d", "-i", private, "-o", "decrypted.env", "secrets.env.age", cwd=project.root)
    assert_read_exactly(project.root / "decrypted.env", VALUES)
    plain, expected = plain_env(project)
    run_age("-r", public, "-o", "by-ssh.age", plain, cwd=project.root)
    assert project.read("by-ssh.age", config=config) == expected


def test_an_edit_keeps_what_the_age_cli_encrypted(project: Project) -> None:
    """Encrypted by age, edited by the store, decrypted by age: only the edited line changed."""
    plain, _ = plain_env(project)
    run_age("-r", project.recipient, "-o", "secrets.env.age", plain, cwd=project.root)
    project.sync({"API_KEY": "sk-live-456"})
    run_age("-d", "-i", project.key_file, "-o", "after.env", "secrets.env.age",
            cwd=project.root)
    assert (project.root / "after.env").read_text(encoding="utf-8") == PLAIN_ENV.replace(
        "export API_KEY=sk-live-123   # rotated monthly",
        "export API_KEY=sk-live-456 # rotated monthly")


# ------------------------------------------------------------------ age-encryption (npm)


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
def test_age_encryption_decrypts_what_the_store_wrote(project: Project, armor: bool) -> None:
    encrypted = written_by_the_store(project, armor=armor)
    node_age({"op": "decrypt", "identities": [identity_line(project.key_file)],
              "input": str(encrypted), "output": str(project.root / "decrypted.env")})
    assert_read_exactly(project.root / "decrypted.env", VALUES)


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
def test_the_store_reads_what_age_encryption_encrypted(project: Project, armor: bool) -> None:
    plain, expected = plain_env(project)
    node_age({"op": "encrypt", "recipients": [project.recipient], "armor": armor,
              "input": str(plain), "output": str(project.root / "by-node.age")})
    assert project.read("by-node.age") == expected


def test_several_recipients_each_decrypt_with_age_encryption(project: Project) -> None:
    """One write, two team members: each one's key opens the file in the other implementation."""
    colleague = project.root / "keys" / "colleague.txt"
    second = new_identity_file(colleague)
    write_env_file(project.root / "src.env", {"A": "1"})
    project.sync(config=project.config(recipients=[project.recipient, second]))
    for key_file in (project.key_file, colleague):
        out = project.root / f"{key_file.stem}.env"
        node_age({"op": "decrypt", "identities": [identity_line(key_file)],
                  "input": str(project.root / "secrets.env.age"), "output": str(out)})
        assert out.read_text() == "A=1\n"


def test_a_missing_age_cli_fails_the_test_unless_skipping_is_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI installs age, so its absence must show as a failure, never as a quiet skip."""
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without age
    monkeypatch.delenv("SKIP_AGE_CLI", raising=False)
    with pytest.raises(pytest.fail.Exception, match="the age CLI is not installed"):
        age_cli()
    monkeypatch.setenv("SKIP_AGE_CLI", "1")
    with pytest.raises(pytest.skip.Exception, match="SKIP_AGE_CLI=1"):
        age_cli()
