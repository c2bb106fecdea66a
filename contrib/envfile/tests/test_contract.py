"""The envfile provider against the provider contract of ``stagecraft.testing``.

The suite runs twice: with the default readers (python-dotenv, Node dotenv
and docker compose must all read the file back exactly), which rules out a
value holding both quote kinds and one holding ``${``; and with docker
compose as the only reader, which can carry every tricky value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stagecraft import dotenv
from stagecraft.errors import UserError
from stagecraft.providers.secrets import SecretsProvider, SyncOptions
from stagecraft.testing import TRICKY_VALUES, ProviderContract, write_env_file
from stagecraft_envfile.config import Config
from stagecraft_envfile.provider import EnvfileProvider

#: What no single quoting style can give all three readers (see dotenv-compat.md).
UNWRITABLE_FOR_ALL_READERS = ("TRICKY_BOTH_QUOTES", "TRICKY_DOLLAR_BRACE")


class TestEnvfileForAllReaders(ProviderContract):
    tricky_values: ClassVar[Mapping[str, str]] = {
        key: value
        for key, value in TRICKY_VALUES.items()
        if key not in UNWRITABLE_FOR_ALL_READERS
    }

    def make_provider(self) -> SecretsProvider:
        return EnvfileProvider()

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        write_env_file(tmp_path / "source.env", values)
        return "source.env"

    def make_target(self, tmp_path: Path) -> str:
        return "target.env"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        path = tmp_path / target
        return dotenv.load(path).values() if path.exists() else {}


class TestEnvfileForDockerCompose(TestEnvfileForAllReaders):
    tricky_values: ClassVar[Mapping[str, str]] = TRICKY_VALUES

    def make_config(self, tmp_path: Path) -> Any:
        return Config(readers=["docker-compose"])


@pytest.mark.parametrize("key", UNWRITABLE_FOR_ALL_READERS)
def test_values_left_out_above_are_refused_by_name(tmp_path: Path, key: str) -> None:
    write_env_file(tmp_path / "source.env", {key: TRICKY_VALUES[key]})
    options = SyncOptions(source="source.env", target="target.env")
    with pytest.raises(UserError) as info:
        EnvfileProvider().sync(TestEnvfileForAllReaders().make_context(tmp_path), options)
    assert key in str(info.value)
    assert TRICKY_VALUES[key] not in str(info.value)
    assert not (tmp_path / "target.env").exists()
