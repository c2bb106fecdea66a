"""A plugin author's ``mypy --strict``, run with this virtualenv outside the repository,
sees stagecraft's types (the editable install is one a type checker can follow), and a
store's config is typed end to end (a misspelled config attribute is a type error)."""

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


def mypy_strict(tmp_path: Path, sources: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``mypy --strict`` run on ``sources`` (file name: text) written to ``tmp_path``."""
    for name, text in sources.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
    return subprocess.run(
        [str(Path(sys.executable).with_name("mypy")), "--strict", "--cache-dir",
         str(tmp_path / "cache"), *sources],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_mypy_strict_on_a_plugin_outside_the_repository_sees_stagecraft(tmp_path: Path) -> None:
    done = mypy_strict(tmp_path, {"good_plugin.py": GOOD, "bad_plugin.py": BAD})
    lines = done.stdout.splitlines()
    assert not any("good_plugin.py" in line for line in lines), done.stdout
    assert not any("import-not-found" in line or "import-untyped" in line for line in lines)
    supertype = 'incompatible with supertype "stagecraft.store_base.StoreBase"'
    assert any(line.startswith("bad_plugin.py:") and supertype in line
               for line in lines), done.stdout
    assert done.returncode == 1


TYPED = '''
from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping

import attrs

import stagecraft
from stagecraft.store import StoreSession


@attrs.frozen
class RemoteConfig:
    address: str = "http://127.0.0.1:8200"


class Remote(stagecraft.SecretStore[RemoteConfig]):
    id = "remote"
    Config = RemoteConfig  # named apart: in the class body, Config is this attribute

    def read(
        self, ctx: stagecraft.Context[RemoteConfig], location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        return {"where": ctx.config.address}

    def default_location(self, ctx: stagecraft.Context[RemoteConfig], role: str) -> str:
        return self.config_of(ctx).address

    @contextlib.contextmanager
    def session(
        self, ctx: stagecraft.Context[RemoteConfig], location: str, *, dry_run: bool
    ) -> Iterator[StoreSession[RemoteConfig]]:
        yield RemoteSession(self, ctx, location)


class RemoteSession(StoreSession[RemoteConfig]):
    def write(self, values: Mapping[str, str]) -> None:
        print(self.config.address)


class Plain(stagecraft.SecretStore):
    id = "plain"

    def read(
        self, ctx: stagecraft.Context, location: str, keys: Collection[str] | None
    ) -> Mapping[str, str]:
        return {}
'''

#: The same store with ``address`` misspelled in each of the three places.
TYPO = TYPED.replace("config.address", "config.adress").replace(
    "config_of(ctx).address", "config_of(ctx).adress"
)


def test_mypy_strict_reports_a_misspelled_config_attribute(tmp_path: Path) -> None:
    """A store's config is typed end to end: the store below declares its ``Config`` and
    subclasses ``SecretStore[RemoteConfig]``, so ``ctx.config``, ``self.config_of(ctx)`` and
    ``session.config`` are ``RemoteConfig``, and a typo is a type error rather than an
    AttributeError in the middle of a sync.  A store declaring nothing (``Plain``, as the
    tutorial's ``dirstore``) still passes ``--strict``."""
    done = mypy_strict(tmp_path, {"typed_store.py": TYPED, "typo_store.py": TYPO})
    lines = done.stdout.splitlines()
    assert not any(line.startswith("typed_store.py") for line in lines), done.stdout
    typos = [line for line in lines if line.startswith("typo_store.py:")
             and '"RemoteConfig" has no attribute "adress"' in line]
    typo_lines = [line for line in TYPO.splitlines() if "adress" in line]
    assert len(typo_lines) == 3
    assert len(typos) == len(typo_lines), done.stdout
    assert done.returncode == 1
