"""``--from -`` reads the source env file from standard input; ``--to -`` is refused.

Runs the real console script with the envfile store (an entry point) and
the copyjson test provider (a local plugin that implements sync itself).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

STDIN_VALUES = {"API_TOKEN": "stdin-canary-4d1e", "DB_PASSWORD": "stdin-canary-pass 99"}
ENV_TEXT = "API_TOKEN=stdin-canary-4d1e\nDB_PASSWORD='stdin-canary-pass 99'\n"


def run(cli_helpers: Any, cwd: Path, *args: str, stdin: str | None) -> tuple[int, str, str]:
    env = cli_helpers.child_env()
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        [str(cli_helpers.STAGECRAFT), *args], cwd=cwd, env=env,
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60, check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_from_stdin_into_an_env_file(cli_helpers: Any, tmp_path: Path) -> None:
    code, out, err = run(cli_helpers, tmp_path, "secrets", "sync", "--from", "-",
                         "--to", "envfile:.env.staging", stdin=ENV_TEXT)
    assert (code, out) == (0, "+ API_TOKEN\n+ DB_PASSWORD\n")
    assert err == "stagecraft: envfile: 2 added, 0 updated, 0 unchanged, 0 removed\n"
    written = (tmp_path / ".env.staging").read_text()
    assert "API_TOKEN=stdin-canary-4d1e" in written
    # Nothing was written anywhere else: stdin is not a file called "-".
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.staging"]


def test_from_stdin_selects_keys_and_reports_json(cli_helpers: Any, tmp_path: Path) -> None:
    code, out, _ = run(cli_helpers, tmp_path, "secrets", "sync", "--from", "-", "--to",
                       "envfile:out.env", "--dry-run", "--json", "DB_*", stdin=ENV_TEXT)
    assert code == 0
    assert '"source": "-"' in out
    assert '"key": "DB_PASSWORD"' in out
    assert "API_TOKEN" not in out


def test_stdin_values_are_masked_like_any_source(cli_helpers: Any, tmp_path: Path) -> None:
    """A value read from stdin that turns up in a store's error is masked."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "leaky.py").write_text('''
import stagecraft
from stagecraft.errors import ProviderError


class Leaky(stagecraft.SecretStore):
    id = "leaky"

    def read(self, ctx, location, keys):
        return {}

    def write(self, ctx, location, values):
        raise ProviderError("rejected " + ", ".join(values.values()))


@stagecraft.hookimpl
def secrets_provider_register():
    return Leaky()
''')
    code, out, err = run(cli_helpers, tmp_path, "--plugins-dir", "plugins", "secrets", "sync",
                         "--from", "-", "--to", "leaky:x", stdin=ENV_TEXT)
    assert code == 2
    assert "rejected" in err
    for value in STDIN_VALUES.values():
        assert value not in out + err


def test_malformed_stdin_names_stdin(cli_helpers: Any, tmp_path: Path) -> None:
    code, out, err = run(cli_helpers, tmp_path, "secrets", "sync", "--from", "-", "--to",
                         "envfile:out.env", stdin="GOOD=1\nBAD='unterminated\n")
    assert (code, out) == (1, "")
    assert "<stdin>" in err
    assert not (tmp_path / "out.env").exists()


def test_empty_stdin_syncs_nothing(cli_helpers: Any, tmp_path: Path) -> None:
    code, out, _ = run(cli_helpers, tmp_path, "secrets", "sync", "--from", "-", "--to",
                       "envfile:out.env", stdin=None)
    assert (code, out) == (0, "")


def test_to_stdout_is_refused(cli_helpers: Any, tmp_path: Path) -> None:
    code, out, err = run(cli_helpers, tmp_path, "secrets", "sync", "--provider", "envfile",
                         "--from", ".env", "--to", "-", stdin=None)
    assert (code, out) == (1, "")
    assert err == (
        "stagecraft: error: --to -: standard output cannot be a target (secret values are "
        "never printed); for a file named '-', write --to ./-\n")
    assert not (tmp_path / "-").exists()


def test_a_provider_that_syncs_itself_cannot_read_stdin(project: Any) -> None:
    project.config()
    run_ = project.run("secrets", "sync", "--from", "-")
    assert run_.code == 1
    assert "implements sync itself, so --from - cannot apply to it" in run_.err
