"""The real programs that read env files Stagecraft writes, run in batches.

Each function reads many files with one process (one Node process per batch,
one shell process per batch with a subshell per file), so a corpus of hundreds
of values costs a few process starts, not hundreds.  Every reader runs with a
fixed environment, in the directory holding the files, so nothing from the
developer's machine leaks into what it reads.

* :func:`python_dotenv` -- ``dotenv_values(path)``, interpolation on or off;
* :func:`node` -- Node's ``dotenv.parse``, ``dotenv-expand`` after it (as Vite
  does), or ``@next/env``'s ``loadEnvConfig`` (which bundles its own copy of
  both), all pinned in tests/node/package.json;
* :func:`shell` -- ``set -a; . ./FILE; set +a`` in bash or dash, then the
  exported environment as the file left it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from unittest import mock

from dotenv import dotenv_values

NODE_DIR = Path(__file__).parent / "node"
NODE_MODULES = NODE_DIR / "node_modules"

#: The environment every reader runs with: no variable a file could expand.
FIXED_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/nonexistent"}

NODE_SCRIPT = r"""
const fs = require('fs');
const path = require('path');
const { mode, paths } = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = [];
if (mode === 'next') {
  const { loadEnvConfig } = require('@next/env');
  const errors = [];
  const log = { info() {}, warn() {}, error(...args) { errors.push(String(args[0])); } };
  for (const dir of paths) {
    errors.length = 0;
    const { parsedEnv } = loadEnvConfig(dir, true, log, true);
    results.push(errors.length ? { error: errors.join('; ') } : { ...parsedEnv });
  }
} else {
  const dotenv = require('dotenv');
  const { expand } = require('dotenv-expand');
  for (const file of paths) {
    const parsed = dotenv.parse(fs.readFileSync(file));
    if (mode === 'expand') {
      try {
        results.push(expand({ parsed, processEnv: {} }).parsed);
      } catch (err) {
        results.push({ error: String(err && err.message) });
      }
    } else {
      results.push(parsed);
    }
  }
}
process.stdout.write(JSON.stringify(results));
"""


def node(mode: str, paths: list[Path], cwd: Path) -> list[dict[str, str]]:
    """Read each path with ``mode`` in one Node process.

    ``mode`` is ``dotenv`` (Node's dotenv), ``expand`` (dotenv, then
    dotenv-expand with an empty process environment) or ``next`` (each path is
    a directory whose ``.env`` @next/env loads).  A reader that failed on a file
    gives ``{"error": message}`` for it.
    """
    executable = shutil.which("node")
    assert executable is not None, "node is required for the reference-reader tests"
    assert NODE_MODULES.is_dir(), "run `make test` to install tests/node (npm ci)"
    done = subprocess.run(
        [executable, "-e", NODE_SCRIPT],
        input=json.dumps({"mode": mode, "paths": [str(p) for p in paths]}),
        capture_output=True,
        text=True,
        env={**FIXED_ENV, "NODE_PATH": str(NODE_MODULES)},
        cwd=cwd,
        check=True,
        timeout=120,
    )
    results: list[dict[str, str]] = json.loads(done.stdout)
    assert len(results) == len(paths)
    return results


def python_dotenv(path: Path, *, interpolate: bool) -> dict[str, str | None]:
    """python-dotenv reading the file as ``load_dotenv`` does (text mode, by path)."""
    with mock.patch.dict(os.environ, FIXED_ENV, clear=True):  # what ${VAR} would see
        return dict(dotenv_values(path, interpolate=interpolate))


_SHELL_SCRIPT = r"""
for f in "$@"; do
  printf '\0@@%s\0' "$f"
  (set -a; . "./$f"; set +a; exec /usr/bin/env -0) || printf '\0@@FAILED\0'
done
"""


def shell(program: str, names: list[str], cwd: Path) -> list[dict[str, str] | None]:
    """Source each file (names relative to ``cwd``) in ``program`` with ``set -a``.

    One shell process runs a subshell per file; each result is the exported
    environment after the file (the fixed environment included), or None when
    sourcing the file failed.
    """
    executable = shutil.which(program)
    assert executable is not None, f"{program} is required for the shell round-trip tests"
    done = subprocess.run(
        [executable, "-c", _SHELL_SCRIPT, program, *names],
        capture_output=True,
        env=FIXED_ENV,
        cwd=cwd,
        timeout=300,
        check=False,
    )
    results: dict[str, dict[str, str] | None] = {}
    current: dict[str, str] | None = None
    for item in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if item.startswith("@@"):
            if item == "@@FAILED":
                results[next(reversed(results))] = None
                current = None
            else:
                current = results[item[2:]] = {}
        elif item and current is not None:
            key, _, value = item.partition("=")
            current[key] = value
    return [results.get(name) for name in names]
