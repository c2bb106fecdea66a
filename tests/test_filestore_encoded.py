"""A file store whose file holds its format encoded: FileStore's decode and encode hooks.

The toy store keeps an env file base64-encoded on disk.  The store
contract runs it through the engine, and the checks below show that the
decoded text is only ever in memory and that a failing encode writes nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from stagecraft.errors import UserError
from stagecraft.providers.secrets import Context, Registry, SyncOptions
from stagecraft.store import SecretStore
from stagecraft.testing import StoreContract, write_env_file
from stagecraft_envfile import EnvfileStore


class Base64EnvStore(EnvfileStore):
    id = "b64env"

    def decode(self, ctx: Context, path: Path, data: bytes) -> bytes:
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error:
            raise UserError(f"{path}: not base64") from None

    def encode(self, ctx: Context, path: Path, data: bytes) -> bytes:
        return base64.b64encode(data)


class TestBase64EnvStore(StoreContract):
    tricky_values: ClassVar[Mapping[str, str]] = {
        key: value for key, value in StoreContract.tricky_values.items()
        if key not in {"TRICKY_BOTH_QUOTES", "TRICKY_DOLLAR_BRACE"}
    }

    def make_store(self) -> SecretStore:
        return Base64EnvStore()

    def make_location(self, tmp_path: Path) -> str:
        return str(tmp_path / "target.b64")


def sync(tmp_path: Path, store: SecretStore, **options: object) -> None:
    ctx = Context(cwd=tmp_path, registry=Registry([store]))
    store.sync(ctx, SyncOptions(source="src.env", target="out.b64", **options))


def test_the_file_holds_only_the_encoded_form(tmp_path: Path) -> None:
    (tmp_path / "out.b64").write_bytes(base64.b64encode(b"# kept\nA=old\n"))
    write_env_file(tmp_path / "src.env", {"A": "new-canary", "B": "2"})
    sync(tmp_path, Base64EnvStore())
    data = (tmp_path / "out.b64").read_bytes()
    assert b"canary" not in data
    assert base64.b64decode(data) == b"# kept\nA=new-canary\nB=2\n"


def test_a_failing_encode_writes_nothing(tmp_path: Path) -> None:
    class Refusing(Base64EnvStore):
        def encode(self, ctx: Context, path: Path, data: bytes) -> bytes:
            raise UserError(f"{path}: cannot encode")

    before = base64.b64encode(b"A=old\n")
    (tmp_path / "out.b64").write_bytes(before)
    write_env_file(tmp_path / "src.env", {"A": "new"})
    with pytest.raises(UserError, match="cannot encode"):
        sync(tmp_path, Refusing())
    assert (tmp_path / "out.b64").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.b64", "src.env"]


def test_a_file_that_does_not_decode_is_named_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "out.b64").write_bytes(b"A=plain text\n")
    write_env_file(tmp_path / "src.env", {"A": "new"})
    with pytest.raises(UserError, match=r"out\.b64: not base64"):
        sync(tmp_path, Base64EnvStore())
    with pytest.raises(UserError, match=r"out\.b64: not base64"):
        sync(tmp_path, Base64EnvStore(), dry_run=True)
    assert (tmp_path / "out.b64").read_bytes() == b"A=plain text\n"
