"""Loading a stagecraft.yml written from a test's text, and the error it gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagecraft import config
from stagecraft.config import ConfigFileError


def load_text(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "stagecraft.yml"
    path.write_text(text)
    return config.load(path, cwd=tmp_path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigFileError) as info:
        load_text(tmp_path, text)
    return str(info.value)
