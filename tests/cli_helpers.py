"""Temporary projects and a subprocess runner for the end-to-end ``stagecraft`` tests.

The tests do not depend on the contrib providers: each project gets a small
local plugin (``plugins/copyjson.py``) whose provider copies keys between two
JSON files.  Its ``mode`` setting makes it misbehave on purpose (leak a value
in an exception, crash, fail half-way, log a value), always with canary values
so a test can scan every output for them.

Loaded by ``conftest.py`` by path, because ``tests`` is not a package and
pytest runs with ``--import-mode=importlib``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import attrs

#: Secret values used by the tests.  None may ever appear in any output.
CANARIES = {
    "API_TOKEN": "canary-token-7f3a9c",
    "DB_PASSWORD": "canary-password-c0ffee",
    "MULTI": "canary-multi-1\ncanary-multi-2",
}

STAGECRAFT = Path(sys.executable).with_name("stagecraft")


def child_env() -> dict[str, str]:
    """``os.environ`` for a command a test starts: no inherited ``STAGECRAFT_*`` settings."""
    return {key: value for key, value in os.environ.items() if not key.startswith("STAGECRAFT_")}

COPY_PLUGIN = '''
"""A test provider: copies keys from one JSON file to another."""
import json

import attrs

import stagecraft
from stagecraft.providers.secrets import PartialSyncError, ProviderError, SyncResult


@attrs.frozen
class Config:
    source_file: str = "source.json"
    target_file: str = "target.json"
    prune: bool = False
    mode: str = "ok"  # ok | leak | crash | partial | log


class CopyProvider:
    id = "copyjson"
    Config = Config

    def sync(self, ctx, opts):
        cfg = opts.config or Config()
        src = ctx.resolve(opts.source) if opts.source else ctx.resolve(
            cfg.source_file, from_config=True)
        dst = ctx.resolve(opts.target) if opts.target else ctx.resolve(
            cfg.target_file, from_config=True)
        values = json.loads(src.read_text())
        ctx.add_secrets(values.values())
        first = next(iter(values.values()))
        ctx.logger.info("read %d keys from %s", len(values), src.name)
        if cfg.mode == "leak":
            raise ProviderError(f"store rejected the value {first!r}")
        if cfg.mode == "crash":
            raise RuntimeError(f"unexpected value {first}")
        if cfg.mode == "log":
            ctx.logger.warning("about to write %s", first)
        keys = opts.select(values, source=src.name)
        old = json.loads(dst.read_text()) if dst.exists() else {}
        new = dict(old)
        changes = []
        for key in keys:
            action = "added" if key not in old else (
                "unchanged" if old[key] == values[key] else "updated")
            new[key] = values[key]
            changes.append((key, action))
        if cfg.prune and not opts.keys:
            for key in old:
                if key not in values:
                    del new[key]
                    changes.append((key, "removed"))
        if cfg.mode == "partial":
            done, (failed, _) = changes[:-1], changes[-1]
            raise PartialSyncError(
                "the store accepted some keys only",
                SyncResult.from_actions(done),
                {failed: "rejected by the store"},
            )
        if not opts.dry_run and new != old:
            dst.write_text(json.dumps(new))
        return SyncResult.from_actions(changes)


@stagecraft.hookimpl
def secrets_provider_register():
    return CopyProvider()
'''

BROKEN_IMPORT_PLUGIN = '''
raise RuntimeError("cannot start: missing dependency")
'''

GARBAGE_PLUGIN = '''
import stagecraft

@stagecraft.hookimpl
def secrets_provider_register():
    return 42
'''

BAD_WRAPPER_PLUGIN = '''
import stagecraft

@stagecraft.hookimpl(wrapper=True)
def secrets_sync(provider, ctx, options):
    yield
    return "not a result"
'''


@attrs.frozen
class Run:
    """One finished ``stagecraft`` run."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> object:
        return json.loads(self.out)

    def assert_no_canary(self) -> None:
        for name, value in CANARIES.items():
            for piece in (value, *value.splitlines()):
                assert piece not in self.out, f"{name} leaked to stdout"
                assert piece not in self.err, f"{name} leaked to stderr"


class Project:
    """A temporary project directory with a local plugin and JSON secret files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.plugins = root / "plugins"
        self.plugins.mkdir(parents=True, exist_ok=True)
        (self.plugins / "copyjson.py").write_text(COPY_PLUGIN)
        self.write_json("source.json", CANARIES)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def write_json(self, name: str, data: Mapping[str, str]) -> Path:
        path = self.root / name
        path.write_text(json.dumps(dict(data)))
        return path

    def read_json(self, name: str) -> object:
        return json.loads((self.root / name).read_text())

    def config(self, extra: str = "") -> Path:
        """Write ``stagecraft.yml``: the copyjson setup plus ``extra`` lines of its section."""
        return self.write(
            "stagecraft.yml",
            "secrets:\n  provider: copyjson\n  providers:\n    copyjson:\n"
            "      source_file: source.json\n      target_file: target.json\n"
            + extra
            + "plugins:\n  dirs: [plugins]\n",
        )

    def run(self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            entry_points: bool = False) -> Run:
        """Run the real console script.  Entry-point plugins are off unless asked for."""
        environ = child_env()
        environ.pop("NO_COLOR", None)
        environ.pop("FORCE_COLOR", None)  # plain output unless a test asks for colour
        if not entry_points:
            environ["STAGECRAFT_LOAD_PLUGINS"] = ""
        environ.update(env or {})
        proc = subprocess.run(
            [str(STAGECRAFT), *args],
            cwd=cwd or self.root,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)


#: The example plugins a team copies (``--plugins-dir plugins``).
EXAMPLE_PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def load_example_plugin(name: str) -> ModuleType:
    """Import ``plugins/<name>.py`` from its file, as ``--plugins-dir`` does."""
    spec = importlib.util.spec_from_file_location(
        f"example_plugin_{name}", EXAMPLE_PLUGINS / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
