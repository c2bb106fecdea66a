"""The age store against the store contract of ``stagecraft.testing``, binary and armored.

The key is made once for the module; each test's identity file is the
one ``SOPS_AGE_KEY_FILE`` names, as a SOPS user's would be, because the
contract's config is a class attribute that cannot hold a test's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pyrage import x25519

from stagecraft.store import SecretStore
from stagecraft.testing import TRICKY_VALUES, StoreContract
from stagecraft_age import AgeStore
from stagecraft_age.config import Config

_IDENTITY = x25519.Identity.generate()

#: What no single quoting can give python-dotenv, Node and compose alike (see dotenv-compat.md).
WRITABLE = {key: value for key, value in TRICKY_VALUES.items()
            if key not in ("TRICKY_BOTH_QUOTES", "TRICKY_DOLLAR_BRACE")}


class TestAgeStore(StoreContract):
    tricky_values: ClassVar[Mapping[str, str]] = WRITABLE
    config: ClassVar[Any] = Config(recipients=[str(_IDENTITY.to_public())])

    @pytest.fixture(autouse=True)
    def _identity_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        key_file = tmp_path / "age-key.txt"
        key_file.write_text(f"{_IDENTITY}\n")
        monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))

    def make_store(self) -> SecretStore:
        return AgeStore()

    def make_location(self, tmp_path: Path) -> str:
        return "secrets.env.age"


class TestArmoredAgeStore(TestAgeStore):
    config: ClassVar[Any] = Config(recipients=[str(_IDENTITY.to_public())], armor=True)


class TestAgeStoreForDockerCompose(TestAgeStore):
    """With docker compose as the only reader, every tricky value can be written."""

    tricky_values: ClassVar[Mapping[str, str]] = TRICKY_VALUES
    config: ClassVar[Any] = Config(recipients=[str(_IDENTITY.to_public())],
                                   readers=["docker-compose"])
