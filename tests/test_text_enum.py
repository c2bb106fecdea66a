"""The enumerations users read (sync actions, plugin states and kinds) print as their text."""

from __future__ import annotations

import json

import pytest

from stagecraft.plugins import Kind, Status
from stagecraft.providers.secrets import Action
from stagecraft.text_enum import TextEnum


@pytest.mark.parametrize(
    ("member", "text"),
    [(Action.ADDED, "added"), (Action.REMOVED, "removed"), (Status.FAILED, "failed"),
     (Kind.ENTRY_POINT, "entry point")],
)
def test_a_member_is_its_text_everywhere_it_is_shown(member: TextEnum, text: str) -> None:
    assert isinstance(member, TextEnum)
    assert member == text
    assert str(member) == text
    assert f"{member}" == text
    assert f"{member:>12}" == f"{text:>12}"
    assert json.dumps({"action": member}) == json.dumps({"action": text})
    assert type(member)(text) is member
