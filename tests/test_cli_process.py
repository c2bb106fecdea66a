"""How the command treats its process: the entry points it starts from, what it imports,
and an embedding caller's garbage collector, which it leaves as it was."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from stagecraft import cli


def test_main_leaves_the_callers_collector_alone() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    assert cli.main(["secrets", "providers"]) == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # nothing of the caller's was frozen


def test_main_keeps_collection_off_when_the_caller_turned_it_off() -> None:
    gc.disable()
    try:
        assert cli.main(["plugins"]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_console_script_exits_with_the_commands_status(tmp_path: Path) -> None:
    code = "import sys\nfrom stagecraft.cli import run\nsys.argv = ['stagecraft', 'nope']\nrun()\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 1
    assert "unknown command 'nope'" in done.stderr


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stagecraft", "secrets", "sync"], cwd=tmp_path,
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 1
    assert "no secrets provider chosen" in done.stderr


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["--version"], {"argcomplete", "hvac", "boto3"}),
        # without a stagecraft.yml the config model is not loaded (the start-up row's case),
        # nor the machinery of the other commands
        (["secrets", "sync", "--provider", "envfile", "--from", "s.env", "--to", "t.env"],
         {"argcomplete", "hvac", "boto3", "cattrs", "yaml", "stagecraft.config",
          "stagecraft.manifest_check", "stagecraft.project_check", "stagecraft.key_listing",
          "concurrent.futures", "stagecraft.init_command", "stagecraft.config_show",
          "stagecraft.run"}),
    ],
    ids=["version", "sync-without-config"],
)
def test_commands_import_only_what_they_use(
    tmp_path: Path, argv: list[str], absent: set[str]
) -> None:
    """Store SDKs load when their store is used, argcomplete only when completing, the
    config model only with a config file, and the machinery of `secrets check`,
    `secrets list`, `init`, `config show` and `run` only for those commands."""
    (tmp_path / "s.env").write_text("KEY=value\n")
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted(set(sys.modules) & set({sorted(absent)!r})),"
        " file=sys.stderr))\n"
        "from stagecraft.cli import run\n"
        f"sys.argv = ['stagecraft', *{argv!r}]\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "[]"
