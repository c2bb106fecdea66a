"""The encore provider against the provider contract of ``stagecraft.testing``.

Two targets, two runs of the suite:

* ``.secrets.local.cue``: a file the provider reads back, so it reports
  added/updated/unchanged and carries every tricky value exactly;
* ``encore secret set`` through the fake CLI (``fake_encore`` fixture): a
  write-only store that cannot say whether a key already held its value, and
  that strips trailing newlines, so those values are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stagecraft.providers.secrets import Context, SecretsProvider
from stagecraft.testing import TRICKY_VALUES, ProviderContract, write_env_file
from stagecraft_encore.provider import EncoreProvider

APP = "app"
CUE = ".secrets.local.cue"


class EncoreContract(ProviderContract):
    """What both targets share: an Encore app in ``tmp_path/app`` and an env file source."""

    @pytest.fixture(autouse=True)
    def _encore_app(self, tmp_path: Path) -> None:
        app = tmp_path / APP
        app.mkdir()
        (app / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")

    def make_provider(self) -> SecretsProvider:
        return EncoreProvider()

    def make_context(self, tmp_path: Path) -> Context:
        return Context(cwd=tmp_path / APP, config_dir=tmp_path / APP)

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        return str(write_env_file(tmp_path / "source.env", values))


class TestEncoreLocalOverrideFile(EncoreContract):
    def make_target(self, tmp_path: Path) -> str:
        return CUE

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        """Each ``"KEY": "value"`` line decoded as JSON, not by the provider's reader."""
        path = tmp_path / APP / target
        if not path.exists():
            return {}
        values: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            label, separator, value = line.partition(": ")
            assert separator, "a line of the override file is not `label: value`"
            values[json.loads(label)] = json.loads(value)
        return values


class TestEncoreSecretSet(EncoreContract):
    tricky_values: ClassVar[Mapping[str, str]] = {
        key: value for key, value in TRICKY_VALUES.items() if not value.endswith(("\n", "\r"))
    }
    reports_unchanged: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _fake_cli(self, fake_encore: Any) -> None:
        self.fake = fake_encore

    def make_target(self, tmp_path: Path) -> str:
        return "dev,local"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        stored: dict[str, str] = self.fake.stored()
        return stored


def test_secret_set_variant_drops_only_trailing_newlines() -> None:
    dropped = set(TRICKY_VALUES) - set(TestEncoreSecretSet.tricky_values)
    assert dropped == {"TRICKY_PEM", "TRICKY_TRAILING_NEWLINE"}
