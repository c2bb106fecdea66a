"""``stagecraft completion``: the generated scripts, exercised in a real bash.

The bash test sources what ``stagecraft completion bash`` prints into a
bash process, sets ``COMP_LINE`` / ``COMP_WORDS`` as bash does when Tab is
pressed, calls the completion function the script registered, and reads
``COMPREPLY``.  The candidates come from the installed console script, so
provider ids and store prefixes are those of the real plugins (envfile and
encore from ``make install``, and a local plugin given with ``--plugins-dir``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from stagecraft import cli

DRIVER = r'''
source <(stagecraft completion bash)
fn=$(complete -p stagecraft | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMPREPLY=()
"$fn" stagecraft "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(cli_helpers: ModuleType, line: str, cwd: Path, **env: str) -> list[str]:
    """What bash offers for Tab at the end of ``line``."""
    bash = shutil.which("bash")
    assert bash is not None, "bash is needed to test bash completion"
    environ = cli_helpers.child_env()
    environ["PATH"] = f"{cli_helpers.STAGECRAFT.parent}:{environ.get('PATH', '')}"
    environ["STAGECRAFT_LOAD_PLUGINS"] = "encore,envfile"  # whatever else is installed
    environ.update(env)
    completed = subprocess.run(
        [bash, "-c", DRIVER, "driver", line], cwd=cwd, env=environ,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return [word.strip() for word in completed.stdout.splitlines() if word.strip()]


@pytest.fixture
def here(tmp_path: Path) -> Path:
    (tmp_path / ".env.local").write_text("A=1\n")
    (tmp_path / "deploy").mkdir()
    return tmp_path


def test_commands(cli_helpers: ModuleType, here: Path) -> None:
    assert complete(cli_helpers, "stagecraft ", here) == [
        "secrets", "run", "plugins", "config", "init", "completion"]
    assert complete(cli_helpers, "stagecraft secrets ", here) == [
        "sync", "list", "check", "providers"]
    assert complete(cli_helpers, "stagecraft config s", here) == ["show"]
    assert complete(cli_helpers, "stagecraft completion ", here) == ["bash", "zsh", "fish"]


def test_options_and_their_choices(cli_helpers: ModuleType, here: Path) -> None:
    options = complete(cli_helpers, "stagecraft secrets sync --", here)
    for option in ("--provider", "--from", "--to", "--dry-run", "--check", "--prune",
                   "--exclude", "--timeout", "--json", "--color", "--config"):
        assert option in options
    assert complete(cli_helpers, "stagecraft secrets sync --dry", here) == ["--dry-run"]
    assert complete(cli_helpers, "stagecraft --color ", here) == ["auto", "always", "never"]


def test_run_completes_its_options_and_nothing_after_the_double_dash(
    cli_helpers: ModuleType, here: Path
) -> None:
    options = complete(cli_helpers, "stagecraft run --", here)
    for option in ("--env", "--from", "--exclude", "--mask", "--config"):
        assert option in options
    assert complete(cli_helpers, "stagecraft run --ma", here) == ["--mask"]
    assert complete(cli_helpers, "stagecraft run --from .env", here) == [".env.local"]
    assert complete(cli_helpers, "stagecraft run ", here) == []  # key names are no files
    # After --, the line is COMMAND's: none of Stagecraft's options, files or keys.
    for line in ("stagecraft run --from .env.local -- ", "stagecraft run -- sh --m",
                 "stagecraft run --env dev -- sh -", "stagecraft run -- ./"):
        assert complete(cli_helpers, line, here) == [], line


def test_run_env_completes_the_environment_names(cli_helpers: ModuleType, here: Path) -> None:
    assert complete(cli_helpers, "stagecraft run --env ", here) == []  # no stagecraft.yml
    (here / "deploy" / "stagecraft.yml").write_text(
        "secrets:\n  environments:\n    dev: envfile:.env.dev\n    staging: vault:secret/app\n")
    assert complete(cli_helpers, "stagecraft --config deploy/stagecraft.yml run --env ",
                    here) == ["dev", "staging"]
    assert complete(cli_helpers, "stagecraft run --env st", here / "deploy") == ["staging"]


def test_provider_ids_from_the_installed_plugins(cli_helpers: ModuleType, here: Path) -> None:
    assert complete(cli_helpers, "stagecraft secrets sync --provider ", here) == [
        "encore", "envfile"]
    assert complete(cli_helpers, "stagecraft secrets sync --provider env", here) == ["envfile"]
    assert complete(cli_helpers, "stagecraft secrets providers ", here) == ["encore", "envfile"]
    assert complete(cli_helpers, "stagecraft init --provider e", here) == ["encore", "envfile"]


def test_a_local_plugin_given_on_the_line_is_completed(
    cli_helpers: ModuleType, here: Path
) -> None:
    (here / "plugins").mkdir()
    (here / "plugins" / "copyjson.py").write_text(cli_helpers.COPY_PLUGIN)
    assert complete(cli_helpers, "stagecraft --plugins-dir plugins secrets sync --provider c",
                    here) == ["copyjson"]


def test_store_prefixes_and_files_for_from_and_to(cli_helpers: ModuleType, here: Path) -> None:
    assert complete(cli_helpers, "stagecraft secrets sync --to en", here) == [
        "encore:", "envfile:"]
    from_all = complete(cli_helpers, "stagecraft secrets sync --from ", here)
    assert from_all == ["encore:", "envfile:", "-", ".env.local", "deploy/"]
    # After a file store's prefix: files (bash shows the part after the colon).
    assert complete(cli_helpers, "stagecraft secrets sync --from envfile:.env", here) == [
        ".env.local"]
    # Encore's locations are not files: nothing made up.
    assert complete(cli_helpers, "stagecraft secrets sync --to encore:", here) == []


def test_a_broken_plugin_completes_nothing_rather_than_failing(
    cli_helpers: ModuleType, here: Path
) -> None:
    (here / "plugins").mkdir()
    (here / "plugins" / "broken.py").write_text(cli_helpers.BROKEN_IMPORT_PLUGIN)
    assert complete(cli_helpers, "stagecraft --plugins-dir plugins secrets sync --provider ",
                    here, STAGECRAFT_LOAD_PLUGINS="") == []


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o"),
        ("zsh", "#compdef stagecraft"),
        ("fish", "complete --command stagecraft"),
    ],
)
def test_each_shell_gets_its_script(
    shell: str, marker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["completion", shell]) == 0
    out, err = capsys.readouterr()
    assert marker in out
    assert "stagecraft" in out
    assert err == ""


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["completion", "tcsh"]) == 1
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err


def test_plain_commands_do_not_import_argcomplete(
    cli_helpers: ModuleType, tmp_path: Path
) -> None:
    """Completion must not cost start-up time: argcomplete is imported only when completing."""
    import sys

    code = ("import sys; from stagecraft import cli; cli.main(['secrets', 'providers']); "
            "print('argcomplete' in sys.modules)")
    env = cli_helpers.child_env()
    env.pop("_ARGCOMPLETE", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "False"
