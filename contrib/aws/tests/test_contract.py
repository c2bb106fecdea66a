"""The provider and store contracts of ``stagecraft.testing``, on each AWS layout, on moto."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stagecraft.providers.secrets import SecretsProvider
from stagecraft.store import SecretStore
from stagecraft.testing import TRICKY_VALUES, ProviderContract, StoreContract, write_env_file
from stagecraft_aws.parameterstore import ParameterStore
from stagecraft_aws.secretsmanager import SecretsManagerStore

NON_EMPTY_TRICKY = {key: value for key, value in TRICKY_VALUES.items() if value}


class AwsContract(ProviderContract):
    """Shared by the three layouts: moto through boto3's standard chain, an env file source."""

    @pytest.fixture(autouse=True)
    def _on_moto(self, aws_env: dict[str, str], sm: Any, ssm: Any) -> None:
        self.sm = sm
        self.ssm = ssm

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        write_env_file(tmp_path / "source.env", values)
        return "source.env"


class TestParameterStore(AwsContract):
    tricky_values: ClassVar[Mapping[str, str]] = NON_EMPTY_TRICKY  # "" cannot be stored

    def make_provider(self) -> SecretsProvider:
        return ParameterStore()

    def make_target(self, tmp_path: Path) -> str:
        return f"/c{uuid.uuid4().hex[:12]}/app/"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        found: dict[str, str] = {}
        pages = self.ssm.get_paginator("get_parameters_by_path").paginate(
            Path=target, WithDecryption=True)
        for page in pages:
            found.update({p["Name"][len(target):]: p["Value"] for p in page["Parameters"]})
        return found


class TestSecretPerKey(AwsContract):
    tricky_values: ClassVar[Mapping[str, str]] = NON_EMPTY_TRICKY  # "" cannot be stored

    def make_provider(self) -> SecretsProvider:
        return SecretsManagerStore()

    def make_target(self, tmp_path: Path) -> str:
        return f"c{uuid.uuid4().hex[:12]}/app/"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        found: dict[str, str] = {}
        pages = self.sm.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [target]}])
        for page in pages:
            for entry in page["SecretList"]:
                value = self.sm.get_secret_value(SecretId=entry["Name"])["SecretString"]
                found[entry["Name"][len(target):]] = value
        return found


class TestJsonSecret(AwsContract):
    def make_provider(self) -> SecretsProvider:
        return SecretsManagerStore()

    def make_target(self, tmp_path: Path) -> str:
        return f"c{uuid.uuid4().hex[:12]}/app"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        try:
            text = self.sm.get_secret_value(SecretId=target)["SecretString"]
        except self.sm.exceptions.ResourceNotFoundException:
            return {}
        found = json.loads(text)
        assert isinstance(found, dict)
        return found


# ------------------------------------------------------------------ the store contract


class AwsStoreContract(StoreContract):
    """The engine-level contract, on moto through boto3's standard chain."""

    @pytest.fixture(autouse=True)
    def _on_moto(self, aws_env: dict[str, str]) -> None:
        """Every check runs with boto3 pointed at moto."""


class TestParameterStoreContract(AwsStoreContract):
    tricky_values: ClassVar[Mapping[str, str]] = NON_EMPTY_TRICKY

    def make_store(self) -> SecretStore:
        return ParameterStore()

    def make_location(self, tmp_path: Path) -> str:
        return f"/s{uuid.uuid4().hex[:12]}/app/"


class TestSecretPerKeyContract(AwsStoreContract):
    tricky_values: ClassVar[Mapping[str, str]] = NON_EMPTY_TRICKY

    def make_store(self) -> SecretStore:
        return SecretsManagerStore()

    def make_location(self, tmp_path: Path) -> str:
        return f"s{uuid.uuid4().hex[:12]}/app/"


class TestJsonSecretContract(AwsStoreContract):
    def make_store(self) -> SecretStore:
        return SecretsManagerStore()

    def make_location(self, tmp_path: Path) -> str:
        return f"s{uuid.uuid4().hex[:12]}/app"
