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
    assert out.splitlines()[0] == "wrote stagecraft.yml: provider localvault"
    text = (here / "stagecraft.yml").read_text()
    assert '      # address: "http://127.0.0.1:8200"\n      # mount: "secret"\n' in text
    assert run(capsys, "--plugins-dir", "plugins", "config", "check")[0] == 0


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
    assert "added .env to .gitignore (it will hold secrets)" in out
    assert (here / ".gitignore").read_text() == (
        "node_modules\n# secrets written by stagecraft\n/.env\n")
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=here, check=False)
    assert ignored.returncode == 0


def test_a_target_git_already_ignores_is_left_alone(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_init(here)
    (here / ".gitignore").write_text(".env*\n!.env.example\n")
    (here / ".env.local").write_text("A=1\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert ".env is already ignored by git" in out
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
    assert (app / ".gitignore").read_text() == "# secrets written by stagecraft\n/.env\n"
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=here, capture_output=True, text=True, check=True).stdout
    (app / ".env").write_text("A=1\n")
    after = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                           cwd=here, capture_output=True, text=True, check=True).stdout
    assert after == status  # the synced file never shows up for git add
