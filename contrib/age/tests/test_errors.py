"""What goes wrong with an age file or its keys: one line naming the file, nothing written.

Each case checks the message (one line, the file named, no key text in it)
and that the target's bytes are as they were, with no temporary file left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyrage
import pytest
from age_helpers import Project, new_identity_file, ssh_key_pair
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyrage import passphrase, x25519

from stagecraft.errors import UserError
from stagecraft.testing.fixtures import RunStagecraft
from stagecraft_age.config import Config

TARGET = "secrets.env.age"


def seal(project: Project, text: str = "A=old\n", recipient: str | None = None,
         *, armored: bool = False) -> bytes:
    to = x25519.Recipient.from_str(recipient or project.recipient)
    data = pyrage.encrypt(text.encode(), [to], armored=armored)
    (project.root / TARGET).write_bytes(data)
    return data


def refused(project: Project, config: Config, *, dry_run: bool = False) -> str:
    """Sync into the target and expect a user error; the message, after checking nothing moved."""
    target = project.root / TARGET
    before = target.read_bytes() if target.exists() else None
    with pytest.raises(UserError) as info:
        project.sync({"A": "new-canary-Pp3"}, config=config, dry_run=dry_run)
    message = str(info.value)
    assert "\n" not in message
    assert "new-canary-Pp3" not in message
    assert (target.read_bytes() if target.exists() else None) == before
    assert sorted(p.name for p in project.root.iterdir() if p.name.startswith(".")) == []
    return message


# ------------------------------------------------------------------ no identity opens the file


def test_no_identity_matches_any_recipient(project: Project) -> None:
    stranger = x25519.Identity.generate().to_public()
    seal(project, recipient=str(stranger))
    message = refused(project, project.config())
    assert message == (
        f"{project.root / TARGET}: no identity from secrets.providers.age.identities (1 tried) "
        "matches a recipient of this file (or its header is damaged)")
    with pytest.raises(UserError, match="no identity from"):  # as a source, too
        project.read()


# ------------------------------------------------------------------ a damaged file


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _payload_flipped(data: bytes) -> bytes:
    return data[:-5] + bytes([data[-5] ^ 1]) + data[-4:]


@pytest.mark.parametrize(("damage", "reason"), [
    (_truncated, "damaged age file: it is truncated"),
    (_payload_flipped, "damaged age file: its content does not authenticate"),
    (lambda data: b"", "not an age-encrypted file (no age header)"),
    (lambda data: b"A=1\nB=2\n", "not an age-encrypted file (no age header)"),
    (lambda data: b"age-encryption.org/v2\n-> X25519 a\n--- b\n",
     "damaged age file: not a version"),
])
def test_a_damaged_file(project: Project, damage: Callable[[bytes], bytes], reason: str) -> None:
    (project.root / TARGET).write_bytes(damage(seal(project)))
    message = refused(project, project.config())
    assert message.startswith(f"{project.root / TARGET}: {reason}")


def test_damaged_armor(project: Project) -> None:
    armored = seal(project, armored=True)
    (project.root / TARGET).write_bytes(armored.replace(b"\n-----END", b"!\n-----END"))
    assert refused(project, project.config()).startswith(
        f"{project.root / TARGET}: damaged age file: invalid armor")


def test_a_passphrase_encrypted_file(project: Project) -> None:
    (project.root / TARGET).write_bytes(passphrase.encrypt(b"A=1\n", "correct horse"))
    assert refused(project, project.config()) == (
        f"{project.root / TARGET}: encrypted with a passphrase (age -p), not to recipients; "
        "this store reads and writes files encrypted to keys")


# ------------------------------------------------------------------ recipients that do not parse


@pytest.mark.parametrize(("recipient", "reason"), [
    ("age1qqqqqqqqqqnotbech32", "is not a valid age public key"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbroken", "is not a valid SSH public key"),
    ("ecdsa-sha2-nistp256 AAAAE2VjZHNh", "is not a recipient: expected an age public key"),
    ("age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t",
     "is a plugin or post-quantum recipient"),
])
def test_a_recipient_that_does_not_parse(project: Project, recipient: str, reason: str) -> None:
    config = project.config(recipients=[project.recipient, recipient])
    message = refused(project, config)
    assert message.startswith(f"{project.root / TARGET}: secrets.providers.age.recipients[1] "
                              f"{reason}")
    assert recipient not in message
    seal(project)  # an existing file: still nothing written, and a dry run finds it too
    refused(project, config)
    refused(project, config, dry_run=True)


def test_a_private_key_given_as_recipient_is_not_echoed(project: Project) -> None:
    secret = str(x25519.Identity.generate())
    message = refused(project, project.config(recipients=[secret]))
    assert secret not in message
    assert secret[:24] not in message
    assert message.endswith(
        "recipients[0] is a private key, not a recipient: give its public key (age-keygen -y FILE)")


def test_a_recipients_file_line_is_named(project: Project) -> None:
    (project.root / "recipients.txt").write_text(f"# team\n{project.recipient}\n\nage1oops\n")
    message = refused(project, project.config(recipients=[], recipients_file="recipients.txt"))
    assert message == (
        f"{project.root / 'recipients.txt'}:4: this line is not a valid age public key")


def test_missing_recipients_file_and_no_recipients(project: Project) -> None:
    message = refused(project, project.config(recipients_file="nowhere.txt"))
    assert message == f"{project.root / 'nowhere.txt'}: age recipients file not found"
    message = refused(project, project.config(recipients=[]))
    assert message == (
        f"{project.root / TARGET}: no recipients to encrypt to: set secrets.providers.age."
        "recipients (age or SSH public keys) or recipients_file")


# ------------------------------------------------------------------ identity files


def test_a_missing_identity_file(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    seal(project)
    message = refused(project, project.config(identities=["keys/gone.txt"]))
    assert message == (
        f"{project.root / 'keys' / 'gone.txt'}: identity file not found (from "
        "secrets.providers.age.identities); set secrets.providers.age.identities or "
        "SOPS_AGE_KEY_FILE to the file that holds your age key")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(project.root / "elsewhere.txt"))
    assert refused(project, project.config(identities=[])).startswith(
        f"{project.root / 'elsewhere.txt'}: identity file not found (from SOPS_AGE_KEY_FILE)")
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    default = project.root / "home" / ".config" / "sops" / "age" / "keys.txt"
    assert refused(project, project.config(identities=[])).startswith(
        f"{default}: identity file not found (from SOPS's default location)")


def _encrypted_ssh_key(directory: Path) -> Path:
    """An RSA key in the PEM form ``ssh-keygen -m PEM`` writes, protected by a passphrase."""
    path = directory / "id_locked"
    path.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"passphrase")))
    return path


@pytest.mark.parametrize(("write", "reason"), [
    (lambda path: path.write_text("# mine\nAGE-SECRET-KEY-1NOTAKEY\n"),
     ":2: not a valid age identity"),
    (lambda path: path.write_text("hello world\n"),
     ":1: not an age identity (AGE-SECRET-KEY-1...)"),
    (lambda path: path.write_text("AGE-PLUGIN-YUBIKEY-1QQQQ\n"), ":1: plugin identities"),
    (lambda path: path.write_text("# only comments\n\n"), ": holds no identity"),
    (lambda path: path.write_bytes(b"\xff\xfe key"), ": age identity file is not UTF-8 text"),
    (lambda path: path.write_bytes(passphrase.encrypt(b"AGE-SECRET-KEY-1X\n", "pw")),
     ": passphrase-protected identity files are not supported"),
])
def test_an_identity_file_that_cannot_be_used(
    project: Project, write: Callable[[Path], object], reason: str
) -> None:
    seal(project)
    bad = project.root / "keys" / "bad.txt"
    write(bad)
    message = refused(project, project.config(identities=[str(bad)]))
    assert message.startswith(f"{bad}{reason}")
    assert "NOTAKEY" not in message
    assert "hello" not in message


def test_a_passphrase_protected_ssh_key(project: Project) -> None:
    seal(project)
    locked = _encrypted_ssh_key(project.root / "keys")
    assert refused(project, project.config(identities=[str(locked)])) == (
        f"{locked}: not a usable SSH private key (passphrase-protected SSH keys are not "
        "supported)")


def test_one_good_identity_among_several_files_is_enough(project: Project) -> None:
    other = project.root / "keys" / "other.txt"
    new_identity_file(other)
    ssh_private, _ = ssh_key_pair(project.root / "keys", "ed25519")
    seal(project)
    config = project.config(identities=[str(other), str(ssh_private), str(project.key_file)])
    assert project.read(config=config) == {"A": "old"}


# ------------------------------------------------------------------ the command line


def test_errors_on_the_command_line_are_one_line_exit_1(project: Project) -> None:
    stranger = str(x25519.Identity.generate().to_public())
    seal(project, recipient=stranger)
    before = (project.root / TARGET).read_bytes()
    (project.root / "stagecraft.yml").write_text(
        "secrets:\n  providers:\n    age:\n"
        f"      recipients: [{project.recipient}]\n      identities: [keys/me.txt]\n")
    (project.root / ".env").write_text("A=new-canary-Pp3\n")
    run = RunStagecraft(project.root)
    result = run("secrets", "sync", "--from", ".env", "--to", f"age:{TARGET}")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"stagecraft: error: {project.root / TARGET}: no identity from "
        "secrets.providers.age.identities (1 tried) matches a recipient of this file "
        "(or its header is damaged)\n")
    assert (project.root / TARGET).read_bytes() == before
    result = run("secrets", "sync", "--from", f"age:{TARGET}", "--to", "envfile:out.env")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert not (project.root / "out.env").exists()
