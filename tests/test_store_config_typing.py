"""A store's config is typed end to end: ``mypy --strict`` reports a misspelled config attribute.

The store below declares its ``Config`` and subclasses ``SecretStore[RemoteConfig]``;
its methods see ``ctx.config``, ``self.config_of(ctx)`` and ``session.config``
typed as that class, so a typo is a type error rather than an AttributeError
in the middle of a sync.  A store that declares nothing (``SecretStore``
bare, as the tutorial's ``dirstore``) still passes ``--strict``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    (tmp_path / "typed_store.py").write_text(TYPED, encoding="utf-8")
    (tmp_path / "typo_store.py").write_text(TYPO, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mypy")), "--strict", "--cache-dir",
         str(tmp_path / "cache"), "typed_store.py", "typo_store.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    lines = done.stdout.splitlines()
    assert not any(line.startswith("typed_store.py") for line in lines), done.stdout
    typos = [line for line in lines if line.startswith("typo_store.py:")
             and '"RemoteConfig" has no attribute "adress"' in line]
    typo_lines = [line for line in TYPO.splitlines() if "adress" in line]
    assert len(typo_lines) == 3
    assert len(typos) == len(typo_lines), done.stdout
    assert done.returncode == 1
