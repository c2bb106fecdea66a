"""How the command treats its process: garbage collection and the entry points it starts from.

Start-up time is measured (``benchmarks/startup.py``), and part of what
keeps it low is how the cyclic collector is handled; these tests pin the
behaviour that must not change with it: an embedding caller's collector is
left as it was, and the console script collects as usual once a provider runs.
"""

from __future__ import annotations

import gc
import os
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


def test_collection_is_off_during_start_up_and_on_while_the_provider_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    (tmp_path / "probe.py").write_text(
        "import gc\n"
        "import stagecraft\n"
        "from stagecraft.providers.secrets import SyncResult\n"
        "SEEN = []\n"
        "SEEN.append(gc.isenabled())  # while plugins load\n"
        "class Probe:\n"
        "    id = 'probe'\n"
        "    def sync(self, ctx, opts):\n"
        "        SEEN.append(gc.isenabled())\n"
        "        return SyncResult()\n"
        "@stagecraft.hookimpl\n"
        "def secrets_provider_register():\n"
        "    return Probe()\n"
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--plugins-dir", ".", "secrets", "sync", "--provider", "probe"]) == 0
    [module] = [m for name, m in sys.modules.items() if name.startswith("stagecraft_local_probe")]
    seen.extend(module.SEEN)
    sys.modules.pop(module.__name__)
    assert seen == [False, True]


@pytest.mark.parametrize(
    "argv", [["plugins"], ["secrets", "sync", "--provider", "envfile", "--from", "s.env",
                           "--to", "t.env"]]
)
def test_the_console_script_freezes_start_up_and_exits_with_collection_on(
    tmp_path: Path, argv: list[str]
) -> None:
    (tmp_path / "s.env").write_text("KEY=value\n")
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 1000,"
        " 'enabled', gc.isenabled(), file=sys.stderr))\n"
        "from stagecraft.cli import run\n"
        f"sys.argv = ['stagecraft', *{argv!r}]\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
        check=False, env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "frozen True enabled True"


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
        # The package root imports its public API (attrs, pluggy), without tricks;
        # what a command does not use at all stays out.
        (["--version"], {"cattrs", "yaml", "stagecraft.config"}),
        # (json is used: every sync updates the write record, a JSON file)
        (["secrets", "sync", "--provider", "envfile", "--from", "s.env", "--to", "t.env"],
         {"cattrs", "yaml", "stagecraft.config"}),
    ],
    ids=["version", "sync-without-config"],
)
def test_commands_import_only_what_they_use(
    tmp_path: Path, argv: list[str], absent: set[str]
) -> None:
    """Start-up time is measured; these modules are not needed on these paths (whether or
    not the entry-point cache is used: here it is not, the working directory is new)."""
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
