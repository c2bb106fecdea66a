"""Values Stagecraft writes are read back exactly by python-dotenv, Node's dotenv and us.

Node runs once per test (a batch of files on stdin), never once per value.
docker compose cannot run here; its rules come from the reference table and are
checked through the model in stagecraft.dotenv.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stagecraft import dotenv
from stagecraft.dotenv import ALL_READERS, Reader, UnwritableValueError

NODE_MODULES = Path(__file__).parent / "node" / "node_modules"
NODE_SCRIPT = """
const dotenv = require('dotenv');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const files = JSON.parse(input);
  process.stdout.write(JSON.stringify(files.map((f) => dotenv.parse(Buffer.from(f, 'utf8')))));
});
"""
CANARY = "canary-s3cr3t-91c2"


def node_parse(files: list[str]) -> list[dict[str, str]]:
    """Parse every file with Node's dotenv in one subprocess."""
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    done = subprocess.run(
        ["node", "-e", NODE_SCRIPT],
        input=json.dumps(files),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    result: list[dict[str, str]] = json.loads(done.stdout)
    assert len(result) == len(files)
    return result


def python_dotenv_parse(text: str) -> dict[str, str | None]:
    """python-dotenv with default settings (interpolation on), no OS variables leaking in."""
    return dict(dotenv_values(stream=io.StringIO(text)))


HAND_PICKED = [
    "",
    "plain",
    "two words",
    " leading",
    "trailing ",
    "\ttab\t",
    "a#b",
    "#start",
    "a #b",
    "$HOME",
    "$$",
    "a$b",
    "${X",
    "}${",
    "=",
    "a=b=c",
    "it's",
    'say "hi"',
    "'quoted'",
    '"dq"',
    "`tick`",
    "C:\\new\\table",
    "ends\\",
    "\\",
    "\\\\",
    "a\\\\b",
    "a\\'b",
    'a\\"b',
    "line1\nline2",
    "line1\r\nline2",
    "cr\ronly",
    "\n",
    "\nlead",
    "trail\n",
    "-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----\n",
    "multi\nit's",
    'multi\n"dq"',
    "caf\u00e9 \u2603 \U0001f600",
    "\u00a0nbsp\u00a0",
    "line\u2028sep",
    "\x0bvt",
    "a\\nb",
    "a\\rb",
    "back\\tslash",
    "x\n\\n",
    "\\$",
    "#",
    "'",
    '"',
    "'\"",
    "$'\"",
]

ALPHABET = "aZ0 \t\n\r#${}'\"`\\=:n\u00e9\u00a0\u2603"


def random_values(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 7))) for _ in range(count)]


CORPUS = HAND_PICKED + random_values(600, seed=20240601)


def written_forms(
    values: list[str], readers: frozenset[Reader]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(value, form) for each writable value, and the refused values."""
    written, refused = [], []
    for value in values:
        try:
            written.append((value, dotenv.format_value("KEY", value, readers)))
        except UnwritableValueError:
            refused.append(value)
    return written, refused


def assignment_file(pairs: list[tuple[str, str]]) -> str:
    """Each written value as its own key, separated by lines that punish swallowing."""
    parts = []
    for index, (_, form) in enumerate(pairs):
        parts.append(f"K{index}={form}\n# comment ' \" `\nSEP{index}=sep\n")
    return "".join(parts)


def test_corpus_is_read_back_by_python_dotenv_node_and_us() -> None:
    written, refused = written_forms(CORPUS, ALL_READERS)
    assert len(written) > len(CORPUS) // 2  # most values are writable for all three
    text = assignment_file(written)
    expected = {f"K{i}": value for i, (value, _) in enumerate(written)}
    seps = {f"SEP{i}": "sep" for i in range(len(written))}

    ours = dotenv.parse(text).values()
    pyd = python_dotenv_parse(text)
    (node,) = node_parse([text])
    for reader_values in (ours, pyd, node):
        assert {k: v for k, v in reader_values.items() if k.startswith("K")} == expected
        assert {k: v for k, v in reader_values.items() if k.startswith("SEP")} == seps

    # the refusals are the values the reference calls impossible, not more
    for value in refused:
        assert (
            "${" in value
            or ("'" in value and '"' in value)
            or "\\" in value
            or ("$" in value and "'" in value)
            # a CR only survives as \r in "...", where Node keeps \" and compose expands $
            or ("\r" in value and ('"' in value or "$" in value))
        ), value


def test_each_value_alone_in_its_own_file() -> None:
    written, _ = written_forms(HAND_PICKED, ALL_READERS)
    files = [f"KEY={form}" for _, form in written] + [f"KEY={form}\n" for _, form in written]
    node = node_parse(files)
    for (value, _), text, node_values in zip(written * 2, files, node, strict=True):
        assert dotenv.parse(text).values() == {"KEY": value}
        assert python_dotenv_parse(text) == {"KEY": value}
        assert node_values == {"KEY": value}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("${HOME}", "'${'"),
        ("a${b", "'${'"),
        ("multi\n'\"", "both quote kinds"),
        ("x\r'\"", "both quote kinds"),
        ("x #\\", "ends with a backslash"),
        ("nul\x00byte", "NUL"),
    ],
)
def test_unwritable_values_are_refused_with_key_and_reason(value: str, reason: str) -> None:
    secret = CANARY + value
    with pytest.raises(UnwritableValueError) as info:
        dotenv.format_value("DB_PASSWORD", secret)
    message = str(info.value)
    assert info.value.key == "DB_PASSWORD"
    assert reason in info.value.reason
    assert "DB_PASSWORD" in message
    assert info.value.reason in message
    assert CANARY not in message
    assert CANARY not in repr(info.value)


def test_narrowing_readers_widens_what_can_be_written() -> None:
    cases = {
        # value: (readers that can carry it, and we can run to check)
        "${HOME}": [Reader.NODE_DOTENV],
        "multi\n'\"": [Reader.PYTHON_DOTENV],
        "$x'y\n": [Reader.PYTHON_DOTENV, Reader.NODE_DOTENV],
    }
    texts, expected = [], []
    for value, readers in cases.items():
        with pytest.raises(UnwritableValueError):
            dotenv.format_value("K", value)
        form = dotenv.format_value("K", value, readers)
        text = f"K={form}\nAFTER=1\n"
        assert dotenv.parse(text).values() == {"K": value, "AFTER": "1"}
        if Reader.PYTHON_DOTENV in readers:
            assert python_dotenv_parse(text) == {"K": value, "AFTER": "1"}
        texts.append(text)
        expected.append(Reader.NODE_DOTENV in readers)
    for text, check, node_values in zip(texts, expected, node_parse(texts), strict=True):
        if check:
            assert node_values == dotenv.parse(text).values()


def test_compose_only_values_use_documented_compose_escapes() -> None:
    compose = [Reader.DOCKER_COMPOSE]
    assert dotenv.format_value("K", "$HOME", compose) == "'$HOME'"
    assert dotenv.format_value("K", "a'b$c", compose) == "'a\\'b$c'"
    # compose alone would read "\\$", but this parser keeps it as written
    with pytest.raises(UnwritableValueError):
        dotenv.format_value("K", "a'$\r", compose)
    assert dotenv.format_value("K", "l1\nl2 $x", compose) == "'l1\nl2 $x'"
    # ending in a backslash: compose would skip the closing quote
    with pytest.raises(UnwritableValueError, match="ends with a backslash"):
        dotenv.format_value("K", "$\\", compose)


def test_plain_form_is_used_when_safe() -> None:
    for value in ["abc", "two words", "a=b", "C:\\path", "it's", "caf\u00e9", "ends\\", ""]:
        assert dotenv.format_value("K", value) == value
    assert dotenv.format_value("K", "a#b") == "'a#b'"
    assert dotenv.format_value("K", "$X") == "'$X'"
    assert dotenv.format_value("K", "l1\nl2") == '"l1\\nl2"'
    assert dotenv.format_value("K", "it's\n") == '"it\'s\\n"'


SAFE_CHARS = "".join(chr(c) for c in range(128) if dotenv._PLAIN_SAFE.fullmatch(chr(c)))


def test_plain_safe_values_are_read_back_by_every_model_and_reader() -> None:
    """The shortcut in format_value skips the models only where they would say plain."""
    assert set("abcXYZ019_-./:+=") <= set(SAFE_CHARS)
    assert not set(" \t\"'`#$\\\r\n") & set(SAFE_CHARS)
    rng = random.Random(7)
    values = list(SAFE_CHARS) + [c * 3 for c in SAFE_CHARS] + [
        "".join(rng.choices(SAFE_CHARS, k=rng.randint(1, 40))) for _ in range(300)
    ]
    for value in values:
        assert dotenv._read_ours(value) == value, value
        for reader, model in dotenv._MODELS.items():
            assert model(value) == value, (reader, value)
        assert dotenv.format_value("K", value) == value
    text = assignment_file([(value, value) for value in values])
    expected = {f"K{i}": value for i, value in enumerate(values)}
    (node,) = node_parse([text])
    for reader_values in (python_dotenv_parse(text), node):
        assert {k: v for k, v in reader_values.items() if k.startswith("K")} == expected


def test_models_agree_with_the_real_readers() -> None:
    """Whenever a reader model accepts a form, the real reader reads the same value."""
    forms = sorted({form for value in CORPUS for form in dotenv._candidates(value)})
    files = [f"K={form}\nNEXT=1\n" for form in forms]
    node = node_parse(files)
    for form, text, node_values in zip(forms, files, node, strict=True):
        modelled = dotenv._read_python_dotenv(form)
        if modelled is not None:
            assert python_dotenv_parse(text) == {"K": modelled, "NEXT": "1"}, form
        modelled = dotenv._read_node_dotenv(form)
        if modelled is not None:
            assert node_values == {"K": modelled, "NEXT": "1"}, form


# --------------------------------------------------------------------- properties

KEYS = st.from_regex(r"[A-Za-z_.][A-Za-z0-9_.-]{0,12}", fullmatch=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, st.text(max_size=30), max_size=8))
def test_written_documents_read_back_equal(data: dict[str, str]) -> None:
    doc = dotenv.new_document()
    expected = {}
    for key, value in data.items():
        try:
            doc.set(key, value)
        except UnwritableValueError as exc:
            refused_key = exc.key
            assert refused_key == key
            continue
        expected[key] = value
    text = doc.to_bytes().decode("utf-8")
    assert dotenv.parse(text).values() == expected
    assert python_dotenv_parse(text) == expected


PLAIN = st.from_regex(
    r"[A-Za-z0-9_./:@+-]([A-Za-z0-9_./:@+ -]{0,8}[A-Za-z0-9_./:@+-])?", fullmatch=True
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    kinds = st.sampled_from(["plain", "single", "double", "multi", "comment", "blank", "keyonly"])
    lines, keys = [], []
    for kind in draw(st.lists(kinds, min_size=1, max_size=12)):
        key = draw(KEYS)
        prefix = draw(st.sampled_from(["", "export ", "  ", "\t"]))
        space = draw(st.sampled_from(["", " "]))
        value = draw(PLAIN)
        if kind == "plain":
            lines.append(f"{prefix}{key}{space}={space}{value}")
        elif kind == "single":
            lines.append(f"{prefix}{key}='{value} # x' # note")
        elif kind == "double":
            lines.append(f'{prefix}{key}="{value}\\n\\t"')
        elif kind == "multi":
            lines.append(f'{prefix}{key}="{value}{newline}{value}{newline}"')
        elif kind == "comment":
            lines.append(f"{prefix}# {value}")
        elif kind == "blank":
            lines.append(space)
        else:
            lines.append(f"{prefix}{key}")
            continue
        if kind in ("plain", "single", "double", "multi"):
            keys.append(key)
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text).encode("utf-8"), keys


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_editing_one_key_leaves_every_other_line_identical(
    document: tuple[bytes, list[str]], data: st.DataObject
) -> None:
    raw, keys = document
    doc = dotenv.parse(raw)
    assert doc.to_bytes() == raw
    assert set(doc.keys()) == set(keys)
    if not keys:
        return
    key = data.draw(st.sampled_from(keys))
    new_value = data.draw(st.text(max_size=20))
    text = raw.decode("utf-8")
    body = text.removeprefix("\ufeff")
    # the last assignment of the key: only its value and comment may change
    _start, vstart, vend, end = dotenv._parse_full(body, "x", locate={key}).spans[key][-1]
    line_end = vend + len(body[vend:end].rstrip("\r\n"))
    try:
        changed = doc.set(key, new_value)
    except UnwritableValueError:
        assert doc.to_bytes() == raw
        return
    out = doc.render()
    if not changed:
        assert out == text
        return
    kept_before = text[: len(text) - len(body) + vstart]
    kept_after = body[line_end:]
    assert out.startswith(kept_before)
    assert out.endswith(kept_after)
    assert len(out) >= len(kept_before) + len(kept_after)
    reread = dotenv.parse(doc.to_bytes())
    expected = dotenv.parse(raw).values()
    expected[key] = new_value
    assert reread.values() == expected
    assert doc.to_bytes().startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")


def test_no_value_leaks_into_errors_or_reprs() -> None:
    doc = dotenv.parse(f"A={CANARY}\n")
    assert CANARY not in repr(doc)
    for bad in [f"A='{CANARY}", f'A="{CANARY}" x', f"A='{CANARY}' {CANARY}"]:
        with pytest.raises(dotenv.DotenvError) as info:
            dotenv.parse(bad)
        assert CANARY not in str(info.value)
    assert re.search(CANARY, repr(dotenv.parse(f"B='{CANARY}'\n"))) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_fast_path_reads_what_the_full_parser_reads(document: tuple[bytes, list[str]]) -> None:
    """The one-findall fast path either declines or agrees with the full parser exactly."""
    raw, _keys = document
    body = raw.decode("utf-8").removeprefix("\ufeff")
    fast = dotenv._parse_fast(body)
    full = dotenv._parse_full(body, "x")
    if fast is not None:
        assert fast == full.values
        assert list(fast) == list(full.values)
        assert not full.warnings
    every_key = set(full.values)
    assert dotenv._locate(body, "x", every_key) == (
        dotenv._parse_full(body, "x", locate=every_key).spans
    )
