"""Files the envfile store writes are read back exactly by the readers its config names.

A sync from a source file into a target runs with each ``readers`` setting;
the target is then read by the real programs of that setting (python-dotenv
with interpolation on and off, Node's dotenv, bash and dash with ``set -a``,
dotenv-expand and @next/env) and by Stagecraft.  Values cover newlines, both
quote kinds, ``#``, ``$``, ``=``, backslashes, unicode, surrounding spaces
and empties; a value the setting cannot carry fails the sync by key and reason.
"""

from __future__ import annotations

from pathlib import Path

import envfile_readers as readers
import pytest

from stagecraft.dotenv import load
from stagecraft.engine import RefusedValuesError
from stagecraft.providers.secrets import Context, SyncOptions
from stagecraft.testing import write_env_file
from stagecraft_envfile import EnvfileStore
from stagecraft_envfile.config import Config

#: The store these tests drive (the plugin builds its own in the hook).
PROVIDER = EnvfileStore()

VALUES = {
    "PLAIN": "sk_live_123",
    "SPACES": "  padded value  ",
    "HASH": "p#ss # not a comment",
    "DOLLAR": "cost $5 and $HOME",
    "BCRYPT": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
    "EQUALS": "a=b==c",
    "BACKSLASH": r"C:\Users\me\new",
    "SINGLE": "it's",
    "DOUBLE": 'say "hi"',
    "UNICODE": "héllo wörld ✓ 秘密",
    "EMPTY": "",
    "PEM": "-----BEGIN KEY-----\nMIIBexample\n-----END KEY-----\n",
    "MULTI_NO_NL": "line one\nline two",
    "TAB": "a\tb",
    "LEADING_QUOTE": "'quoted'",
    "URL": "postgres://u:p@h:5432/db?sslmode=require",
    "OPEN_BRACE": "a${b",
}

#: Values some settings cannot carry.
HARD = {
    "QUOTE_DOLLAR": "it's $HOME",
    "BOTH_LINES": "it's\n\"x\"",
    "COMMAND": "$(whoami)",
    "CR": "a\rb",
}

#: For each setting, the values of HARD it cannot carry, with a word of the reason.
SETTINGS: dict[str, tuple[list[str], dict[str, str]]] = {
    "default": (
        ["python-dotenv", "node-dotenv", "docker-compose"],
        {"QUOTE_DOLLAR": "no single spelling", "BOTH_LINES": "no escape for quotes"},
    ),
    "shell": (
        ["shell"],
        {"QUOTE_DOLLAR": "a shell expands '$'", "CR": "carriage return"},
    ),
    "dotenv-expand": (
        ["dotenv-expand"],
        {"BOTH_LINES": "no escape for quotes", "COMMAND": "runs '$(...)' as a command"},
    ),
    "shell+dotenv-expand": (
        ["shell", "dotenv-expand"],
        {"BOTH_LINES": "no escape", "COMMAND": "as a command", "CR": "carriage return"},
    ),
}


def sync(tmp_path: Path, names: list[str], values: dict[str, str]) -> Path:
    write_env_file(tmp_path / "src.env", values)
    options = SyncOptions(source="src.env", target="out.env", config=Config(readers=names))
    PROVIDER.sync(Context(cwd=tmp_path), options)
    return tmp_path / "out.env"


def real_readings(names: list[str], target: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    if "python-dotenv" in names:
        for flag in (True, False):
            out[f"python-dotenv({flag})"] = readers.python_dotenv(target, interpolate=flag)
    if "node-dotenv" in names:
        out["node"] = readers.node("dotenv", [target], target.parent)[0]
    if "dotenv-expand" in names:
        out["dotenv-expand"] = readers.node("expand", [target], target.parent)[0]
        folder = target.parent / "next"
        folder.mkdir()
        (folder / ".env").write_bytes(target.read_bytes())
        out["@next/env"] = readers.node("next", [folder], target.parent)[0]
    if "shell" in names:
        (target.parent / "empty.env").write_text("")
        for program in ("bash", "dash"):
            base, env = readers.shell(program, ["empty.env", target.name], target.parent)
            assert base is not None, program
            assert env is not None, program
            out[program] = {k: v for k, v in env.items() if k not in base}
    return out


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_every_reader_of_the_setting_reads_back_exactly(setting: str, tmp_path: Path) -> None:
    names, unwritable = SETTINGS[setting]
    values = {**VALUES, **{key: value for key, value in HARD.items() if key not in unwritable}}
    target = sync(tmp_path, names, values)
    assert load(target, readers=Config(readers=names).reader_set).values() == values
    readings = real_readings(names, target)
    assert readings
    for reader, got in readings.items():
        assert got == values, reader


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_values_the_setting_cannot_carry_fail_by_key(setting: str, tmp_path: Path) -> None:
    names, unwritable = SETTINGS[setting]
    for key, reason in unwritable.items():
        with pytest.raises(RefusedValuesError) as info:
            sync(tmp_path, names, {"PLAIN": "x", key: HARD[key]})
        message = str(info.value)
        assert f"refusing 1 key(s), nothing was written: {key}: " in message
        assert reason in message
        assert HARD[key] not in message
        assert not (tmp_path / "out.env").exists()


def test_no_dollar_value_serves_plain_node_and_dotenv_expand(tmp_path: Path) -> None:
    with pytest.raises(RefusedValuesError) as info:
        sync(tmp_path, ["node-dotenv", "dotenv-expand"], {"BCRYPT": VALUES["BCRYPT"]})
    assert "BCRYPT: dotenv-expand, node-dotenv can each read it back" in str(info.value)
    assert "no single spelling" in str(info.value)
    assert "'\\$'" in str(info.value)


def test_digit_first_keys_sync_for_the_dotenv_readers_not_for_a_shell(tmp_path: Path) -> None:
    target = sync(tmp_path, ["python-dotenv", "node-dotenv", "docker-compose"], {"1ST_KEY": "one"})
    assert target.read_text() == "1ST_KEY=one\n"
    assert readers.python_dotenv(target, interpolate=True) == {"1ST_KEY": "one"}
    assert readers.node("dotenv", [target], tmp_path) == [{"1ST_KEY": "one"}]
    target.unlink()
    with pytest.raises(RefusedValuesError) as info:
        sync(tmp_path, ["shell"], {"1ST_KEY": "one"})
    assert "1ST_KEY: a shell cannot assign it" in str(info.value)
    assert not target.exists()
