"""A plugin author's ``mypy --strict``, run with this virtualenv outside the repository,
sees stagecraft's types (the editable install is one a type checker can follow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GOOD = '''
from __future__ import annotations

from collections.abc import Collection, Mapping

import stagecraft


class Memory(stagecraft.SecretStore):
    id = "memory"

    def read(
        self, ctx: stagecraft.Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        return {}

    def write(self, ctx: stagecraft.Context, location: str, values: Mapping[str, str]) -> None:
        pass


@stagecraft.hookimpl
def secrets_provider_register() -> Memory:
    return Memory()
'''

#: The same store with a wrong signature: only seen if stagecraft's types are.
BAD = GOOD.replace("location: str, values", "location: int, values")


def test_mypy_strict_on_a_plugin_outside_the_repository_sees_stagecraft(tmp_path: Path) -> None:
    (tmp_path / "good_plugin.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad_plugin.py").write_text(BAD, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mypy")), "--strict", "--cache-dir",
         str(tmp_path / "cache"), "good_plugin.py", "bad_plugin.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    lines = done.stdout.splitlines()
    assert not any("good_plugin.py" in line for line in lines), done.stdout
    assert not any("import-not-found" in line or "import-untyped" in line for line in lines)
    supertype = 'incompatible with supertype "stagecraft.store_base.StoreBase"'
    assert any(line.startswith("bad_plugin.py:") and supertype in line
               for line in lines), done.stdout
    assert done.returncode == 1
