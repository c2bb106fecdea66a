"""The age store through its Python interface: edits, recipients, identities, the file itself."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from age_helpers import Project, new_identity_file, ssh_key_pair
from pyrage import ssh, x25519

from stagecraft.engine import RefusedValuesError
from stagecraft.providers.secrets import Action, Context, SyncOptions
from stagecraft_age import AgeStore
from stagecraft_age.keys import identities as load_identities

#: The store these tests drive (the plugin builds its own in the hook).
PROVIDER = AgeStore()

HEADER = b"age-encryption.org/v1\n"
ARMOR = b"-----BEGIN AGE ENCRYPTED FILE-----\n"

TEAM_FILE = (
    "# staging secrets: edit with stagecraft, never by hand\n"
    "LOG_LEVEL=info\n"
    "export API_KEY=old-value   # rotated monthly\n"
    "\n"
    "KEEP='untouched value'\n"
)


def identity_of(key_file: Path) -> x25519.Identity:
    line = next(line for line in key_file.read_text().splitlines()
                if line.startswith("AGE-SECRET-KEY-"))
    return x25519.Identity.from_str(line)


def seal(path: Path, text: str, recipient: str, *, armored: bool = False) -> None:
    path.write_bytes(pyrage.encrypt(text.encode(), [x25519.Recipient.from_str(recipient)],
                                    armored=armored))


def open_with(path: Path, key_file: Path) -> str:
    return pyrage.decrypt(path.read_bytes(), [identity_of(key_file)]).decode()


def test_edits_keep_comments_order_and_untouched_lines(project: Project) -> None:
    target = project.root / "secrets.env.age"
    seal(target, TEAM_FILE, project.recipient)
    result = project.sync({"API_KEY": "new-value", "NEW_KEY": "fresh", "LOG_LEVEL": "info"})
    assert [(c.key, c.action) for c in result.changes] == [
        ("API_KEY", Action.UPDATED), ("NEW_KEY", Action.ADDED), ("LOG_LEVEL", Action.UNCHANGED)]
    assert target.read_bytes().startswith(HEADER)
    assert open_with(target, project.key_file) == (
        "# staging secrets: edit with stagecraft, never by hand\n"
        "LOG_LEVEL=info\n"
        "export API_KEY=new-value # rotated monthly\n"
        "\n"
        "KEEP='untouched value'\n"
        "NEW_KEY=fresh\n"
    )


def test_a_new_file_is_0600_encrypted_and_holds_no_plaintext(project: Project) -> None:
    project.sync({"DB_PASSWORD": "hunter2-canary-Zq8", "PEM": "line 1\nline 2"})
    target = project.root / "secrets.env.age"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = target.read_bytes()
    assert data.startswith(HEADER)
    assert b"hunter2-canary-Zq8" not in data
    assert b"DB_PASSWORD" not in data
    assert open_with(target, project.key_file) == (
        'DB_PASSWORD=hunter2-canary-Zq8\nPEM="line 1\\nline 2"\n')
    assert project.read() == {"DB_PASSWORD": "hunter2-canary-Zq8", "PEM": "line 1\nline 2"}


def test_armor_writes_the_ascii_form_and_either_form_is_read(project: Project) -> None:
    project.sync({"A": "1"}, config=project.config(armor=True))
    target = project.root / "secrets.env.age"
    assert target.read_bytes().startswith(ARMOR)
    assert target.read_text().rstrip().endswith("-----END AGE ENCRYPTED FILE-----")
    assert project.read() == {"A": "1"}
    project.sync({"A": "2"})  # armor off: the next write is binary again
    assert target.read_bytes().startswith(HEADER)
    assert project.read() == {"A": "2"}


def test_every_recipient_can_decrypt(project: Project) -> None:
    """Recipients from the list and from a file (comments, blanks, SSH keys) all get the file."""
    second_key = project.root / "keys" / "colleague.txt"
    second = new_identity_file(second_key)
    ed_private, ed_public = ssh_key_pair(project.root / "keys", "ed25519")
    rsa_private, rsa_public = ssh_key_pair(project.root / "keys", "rsa")
    (project.root / "recipients.txt").write_text(
        f"# the team\n{second}\n\n  # deploy keys\n{ed_public}\n{rsa_public}\n")
    config = project.config(recipients_file="recipients.txt")
    project.sync({"A": "1"}, config=config)
    target = project.root / "secrets.env.age"
    for key_file in (project.key_file, second_key):
        assert open_with(target, key_file) == "A=1\n"
    for private in (ed_private, rsa_private):
        ssh_identity = ssh.Identity.from_buffer(private.read_bytes())
        assert pyrage.decrypt(target.read_bytes(), [ssh_identity]) == b"A=1\n"
    # An SSH private key is an identity file the store reads with, too.
    assert project.read(config=project.config(identities=[str(ed_private)])) == {"A": "1"}


def test_reading_needs_no_recipients(project: Project) -> None:
    seal(project.root / "secrets.env.age", "A=1\n", project.recipient)
    assert project.read(config=project.config(recipients=[])) == {"A": "1"}


def test_an_unchanged_sync_does_not_rewrite_the_file(project: Project) -> None:
    project.sync({"A": "1", "B": "2"})
    target = project.root / "secrets.env.age"
    before = target.read_bytes()
    os.utime(target, (1_000_000, 1_000_000))
    again = project.sync({"A": "1", "B": "2"})
    assert again.unchanged == ("A", "B")
    assert target.read_bytes() == before  # not even re-encrypted: no churn in git
    assert target.stat().st_mtime == 1_000_000


def test_dry_run_writes_nothing(project: Project) -> None:
    seal(project.root / "secrets.env.age", "A=1\n", project.recipient)
    before = (project.root / "secrets.env.age").read_bytes()
    plan = project.sync({"A": "2", "B": "3"}, dry_run=True)
    assert (plan.updated, plan.added) == (("A",), ("B",))
    assert (project.root / "secrets.env.age").read_bytes() == before
    project.sync({"A": "1"}, target="new.env.age", dry_run=True)
    assert not (project.root / "new.env.age").exists()


def test_prune_removes_the_line(project: Project) -> None:
    seal(project.root / "secrets.env.age", "# keep me\nA=1\nOLD=x\n", project.recipient)
    result = project.sync({"A": "1"}, prune=True)
    assert result.removed == ("OLD",)
    assert open_with(project.root / "secrets.env.age", project.key_file) == "# keep me\nA=1\n"


def test_an_existing_file_keeps_its_mode_and_owner(project: Project) -> None:
    target = project.root / "secrets.env.age"
    seal(target, "A=1\n", project.recipient)
    target.chmod(0o640)
    if os.geteuid() == 0:  # root keeps another user's file that user's
        os.chown(target, 4321, 4321)
    owner = (target.stat().st_uid, target.stat().st_gid)
    project.sync({"A": "2"})
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (target.stat().st_uid, target.stat().st_gid) == owner
    assert project.read() == {"A": "2"}


def test_the_plaintext_never_reaches_the_disk(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every byte the sync writes goes through os.write (the atomic write): none is plaintext."""
    seal(project.root / "secrets.env.age", "OLD_SECRET=old-canary-Hh2\n", project.recipient)
    written: list[bytes] = []
    real_write = os.write

    def recording(fd: int, data: bytes | memoryview) -> int:
        written.append(bytes(data))
        return real_write(fd, data)

    (project.root / "src.env").write_text("NEW_SECRET=new-canary-Jj5\n")
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", recording)
        project.sync()
    assert written, "the sync wrote nothing"
    for chunk in written:
        assert b"canary" not in chunk
        assert b"SECRET" not in chunk
    # home/: the write record's key (the fixture points HOME there); it holds no value.
    assert sorted(p.name for p in project.root.iterdir()) == [
        "home", "keys", "secrets.env.age", "src.env"]
    assert project.read() == {"OLD_SECRET": "old-canary-Hh2", "NEW_SECRET": "new-canary-Jj5"}


def test_readers_setting_is_the_envfile_stores(project: Project) -> None:
    template = "canary-${HOME}-x"
    with pytest.raises(RefusedValuesError) as info:
        project.sync({"TEMPLATE": template})
    assert "TEMPLATE" in str(info.value)
    assert template not in str(info.value)
    assert not (project.root / "secrets.env.age").exists()
    project.sync({"TEMPLATE": template}, config=project.config(readers=["docker-compose"]))
    assert open_with(project.root / "secrets.env.age", project.key_file) == (
        "TEMPLATE='canary-${HOME}-x'\n")


# ------------------------------------------------------------------ where identities come from


def test_identities_come_from_the_config_first(project: Project,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = project.root / "keys" / "env.txt"
    new_identity_file(elsewhere)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(elsewhere))
    seal(project.root / "secrets.env.age", "A=1\n", project.recipient)
    assert project.read() == {"A": "1"}  # the config's key, not SOPS_AGE_KEY_FILE's


def test_sops_age_key_file_then_sops_default(project: Project,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    seal(project.root / "secrets.env.age", "A=1\n", project.recipient)
    no_identities = project.config(identities=[])
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", "keys/me.txt")  # relative to the working directory
    assert project.read(config=no_identities) == {"A": "1"}
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    xdg = project.root / "xdg"
    (xdg / "sops" / "age").mkdir(parents=True)
    (xdg / "sops" / "age" / "keys.txt").write_bytes(project.key_file.read_bytes())
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert project.read(config=no_identities) == {"A": "1"}
    monkeypatch.delenv("XDG_CONFIG_HOME")  # then ~/.config
    home_keys = project.root / "home" / ".config" / "sops" / "age"
    home_keys.mkdir(parents=True)
    (home_keys / "keys.txt").write_bytes(project.key_file.read_bytes())
    assert project.read(config=no_identities) == {"A": "1"}


def test_identities_from_several_files_and_lines(project: Project) -> None:
    """A file of several keys (SOPS's keys.txt holds one per teammate or rotation)."""
    other = project.root / "keys" / "other.txt"
    new_identity_file(other)
    both = project.root / "keys" / "both.txt"
    both.write_text(other.read_text() + "\n" + project.key_file.read_text())
    ctx = Context(cwd=project.root)
    found, origin = load_identities(ctx, project.config(identities=["keys/both.txt"]))
    assert len(found) == 2
    assert origin == "secrets.providers.age.identities"
    seal(project.root / "secrets.env.age", "A=1\n", project.recipient)
    assert project.read(config=project.config(identities=[str(other), str(both)])) == {"A": "1"}


# ------------------------------------------------------------------ the plugin


def test_registering_the_store_imports_no_crypto() -> None:
    """Every command builds the registry: the store and its config class, while pyrage
    and the key handling come with a sync."""
    code = (
        "import sys\n"
        "import stagecraft_age\n"
        "stagecraft_age.secrets_provider_register()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pyrage', 'stagecraft_age.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['stagecraft_age.config', 'stagecraft_age.store']"


def test_a_symlinked_target_is_followed_and_stays_a_link(project: Project) -> None:
    real = project.root / "vault" / "secrets.env.age"
    real.parent.mkdir()
    seal(real, "# real\nA=1\n", project.recipient)
    (project.root / "secrets.env.age").symlink_to(real)
    project.sync({"B": "2"})
    assert (project.root / "secrets.env.age").is_symlink()
    assert open_with(real, project.key_file) == "# real\nA=1\nB=2\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["secrets.env.age"]


def _worker(args: tuple[Project, int, int]) -> None:
    project, worker, rounds = args
    for round_no in range(rounds):
        source = project.root / f"src{worker}.env"
        source.write_text("".join(f"W{worker}_K{k}=round{round_no}\n" for k in range(3)))
        opts = SyncOptions(config=project.config(), source=source.name, target="shared.env.age")
        PROVIDER.sync(Context(cwd=project.root), opts)


def test_concurrent_syncs_into_one_file_lose_no_key(project: Project) -> None:
    """Decrypt, edit, encrypt and replace all happen under the file's lock."""
    workers, rounds = 4, 6
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_worker, [(project, worker, rounds) for worker in range(workers)])
    assert project.read("shared.env.age") == {
        f"W{w}_K{k}": f"round{rounds - 1}" for w in range(workers) for k in range(3)}
    assert not [p for p in project.root.iterdir() if p.name.endswith(".stagecraft-tmp")]
