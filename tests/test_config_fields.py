"""The validators of config fields several stores share, and how their errors are reported."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from stagecraft.config.converter import structure_plain
from stagecraft.config_fields import (
    at_least,
    concurrency,
    non_empty_name,
    non_negative_seconds,
    positive_seconds,
)
from stagecraft.errors import ConfigError, ConfigFileError, InvalidConfigError


@attrs.frozen
class StoreConfig:
    concurrency: int = attrs.field(default=4, validator=concurrency)
    timeout: float = attrs.field(default=30.0, validator=positive_seconds)
    min_interval: float = attrs.field(default=0.0, validator=non_negative_seconds)
    batch: int = attrs.field(default=100, validator=at_least(10))
    profile: str | None = attrs.field(default=None, validator=non_empty_name)


def test_valid_values_pass() -> None:
    config = StoreConfig(concurrency=1, timeout=0.5, min_interval=0, batch=10, profile="prod")
    assert (config.concurrency, config.timeout, config.batch) == (1, 0.5, 10)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("concurrency", 0, "concurrency must be an integer >= 1, not 0"),
        ("concurrency", True, "concurrency must be an integer >= 1, not True"),
        ("concurrency", 2.5, "concurrency must be an integer >= 1, not 2.5"),
        ("timeout", 0, "timeout must be a number of seconds > 0, not 0"),
        ("timeout", False, "timeout must be a number of seconds > 0, not False"),
        ("min_interval", -1, "min_interval must be a number of seconds >= 0, not -1"),
        ("batch", 9, "batch must be an integer >= 10, not 9"),
        ("profile", "  ", "profile must be a non-empty string when given"),
    ],
)
def test_invalid_values_name_the_field(field: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidConfigError) as info:
        StoreConfig(**{field: value})
    assert str(info.value) == message
    assert isinstance(info.value, ConfigError)
    assert isinstance(info.value, ValueError)
    assert info.value.composed  # the core wrote it: shown unmasked


def test_the_converter_reports_the_section_path() -> None:
    with pytest.raises(ConfigFileError) as info:
        structure_plain({"concurrency": 0}, StoreConfig, "mystore")
    assert "secrets.providers.mystore" in str(info.value)
    assert "concurrency must be an integer >= 1, not 0" in str(info.value)
