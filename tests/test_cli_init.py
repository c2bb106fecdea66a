"""``stagecraft init``: a config from what the project has, never over an existing one.

In-process runs of :func:`stagecraft.cli.main` in a temporary directory,
with the installed envfile and encore plugins; every file ``init`` writes is
then checked with ``stagecraft config check`` and used by a dry-run sync.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stagecraft import cli
from stagecraft.providers.secrets import reset_default_registry

LOCAL_STORE = '''
import attrs
import stagecraft


@attrs.frozen
class Config:
    address: str = "http://127.0.0.1:8200"
    mount: str = "secret"
    retries: int = 3


class Local(stagecraft.SecretStore):
    id = "localvault"
    Config = Config

    def read(self, ctx, location, keys):
        return {}

    def write(self, ctx, location, values):
        pass


@stagecraft.hookimpl
def secrets_provider_register():
    return Local()
'''


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    # The installed envfile and encore plugins, whatever else is installed.
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "encore,envfile")
    monkeypatch.delenv("STAGECRAFT_DISABLE_PLUGINS", raising=False)
    reset_default_registry()
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def git_init(directory: Path) -> None:
    subprocess.run(["git", "init", "-q", str(directory)], check=True, capture_output=True)


def test_env_files_make_an_envfile_config_that_checks_and_syncs(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("API_KEY=init-canary-1\n")
    (here / ".env.example").write_text("API_KEY=\n")  # a template: never source nor target
    code, out, err = run(capsys, "init")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "wrote stagecraft.yml: provider envfile, from .env.local to .env"
    assert ".gitignore" not in out  # not a git work tree
    assert not (here / ".gitignore").exists()
    text = (here / "stagecraft.yml").read_text()
    assert "  provider: envfile\n" in text
    assert '      source_file: ".env.local"\n      target_file: ".env"\n' in text
    assert "      # create_target: true\n" in text  # the other settings, as comments
    assert run(capsys, "config", "check")[:2] == (0, "stagecraft.yml: ok\n")
    code, out, _ = run(capsys, "secrets", "sync", "--dry-run")
    assert (code, out) == (0, "+ API_KEY\n")
    assert "init-canary-1" not in out + err


def test_an_existing_target_env_file_is_the_target(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("A=1\n")
    (here / ".env.staging").write_text("A=2\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "from .env.local to .env.staging" in out


def test_an_encore_app_makes_an_encore_config(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "encore.app").write_text('{"id": "demo"}\n')
    (here / ".env.local").write_text("A=1\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "provider encore, from .env.local to Encore's dev and local environments" in out
    text = (here / "stagecraft.yml").read_text()
    assert '      types: ["dev", "local"]\n' in text
    assert "      # concurrency: 8\n" in text
    assert run(capsys, "config", "check")[0] == 0


def test_provider_option_overrides_the_guess(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "encore.app").write_text("{}\n")
    (here / ".env").write_text("A=1\n")
    code, out, _ = run(capsys, "init", "--provider", "envfile")
    assert code == 0
    assert "provider envfile, from .env to .env.staging" in out


def test_any_installed_store_with_its_settings_as_comments(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "plugins").mkdir()
    (here / "plugins" / "localvault.py").write_text(LOCAL_STORE)
    code, out, _ = run(capsys, "--plugins-dir", "plugins", "init", "--provider", "localvault")
    assert code == 0
    assert out.splitlines()[0] == "wrote stagecraft.yml: provider localvault, from .env.local"
    text = (here / "stagecraft.yml").read_text()
    assert '      # address: "http://127.0.0.1:8200"\n      # mount: "secret"\n' in text
    assert run(capsys, "--plugins-dir", "plugins", "config", "check")[0] == 0


def test_a_store_without_a_default_target_gets_secrets_from_and_to(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init --provider vault`, then the first dry run: the hint names settings that exist."""
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "encore,envfile,vault")
    (here / ".env.local").write_text("A=init-canary-2\n")
    code, out, _ = run(capsys, "init", "--provider", "vault")
    assert code == 0
    assert out.splitlines()[0] == "wrote stagecraft.yml: provider vault, from .env.local"
    assert "next: set secrets.to in stagecraft.yml (vault:LOCATION)" in out
    text = (here / "stagecraft.yml").read_text()
    assert '  from: ".env.local"\n  # to: "vault:LOCATION"  # LOCATION: MOUNT/PATH' in text
    assert run(capsys, "config", "check")[0] == 0
    code, out, err = run(capsys, "secrets", "sync", "--dry-run")
    assert (code, out) == (1, "")
    assert "or set secrets.to in stagecraft.yml (to: vault:LOCATION)" in err
    assert "secrets.providers.vault" not in err
    # what the hint says works: the setting exists and config check accepts it
    (here / "stagecraft.yml").write_text(text.replace("  # to:", "  to:"))
    assert run(capsys, "config", "check")[0] == 0


def test_no_source_hint_names_secrets_from(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "encore,envfile,vault")
    (here / "stagecraft.yml").write_text("secrets:\n  provider: vault\n  to: vault:secret/x\n")
    code, _, err = run(capsys, "secrets", "sync", "--dry-run")
    assert code == 1
    assert "no source: pass --from FILE or --from ID:LOCATION, or set secrets.from in " \
        "stagecraft.yml" in err
    (here / "stagecraft.yml").write_text(
        "secrets:\n  provider: vault\n  from: .env\n  to: vault:secret/x\n")
    assert run(capsys, "config", "check")[0] == 0


def test_config_option_names_the_file_written(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("A=init-canary-3\n")
    (here / "deploy").mkdir()
    code, out, err = run(capsys, "--config", "deploy/stagecraft.yml", "init")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        "wrote deploy/stagecraft.yml: provider envfile, from .env.local to .env")
    assert not (here / "stagecraft.yml").exists()
    text = (here / "deploy" / "stagecraft.yml").read_text()
    # paths in a config are relative to its own directory
    assert '      source_file: "../.env.local"\n      target_file: "../.env"\n' in text
    code, out, _ = run(capsys, "--config", "deploy/stagecraft.yml", "secrets", "sync")
    assert (code, out) == (0, "+ A\n")
    assert (here / ".env").read_text() == "A=init-canary-3\n"
    again = run(capsys, "--config", "deploy/stagecraft.yml", "init")
    assert again[0] == 1
    assert "deploy/stagecraft.yml: already exists" in again[2]


NOBODY = 65534


def test_a_directory_it_cannot_write_is_one_clear_line(tmp_path: Path) -> None:
    """As root, modes do not stop a write: the command runs as `nobody` (like
    tests/reliability/test_permissions.py) in a directory only root may write."""
    import os
    import shutil
    import sys
    import tempfile

    project = Path(tempfile.mkdtemp(prefix="stagecraft-init-"))
    try:
        (project / ".env.local").write_text("A=1\n")
        project.chmod(0o555)
        command = [str(Path(sys.executable).with_name("stagecraft")), "init"]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                       *command]
        env = {k: v for k, v in os.environ.items() if not k.startswith("STAGECRAFT_")}
        env.update(STAGECRAFT_LOAD_PLUGINS="encore,envfile", HOME=str(project))
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 1, done.stderr
        assert done.stderr == (f"stagecraft: error: {project / 'stagecraft.yml'}: cannot "
                               "create it (Permission denied); nothing written\n")
        assert done.stdout == ""
        assert sorted(p.name for p in project.iterdir()) == [".env.local"]
    finally:
        project.chmod(0o755)
        shutil.rmtree(project)


def test_nothing_to_guess_from_asks_for_a_provider(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "init")
    assert (code, out) == (1, "")
    assert "found no env file (.env, .env.local, ...) and no encore.app" in err
    assert "pass --provider ID (available: encore, envfile)" in err
    assert not (here / "stagecraft.yml").exists()


def test_an_unknown_provider_writes_nothing(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "init", "--provider", "envfil")
    assert code == 1
    assert "unknown secrets provider 'envfil' (did you mean 'envfile'?)" in err
    assert not (here / "stagecraft.yml").exists()


def test_never_overwrites(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / ".env.local").write_text("A=1\n")
    original = b"secrets:\n  provider: mine  # hand-written\n"
    (here / "stagecraft.yml").write_bytes(original)
    code, out, err = run(capsys, "init")
    assert (code, out) == (1, "")
    assert f"{here / 'stagecraft.yml'}: already exists; left unchanged" in err
    assert (here / "stagecraft.yml").read_bytes() == original


def test_a_dangling_symlink_is_not_overwritten_either(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / ".env.local").write_text("A=1\n")
    (here / "stagecraft.yml").symlink_to(here / "elsewhere.yml")
    assert run(capsys, "init")[0] == 1
    assert not (here / "elsewhere.yml").exists()


def test_targets_are_added_to_gitignore_in_a_git_work_tree(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_init(here)
    (here / ".gitignore").write_text("node_modules")  # no newline at the end
    (here / ".env.local").write_text("A=1\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "added .env.local, .env to .gitignore (they hold secrets)" in out
    assert (here / ".gitignore").read_text() == (
        "node_modules\n# secrets read or written by stagecraft\n/.env.local\n/.env\n")
    for name in (".env", ".env.local"):  # the source holds secrets as much as the target
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=here, check=False)
        assert ignored.returncode == 0, name


def test_a_target_git_already_ignores_is_left_alone(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_init(here)
    (here / ".gitignore").write_text(".env*\n!.env.example\n")
    (here / ".env.local").write_text("A=1\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert ".env is already ignored by git" in out
    assert ".env.local is already ignored by git" in out
    assert (here / ".gitignore").read_text() == ".env*\n!.env.example\n"


def test_a_subdirectory_of_a_work_tree_gets_its_own_gitignore_entry(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_init(here)
    app = here / "services" / "api"
    app.mkdir(parents=True)
    (app / ".env.local").write_text("A=1\n")
    monkeypatch.chdir(app)
    assert run(capsys, "init")[0] == 0
    assert (app / ".gitignore").read_text() == (
        "# secrets read or written by stagecraft\n/.env.local\n/.env\n")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=here, capture_output=True, text=True, check=True).stdout
    (app / ".env").write_text("A=1\n")
    after = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                           cwd=here, capture_output=True, text=True, check=True).stdout
    assert after == status  # the synced file never shows up for git add


def test_a_gitignore_it_cannot_read_is_reported_and_the_config_still_written(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_init(here)
    (here / ".gitignore").mkdir()  # not a file: reading it fails whoever runs the test
    (here / ".env.local").write_text("A=1\n")
    code, out, err = run(capsys, "init")
    assert (code, err) == (0, "")
    assert (f"could not read {here / '.gitignore'} (Is a directory): add .env.local, .env "
            "to it yourself, they hold secrets") in out
    assert (here / "stagecraft.yml").is_file()
