"""The encore provider's config class."""

from __future__ import annotations

import attrs
import cattrs
import pytest

from stagecraft.errors import ConfigError
from stagecraft_encore.config import Config, InvalidConfigError


def test_defaults() -> None:
    config = Config()
    assert config.source_file is None
    assert config.app_root is None
    assert config.types == []
    assert config.envs == []
    assert config.encore_bin == "encore"
    assert config.concurrency == 8


def test_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Config().concurrency = 2  # type: ignore[misc]


def test_cattrs_structures_a_yaml_section() -> None:
    config = cattrs.structure(
        {"source_file": ".env.local", "types": ["dev", "local"], "concurrency": 3}, Config
    )
    assert config == Config(source_file=".env.local", types=["dev", "local"], concurrency=3)


@pytest.mark.parametrize("value", [0, -1, True])
def test_concurrency_must_be_positive(value: int) -> None:
    with pytest.raises(InvalidConfigError, match=r"concurrency must be an integer >= 1"):
        Config(concurrency=value)


def test_unknown_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown environment type 'stage'"):
        Config(types=["dev", "stage"])


def test_bad_env_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"invalid environment name 'a,b'"):
        Config(envs=["a,b"])


def test_cattrs_reports_validator_errors() -> None:
    with pytest.raises(cattrs.BaseValidationError) as info:
        cattrs.structure({"concurrency": 0}, Config)
    assert any(isinstance(exc, InvalidConfigError) for exc in info.value.exceptions)


def test_the_engine_structures_raw_options_with_the_core_converter() -> None:
    """Options built by hand may carry a mapping; the engine structures it, strictly."""
    from stagecraft.providers.secrets import Context
    from stagecraft_encore.provider import EncoreStore

    ctx, store = Context(), EncoreStore()
    assert store.config_for(ctx) == Config()
    config = Config(concurrency=2)
    assert store.config_for(ctx, config) is config
    assert store.config_for(ctx, {"concurrency": 2, "types": ["pr"]}) == Config(
        concurrency=2, types=["pr"]
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"concurrency": 0}, "concurrency must be an integer >= 1"),
        ({"concurrency": "many"}, "expected an integer"),
        ({"concurrency": True}, "expected an integer"),
        ("encore", "expected a mapping"),
    ],
)
def test_raw_options_errors(value: object, fragment: str) -> None:
    from stagecraft.providers.secrets import Context
    from stagecraft_encore.provider import EncoreStore

    with pytest.raises(ConfigError) as info:
        EncoreStore().config_for(Context(), value)
    assert fragment in str(info.value)
    assert "secrets.providers.encore" in str(info.value)
