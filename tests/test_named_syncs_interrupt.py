"""Ctrl-C during named syncs: each sync says what it did, the run exits 130.

A real ``stagecraft`` process runs two named syncs at once: one into an env file
(quick) and one into a slow local store (a plugin whose ``write_one`` takes its
time, and starts once the env file is written).  A real SIGINT arrives once the
slow store has written a key: the writes in flight finish, no new one starts,
the env-file sync's section is complete, and the slow sync's section names the
keys written and those not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from cli_helpers import child_env
from dotenv import dotenv_values

STAGECRAFT = Path(sys.executable).with_name("stagecraft")
SECRET = "interrupt-canary"

SLOW_PLUGIN = '''
import os, time
import stagecraft

class Slow(stagecraft.SecretStore):
    id = "slow"
    concurrency = 1

    def read(self, ctx, location, keys):
        return {}

    def write_one(self, ctx, location, key, value):
        # the env-file sync ends first (its file is renamed into place whole)
        while not os.path.exists(os.path.join(location, "..", ".env.local")):
            time.sleep(0.01)
        time.sleep(0.2)
        with open(os.path.join(location, key), "w") as handle:
            handle.write(value)

@stagecraft.hookimpl
def secrets_provider_register():
    return Slow()
'''

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.dev
    local: envfile:.env.local
    remote: slow:out
  syncs:
    to-local:
      from: dev
      to: local
    to-remote:
      from: dev
      to: remote
plugins:
  dirs: [plugins]
"""


def test_sigint_reports_each_named_sync_and_exits_130(tmp_path: Path) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "slow.py").write_text(SLOW_PLUGIN, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "stagecraft.yml").write_text(MANIFEST, encoding="utf-8")
    values = {f"K{i:02d}": f"{SECRET}-{i:02d}" for i in range(30)}
    (tmp_path / ".env.dev").write_text(
        "".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    process = subprocess.Popen(
        [str(STAGECRAFT), "--color", "never", "secrets", "sync", "--no-record"],
        cwd=tmp_path, env={**child_env(), "XDG_STATE_HOME": str(tmp_path / "state")},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        while not any((tmp_path / "out").iterdir()):
            if process.poll() is not None:
                break
            os.sched_yield()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # stopped by its process id, whatever happened above
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    assert SECRET not in out + err
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert 0 < len(written) < 30
    local, remote = out.split("== to-remote")
    assert local.splitlines()[1:] == [f"+ {key}" for key in values]
    assert dotenv_values(tmp_path / ".env.local") == values
    assert sorted(line[2:] for line in remote.splitlines()[1:]) == written
    assert "stagecraft: error: to-remote: " in err
    assert "interrupted" in err
    assert "not synced" in err
    assert err.splitlines()[-1] == "stagecraft: 2 named sync(s): 1 ok, 1 failed"
