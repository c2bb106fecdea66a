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
from typing import Any

import envfile_corpus
import envfile_readers
import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stagecraft import dotenv
from stagecraft.dotenv import ALL_READERS, Reader, UnwritableValueError, writer
from stagecraft.dotenv.fast_parse import locate, parse_fast
from stagecraft.dotenv.full_parse import parse_full
from stagecraft.dotenv.readers.docker_compose import read_docker_compose
from stagecraft.dotenv.readers.shell import read_shell

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
        ("${HOME}", "expands '${...}'"),
        ("a${b:-x}c", "expands '${...}'"),
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


def test_compose_model_follows_the_observed_facts() -> None:
    """compose-go v2.13.0 as observed: see dotenv-compat.md, "More facts"."""
    model = read_docker_compose
    # '$' before anything but a name character or '{' stays; $$ is one '$'
    assert [model(f) for f in ("a$", "$'x", "$ $", "$$", "$$HOME")] == [
        "a$", "$'x", "$ $", "$", "$HOME"]
    assert model("$HOME") is None
    assert model("${X") is None
    assert model("$1") is None
    assert model('"$HOME"') is None
    assert model("'$HOME'") == "$HOME"
    # unknown escapes in double quotes are kept; known ones decoded; unsure ones refused
    assert model('"a\\_b\\{\\}\\q"') == "a\\_b\\{\\}\\q"
    assert model('"\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\$"') == '\a\b\f\n\r\t\v\\"$'
    assert model('"\\0101"') is None
    assert model('"\\x41"') is None
    # single quotes: literal except \' ; an ending backslash escapes the quote
    assert model("'a\\\\b\\'c'") == "a\\\\b'c"
    assert model("'ab\\'") is None
    # unquoted: " #" starts a comment, a tab before '#' does not; unicode spaces trimmed
    assert model("x #c") == "x"
    assert model("x\t#c") == "x\t#c"
    assert model("x\u3000") == "x"
    compose = [Reader.DOCKER_COMPOSE]
    assert dotenv.format_value("K", "$HOME", compose) == "'$HOME'"
    assert dotenv.format_value("K", "a'b$c", compose) == "'a\\'b$c'"
    # compose alone would read "\\$" in double quotes, but this parser keeps it
    with pytest.raises(UnwritableValueError):
        dotenv.format_value("K", "a'$x\r", compose)
    assert dotenv.format_value("K", "l1\nl2 $x", compose) == "'l1\nl2 $x'"
    with pytest.raises(UnwritableValueError, match="ends with a backslash"):
        dotenv.format_value("K", "$x\\", compose)


def test_plain_form_is_used_when_safe() -> None:
    for value in ["abc", "two words", "a=b", "C:\\path", "it's", "caf\u00e9", "ends\\", ""]:
        assert dotenv.format_value("K", value) == value
    assert dotenv.format_value("K", "a#b") == "'a#b'"
    assert dotenv.format_value("K", "$X") == "'$X'"
    assert dotenv.format_value("K", "l1\nl2") == '"l1\\nl2"'
    assert dotenv.format_value("K", "it's\n") == '"it\'s\\n"'


SAFE_CHARS = "".join(chr(c) for c in range(128) if writer._PLAIN_SAFE.fullmatch(chr(c)))


def test_plain_safe_values_are_read_back_by_every_model_and_reader() -> None:
    """The shortcut in format_value skips the models only where they would say plain."""
    assert set("abcXYZ019_-./:+=") <= set(SAFE_CHARS)
    assert not set(" \t\"'`#$\\\r\n") & set(SAFE_CHARS)
    rng = random.Random(7)
    values = list(SAFE_CHARS) + [c * 3 for c in SAFE_CHARS] + [
        "".join(rng.choices(SAFE_CHARS, k=rng.randint(1, 40))) for _ in range(300)
    ]
    for value in values:
        assert writer._read_ours(value) == value, value
        for reader in dotenv.DEFAULT_READERS | {Reader.DOTENV_EXPAND}:
            assert writer._MODELS[reader](value) == value, (reader, value)
        assert dotenv.format_value("K", value) == value
        shell_safe = writer._SHELL_PLAIN_SAFE.fullmatch(value) is not None
        assert (read_shell(value) == value) == shell_safe, value
    text = assignment_file([(value, value) for value in values])
    expected = {f"K{i}": value for i, value in enumerate(values)}
    (node,) = node_parse([text])
    for reader_values in (python_dotenv_parse(text), node):
        assert {k: v for k, v in reader_values.items() if k.startswith("K")} == expected


def _real_readings(reader: Reader, paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """What the real programs standing for ``reader`` read from each of ``paths``."""
    folder = paths[0].parent
    if reader is Reader.PYTHON_DOTENV:
        return {
            f"python-dotenv(interpolate={flag})": [
                envfile_readers.python_dotenv(path, interpolate=flag) for path in paths
            ]
            for flag in (True, False)
        }
    if reader is Reader.NODE_DOTENV:
        return {"node dotenv": envfile_readers.node("dotenv", paths, folder)}
    if reader is Reader.DOTENV_EXPAND:
        dirs = []
        for path in paths:
            (folder / path.stem).mkdir()
            (folder / path.stem / ".env").write_bytes(path.read_bytes())
            dirs.append(folder / path.stem)
        return {
            "dotenv-expand": envfile_readers.node("expand", paths, folder),
            "@next/env": envfile_readers.node("next", dirs, folder),
        }
    assert reader is Reader.SHELL
    (folder / "empty.env").write_text("")
    out = {}
    for program in ("bash", "dash"):
        baseline, *envs = envfile_readers.shell(
            program, ["empty.env", *(path.name for path in paths)], folder
        )
        assert baseline is not None, program
        assert all(env is not None for env in envs), program
        out[program] = [
            {k: v for k, v in env.items() if k not in baseline} for env in envs if env
        ]
    return out


@pytest.mark.parametrize(
    "reader", sorted(set(Reader) - {Reader.DOCKER_COMPOSE}), ids=lambda reader: reader.value
)
def test_models_agree_with_the_real_readers(reader: Reader, tmp_path: Path) -> None:
    """Whenever a reader model accepts a form, the real reader reads the same value.

    Every candidate form of both corpora that the model accepts goes into one
    file (with a neighbour line after each), read once by each real program.
    """
    values = list(dict.fromkeys(CORPUS + envfile_corpus.CORPUS))
    forms = sorted(
        {
            form
            for value in values
            for readers in (dotenv.DEFAULT_READERS, {Reader.DOTENV_EXPAND})
            for form in writer._candidates(value, readers)
        }
    )
    model = writer._MODELS[reader]
    accepted = [(form, read) for form in forms if (read := model(form)) is not None]
    assert len(accepted) > len(values)  # the model accepts a form of most values
    # Files of 200 forms: dotenv-expand's work grows with the square of a file's keys.
    paths, expected = [], []
    for start in range(0, len(accepted), 200):
        chunk = list(enumerate(accepted))[start : start + 200]
        path = tmp_path / f"forms{start:05}.env"
        path.write_text(
            "".join(f"K{i}={form}\nN{i}=1\n" for i, (form, _) in chunk),
            encoding="utf-8",
            newline="",
        )
        paths.append(path)
        want = {}
        for i, (_, read) in chunk:
            want[f"K{i}"] = read
            want[f"N{i}"] = "1"
        expected.append(want)
    for name, results in _real_readings(reader, paths).items():
        assert len(results) == len(expected), name
        for want, got in zip(expected, results, strict=True):
            wrong = sorted(k for k in want if got.get(k) != want[k])
            assert not wrong, (name, [accepted[int(k[1:])][0] for k in wrong[:5]])
            assert got == want, name
    assert not list(tmp_path.glob("ran-*"))


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
    _start, vstart, vend, end = parse_full(body, "x", locate={key}).spans[key][-1]
    line_end = vend + len(body[vend:end].rstrip("\r\n"))
    # lone-CR files are written only for the readers that take a CR as a line end
    readers = {Reader.PYTHON_DOTENV, Reader.NODE_DOTENV} if "\r" in text else ALL_READERS
    try:
        changed = doc.set(key, new_value, readers=readers)
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
    fast = parse_fast(body)
    full = parse_full(body, "x")
    if fast is not None:
        assert fast == full.values
        assert list(fast) == list(full.values)
        assert not full.warnings
    every_key = set(full.values)
    assert locate(body, "x", every_key) == (
        parse_full(body, "x", locate=every_key).spans
    )
