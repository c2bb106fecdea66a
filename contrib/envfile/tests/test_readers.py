"""Files the envfile provider writes are read back exactly by the reference readers.

python-dotenv (default settings, interpolation on) and Node's dotenv read the
target; so does our own parser.  Values cover newlines, both quote kinds,
``#``, ``$``, ``=``, backslashes, unicode, surrounding spaces and empties.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import dotenv as python_dotenv
import pytest

from stagecraft.dotenv import UnwritableValueError, format_value, load
from stagecraft.providers.secrets import Context, SyncOptions
from stagecraft_envfile import PROVIDER

ROOT = Path(__file__).resolve().parents[3]
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"

VALUES = {
    "PLAIN": "sk_live_123",
    "SPACES": "  padded value  ",
    "HASH": "p#ss # not a comment",
    "DOLLAR": "cost $5 and $HOME",
    "EQUALS": "a=b==c",
    "BACKSLASH": r"C:\Users\me\new",
    "SINGLE": "it's",
    "DOUBLE": 'say "hi"',
    "BOTH_QUOTES": "it's \"both\"",
    "UNICODE": "héllo wörld ✓ 秘密",
    "EMPTY": "",
    "PEM": "-----BEGIN KEY-----\nMIIBexample\n-----END KEY-----\n",
    "MULTI_NO_NL": "line one\nline two",
    "TAB": "a\tb",
    "LEADING_QUOTE": "'quoted'",
    "URL": "postgres://u:p@h:5432/db?sslmode=require",
}


def write_with_provider(tmp_path: Path) -> Path:
    source = tmp_path / "src.env"
    lines = []
    for key, value in VALUES.items():
        lines.append(f"{key}={format_value(key, value)}\n")
    source.write_text("".join(lines), encoding="utf-8")
    PROVIDER.sync(Context(cwd=tmp_path), SyncOptions(source="src.env", target="out.env"))
    return tmp_path / "out.env"


def test_our_parser_reads_back_exactly(tmp_path: Path) -> None:
    assert load(write_with_provider(tmp_path)).values() == VALUES


def test_python_dotenv_reads_back_exactly(tmp_path: Path) -> None:
    text = write_with_provider(tmp_path).read_text(encoding="utf-8")
    assert python_dotenv.dotenv_values(stream=io.StringIO(text)) == VALUES


def test_node_dotenv_reads_back_exactly(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is required for the reference-reader tests"
    assert NODE_MODULES.is_dir(), "run `make test` to install tests/node (npm ci)"
    target = write_with_provider(tmp_path)
    script = (
        "const fs=require('fs');const d=require('dotenv');"
        "process.stdout.write(JSON.stringify(d.parse(fs.readFileSync(process.argv[1]))));"
    )
    out = subprocess.run(
        [node, "-e", script, str(target)],
        capture_output=True,
        check=True,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert json.loads(out.stdout) == VALUES


def test_value_no_reader_agrees_on_is_refused() -> None:
    with pytest.raises(UnwritableValueError):
        format_value("BOTH", "line1\nit's \"x\"")
