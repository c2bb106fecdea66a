"""The .env document model: reading rules, errors, warnings, lossless edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stagecraft import dotenv
from stagecraft.dotenv import DotenvError, Reader, UnwritableValueError
from stagecraft.dotenv.fast_parse import locate, parse_fast
from stagecraft.dotenv.full_parse import parse_full
from stagecraft.errors import UserError
from stagecraft.files import FileReadError

CANARY = "canary-s3cr3t-7f3a"

CORPUS: dict[str, bytes] = {
    "lf": b"A=1\nB=two words\n",
    "crlf": b"A=1\r\nB=2\r\n# c\r\n\r\nC='x'\r\n",
    "lone-cr": b"A=1\rB=2\r",
    "mixed": b"A=1\r\nB=2\nC=3\rD=4",
    "bom": b"\xef\xbb\xbfA=1\nB=2\n",
    "no-final-newline": b"A=1\nB=2",
    "comments": b'# header\n\n  # indented\nA=1 # inline\nB="x" # after quote\n',
    "export": b"export A=1\nexport\tB=2\nexportC=3\nexport=4\n",
    "pem": (
        b'KEY="-----BEGIN KEY-----\nMIIB\nabc=\n-----END KEY-----"\n'
        b"K2='-----BEGIN KEY-----\r\nMIIB\r\n-----END KEY-----'\r\nAFTER=1\n"
    ),
    "quotes": b"A='single # not comment'\nB=\"tab\\there\"\nC=it's\nD=\"\"\nE=''\n",
    "blank-lines": b"\n\n\nA=1\n\n\n",
    "duplicates": b"A=1\nB=2\nA=3\n",
    "key-only": b"JUSTAKEY\nexport A\nB=1\n",
    "whitespace": b"  A  =  spaced value  \n\tB\t=\tx\t\n",
    "empty": b"",
    "only-newline": b"\n",
    "unicode": "A=caf\u00e9 \u2603\nB='\u00fcber'\n".encode(),
}


def readers_for(data: bytes) -> frozenset[Reader]:
    """Files with lone-CR line ends are only written for readers that take them."""
    if re.search(b"\r(?!\n)", data):
        return frozenset({Reader.PYTHON_DOTENV, Reader.NODE_DOTENV})
    return dotenv.DEFAULT_READERS


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_unedited_document_renders_exact_bytes(name: str) -> None:
    data = CORPUS[name]
    doc = dotenv.parse(data)
    assert doc.to_bytes() == data
    assert doc.render().encode("utf-8") == data
    text_doc = dotenv.parse(data.decode("utf-8"))
    assert text_doc.to_bytes() == data


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_edits_that_cancel_out_render_exact_bytes(name: str) -> None:
    """Adding then removing a key leaves the file as it was (not even a newline added)."""
    data = CORPUS[name]
    doc = dotenv.parse(data)
    doc.set("ZZ_PROBE", "1", readers=readers_for(data))
    doc.remove("ZZ_PROBE")
    assert doc.modified is True
    assert doc.to_bytes() == data


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_locating_keys_agrees_with_the_full_parser(name: str) -> None:
    """The fast scan that finds lines to edit and the full parser see the same lines."""
    text = CORPUS[name].decode("utf-8").removeprefix("\ufeff")
    keys = set(parse_full(text, "x").values) | {"NOT_THERE"}
    spans = locate(text, "x", keys)
    assert spans == parse_full(text, "x", locate=keys).spans
    assert sum(map(len, spans.values())) >= len(keys) - 1


def values(text: str) -> dict[str, str]:
    return dotenv.parse(text).values()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1", {"A": "1"}),
        ("A=", {"A": ""}),
        ("A=   ", {"A": ""}),
        ("  A  =  x y  ", {"A": "x y"}),
        ("export A=1", {"A": "1"}),
        ("export\tA=1", {"A": "1"}),
        ("exportFOO=1", {"exportFOO": "1"}),
        ("export=1", {"export": "1"}),
        ("export =1", {"export": "1"}),
        ("A.b-c_d=1", {"A.b-c_d": "1"}),
        ("_x=1\n.y=2", {"_x": "1", ".y": "2"}),
        ("A=x # comment", {"A": "x"}),
        ("A=x\t# comment", {"A": "x"}),
        ("A=p#ss", {"A": "p#ss"}),
        ("A=#x", {"A": "#x"}),
        ("A= #x", {"A": ""}),  # python-dotenv 1.2 and Node; compose reads "#x"
        ("A=\t# nothing here", {"A": ""}),
        ("A=#x # c", {"A": "#x"}),  # python-dotenv and compose; Node reads ""
        ("1ST_KEY=one", {"1ST_KEY": "one"}),
        ("export 1A=1\n-dash=2\n9=3", {"1A": "1", "-dash": "2", "9": "3"}),
        ("A=a=b=c", {"A": "a=b=c"}),
        ("A=it's", {"A": "it's"}),
        ('A=say "x"', {"A": 'say "x"'}),
        ("A=back\\slash\\n", {"A": "back\\slash\\n"}),
        ("A=$HOME ${X}", {"A": "$HOME ${X}"}),
        ("A='x # y'", {"A": "x # y"}),
        ("A='x' # c", {"A": "x"}),
        ("A='x'#c", {"A": "x"}),
        ("A=' padded '", {"A": " padded "}),
        ("A='it\\'s'", {"A": "it's"}),
        ("A='a\\\\b'", {"A": "a\\\\b"}),
        ("A='a\\nb'", {"A": "a\\nb"}),
        ("A='$X ${Y}'", {"A": "$X ${Y}"}),
        ('A="x # y"', {"A": "x # y"}),
        ('A="\\a\\b\\f\\n\\r\\t\\v\\\\\\""', {"A": '\a\b\f\n\r\t\v\\"'}),
        ('A="it\\\'s"', {"A": "it\\'s"}),
        ('A="caf\\u00e9"', {"A": "caf\\u00e9"}),
        ('A="a\\qb"', {"A": "a\\qb"}),
        ('A="a\\$b"', {"A": "a\\$b"}),
        ('A="\\\\n"', {"A": "\\n"}),
        ('A="line1\nline2"', {"A": "line1\nline2"}),
        ('A="line1\r\nline2"', {"A": "line1\nline2"}),
        ('A="line1\rline2"', {"A": "line1\nline2"}),
        ("A='line1\r\nline2'", {"A": "line1\nline2"}),
        ("A=1\r\nB=2\rC=3\nD=4", {"A": "1", "B": "2", "C": "3", "D": "4"}),
        ("A=line1\nline2", {"A": "line1"}),
        ("JUSTAKEY", {}),
        ("export A", {}),
        ("A # just a key and a comment", {}),
        ("# A=1\n   # B=2", {}),
        ("A=1\nA=2", {"A": "2"}),
        ("\ufeffA=1", {"A": "1"}),
        ("A=\u00e9\u2603", {"A": "\u00e9\u2603"}),
    ],
)
def test_reading_rules(text: str, expected: dict[str, str]) -> None:
    assert values(text) == expected
    # the fast path and the full parser agree on every line
    assert parse_full(text.removeprefix("\ufeff"), "x").values == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("\n\n# c\n", {}),
        ('A="line1\nline2"\nB=1', {"A": "line1\nline2", "B": "1"}),
        ("A='x\r\n\r\ny' # c\r\nB=2\r\n", {"A": "x\n\ny", "B": "2"}),
        ('export K="-----BEGIN-----\n# not a comment\n\n-----END-----"\n', {
            "K": "-----BEGIN-----\n# not a comment\n\n-----END-----"
        }),
    ],
)
def test_fast_path_takes_multiline_quoted_values(text: str, expected: dict[str, str]) -> None:
    """Files with PEM-like values still parse in one findall, not line by line."""
    assert parse_fast(text) == expected
    assert parse_full(text, "x").values == expected


@pytest.mark.parametrize(
    "text",
    [
        'A="x\nB=2" junk\nC=3\n',  # the inner line alone would look simple
        "A=1\nA=2\n",  # duplicates: the full parser words the warning
        "A=p#ss\n",
        'A="a\\"b"\n',
        "A=1\rB=2\r",
        "JUSTAKEY\n",
    ],
)
def test_fast_path_declines_what_it_does_not_read(text: str) -> None:
    assert parse_fast(text) is None


def test_values_keep_first_appearance_order_and_last_value() -> None:
    doc = dotenv.parse("B=1\nA=2\nB=3\n")
    assert doc.values() == {"B": "3", "A": "2"}
    assert list(doc.values()) == ["B", "A"]
    assert doc.keys() == ["B", "A"]
    assert list(doc.items()) == [("B", "3"), ("A", "2")]
    assert len(doc) == 2
    assert "A" in doc
    assert "C" not in doc
    assert 3 not in doc
    assert doc.get("B") == "3"
    assert doc.get("C") is None


def test_values_returns_a_copy() -> None:
    doc = dotenv.parse("A=1\n")
    doc.values()["A"] = "changed"
    assert doc.get("A") == "1"


def test_key_only_lines_warn_with_their_line() -> None:
    seen: list[str] = []
    doc = dotenv.parse("A=1\nJUSTAKEY\nexport B\n", path="f.env", warn=seen.append)
    assert doc.values() == {"A": "1"}
    assert seen == doc.warnings
    assert len(seen) == 2
    assert seen[0].startswith("f.env:2: ")
    assert "<8 characters> has no '='" in seen[0]  # a word alone on a line is never echoed
    assert seen[1].startswith("f.env:3: ")
    assert "<1 character> has no '='" in seen[1]


def test_duplicate_keys_warn_with_key_and_line() -> None:
    seen: list[str] = []
    doc = dotenv.parse(f"A=1\nB={CANARY}\nA=2\n", path="f.env", warn=seen.append)
    assert doc.get("A") == "2"
    assert seen == [
        "f.env:3: duplicate key 'A' (first set on line 1); the last one wins",
    ]
    assert CANARY not in seen[0]


def test_warning_line_numbers_count_multiline_values() -> None:
    doc = dotenv.parse('A="x\ny\nz"\nB\r\nC=1\rC=2\n', path="p")
    assert [w.split(": ")[0] for w in doc.warnings] == ["p:4", "p:6"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a@b=1", 1, "invalid character in key at column 2"),
        ("A=1\n@b=1", 2, "invalid key"),
        ("A=1\n=value", 2, "missing key before '='"),
        ("A=1\n\u00e9=1", 2, "invalid key: a key is ASCII letters, digits, '_', '.' or '-' "
         "(Node dotenv skips a line with any other key)"),
        ("A[0]=1", 1, "invalid character in key at column 2"),
        ("A=1\nB: value", 2, "expected '=' after key <1 character> ('KEY: value' is read by "
         "Node dotenv and docker compose but is an error to python-dotenv)"),
        ("A=1\n\nline2 more", 3, "expected '=' after key <5 characters>"),
        ("A=1\nB='open\n\n", 2, "unterminated single-quoted value for 'B'"),
        ('A=1\r\nB="open\r\nmore\r\n', 2, "unterminated double-quoted value for 'B'"),
        ('A="x\\"\n', 1, "unterminated double-quoted value for 'A'"),
        ("A='x' trailing", 1, "unexpected text after the closing quote of 'A'"),
        ('A="a\nb" c\n', 2, "unexpected text after the closing quote of 'A'"),
        ("A=1\rB=2\r\x01C=3", 3, "invalid key"),
    ],
)
def test_errors_name_path_and_line(text: str, line: int, problem: str) -> None:
    secret_text = text.replace("value", CANARY).replace("open", CANARY)
    with pytest.raises(DotenvError) as info:
        dotenv.parse(secret_text, path="conf/.env")
    assert info.value.path == "conf/.env"
    assert info.value.line == line
    assert str(info.value).startswith(f"conf/.env:{line}: {problem}")
    assert CANARY not in str(info.value)
    assert isinstance(info.value, UserError)


def test_invalid_utf8_names_the_line_of_the_bad_byte() -> None:
    data = b"A=1\r\nB=2\rC=\xff\xfe\n"
    with pytest.raises(DotenvError) as info:
        dotenv.parse(data, path="x.env")
    assert info.value.line == 3
    assert str(info.value) == "x.env:3: invalid UTF-8"


def test_lone_surrogate_in_text_input_is_an_error() -> None:
    with pytest.raises(DotenvError) as info:
        dotenv.parse("A=1\nB=\ud800\n")
    assert info.value.line == 2


def test_load_reads_the_file_and_errors_name_it(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=1\nB='x\n")
    with pytest.raises(DotenvError, match=re.escape(f"{path}:2: unterminated")):
        dotenv.load(path)
    path.write_bytes(b"A=1\n")
    doc = dotenv.load(path)
    assert doc.path == str(path)
    assert doc.values() == {"A": "1"}
    with pytest.raises(FileReadError, match="not found"):
        dotenv.load(tmp_path / "missing.env")


def test_repr_never_shows_values() -> None:
    doc = dotenv.parse(f"A={CANARY}\nB='{CANARY}'\n", path="s.env")
    assert repr(doc) == "<Document 's.env' keys=2>"
    assert CANARY not in str(doc)


# ------------------------------------------------------------------------- edits


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def test_set_existing_key_changes_only_that_line() -> None:
    data = b"\xef\xbb\xbf# head\r\n\r\nexport A = old # keep me\r\nB='multi\r\nline'\r\nC=3\r\nD=4"
    doc = dotenv.parse(data)
    assert doc.set("A", "new") is True
    out = doc.to_bytes()
    before, after = lines_of(data), lines_of(out)
    assert len(before) == len(after)
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert changed == [2]
    assert after[2] == b"export A = new # keep me\r\n"
    assert dotenv.parse(out).values() == {"A": "new", "B": "multi\nline", "C": "3", "D": "4"}


def test_set_multiline_entry_replaces_all_its_lines() -> None:
    doc = dotenv.parse("X=1\nB='multi\nline'\nY=2\n")
    doc.set("B", "one")
    assert doc.render() == "X=1\nB=one\nY=2\n"


def test_set_keeps_comment_after_quoted_value_separated() -> None:
    doc = dotenv.parse('A="x"#note\n')
    doc.set("A", "y")
    assert doc.render() == "A=y #note\n"
    assert doc.values() == {"A": "y"}
    doc.set("A", "")
    assert doc.render() == "A=\n"
    assert dotenv.parse(doc.render()).values() == {"A": ""}


def test_set_same_value_changes_nothing() -> None:
    data = b"A=1\r\nB = 'x'\r\n"
    doc = dotenv.parse(data)
    assert doc.set("B", "x") is False
    assert doc.modified is False
    assert doc.to_bytes() == data


def test_set_of_an_equal_value_keeps_the_callers_string() -> None:
    """A sync then holds each unchanged value once, not once per file."""
    doc = dotenv.parse("A=some-long-value\n")
    mine = "".join(["some-long-", "value"])
    assert doc.get("A") is not mine
    assert doc.set("A", mine) is False
    assert doc.get("A") is mine
    assert doc.modified is False


def test_set_updates_last_duplicate() -> None:
    doc = dotenv.parse("A=1\nB=2\nA=3\n")
    assert doc.set("A", "9") is True
    assert doc.render() == "A=1\nB=2\nA=9\n"
    assert dotenv.parse(doc.render()).get("A") == "9"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", b"N=v\n"),
        (b"A=1\n", b"A=1\nN=v\n"),
        (b"A=1", b"A=1\nN=v\n"),
        (b"A=1\r\nB=2", b"A=1\r\nB=2\r\nN=v\r\n"),
        (b"A=1\rB=2\r", b"A=1\rB=2\rN=v\r"),
        (b"# only a comment", b"# only a comment\nN=v\n"),
        (b"\xef\xbb\xbfA=1", b"\xef\xbb\xbfA=1\nN=v\n"),
        (b"A='x\r\ny'", b"A='x\r\ny'\r\nN=v\r\n"),
    ],
)
def test_new_key_is_appended_with_the_document_newline(data: bytes, expected: bytes) -> None:
    doc = dotenv.parse(data)
    assert doc.set("N", "v", readers=readers_for(data)) is True
    assert doc.to_bytes() == expected
    assert doc.keys()[-1] == "N"


def test_new_document_starts_empty() -> None:
    doc = dotenv.new_document(".env.new")
    assert doc.path == ".env.new"
    assert len(doc) == 0
    assert doc.to_bytes() == b""
    doc.set("A", "1")
    doc.set("B", "two words")
    assert doc.to_bytes() == b"A=1\nB=two words\n"


def test_remove_removes_every_occurrence() -> None:
    data = b"# c\nA=1\nB=2\nA='3'\nexport A\nC=4"
    doc = dotenv.parse(data)
    assert doc.remove("A") is True
    assert doc.to_bytes() == b"# c\nB=2\nexport A\nC=4"
    assert "A" not in doc
    assert doc.remove("A") is False
    assert doc.remove("NOPE") is False


def test_remove_last_line_without_newline() -> None:
    doc = dotenv.parse("A=1\nB=2")
    doc.remove("B")
    assert doc.render() == "A=1\n"
    doc.set("C", "3")
    assert doc.render() == "A=1\nC=3\n"


@pytest.mark.parametrize("key", ["", "a@b", "A B", "A=B", "é", "A[0]"])
def test_set_rejects_invalid_keys(key: str) -> None:
    doc = dotenv.new_document()
    with pytest.raises(UserError, match="invalid key"):
        doc.set(key, "x")
    assert doc.to_bytes() == b""


def test_digit_first_and_dashed_keys_are_written_and_read() -> None:
    doc = dotenv.new_document()
    assert doc.set("1ST_KEY", "one")
    assert doc.set("-x.y", "two")
    assert dotenv.parse(doc.to_bytes()).values() == {"1ST_KEY": "one", "-x.y": "two"}


@pytest.mark.parametrize(
    ("key", "reason"),
    [("1ST", "not starting with a digit"), ("a.b", "shell variable name"),
     ("a-b", "shell variable name"), ("UID", "bash keeps this variable"), ("_", "bash keeps")],
)
def test_shell_reader_refuses_keys_a_shell_cannot_assign(key: str, reason: str) -> None:
    doc = dotenv.new_document()
    with pytest.raises(UnwritableValueError) as info:
        doc.set(key, "x", readers=[Reader.SHELL])
    assert info.value.key == key
    assert reason in info.value.reason
    assert doc.to_bytes() == b""
    assert doc.set(key, "x") is True  # the dotenv readers take it


def test_values_around_hash_follow_the_majority_and_warn() -> None:
    seen: list[str] = []
    doc = dotenv.parse("A=1\nB= # nothing here\nC=#x\n", path="f.env", warn=seen.append)
    assert doc.values() == {"A": "1", "B": "", "C": "#x"}
    assert [w.split(": ")[0] for w in seen] == ["f.env:2", "f.env:3"]
    assert "'B' is empty to python-dotenv and Node dotenv" in seen[0]
    assert "docker compose reads the text from '#' on" in seen[0]
    assert "'C' starts with '#'" in seen[1]
    assert "Node dotenv as empty" in seen[1]
    # editing the empty one keeps its comment
    doc.set("B", "now")
    assert doc.render() == "A=1\nB=now # nothing here\nC=#x\n"


def test_no_write_into_a_file_with_lone_cr_line_ends_for_compose_or_shell() -> None:
    data = b"A=1\rB=2\r"
    for readers in ([Reader.DOCKER_COMPOSE], [Reader.SHELL], dotenv.DEFAULT_READERS):
        doc = dotenv.parse(data, path="old.env")
        with pytest.raises(UserError, match=r"old\.env: cannot write 'N': .*lone carriage return"):
            doc.set("N", "v", readers=readers)
        assert doc.to_bytes() == data
    doc = dotenv.parse(data)
    assert doc.set("N", "v", readers=[Reader.PYTHON_DOTENV, Reader.NODE_DOTENV])
    assert doc.to_bytes() == b"A=1\rB=2\rN=v\r"
    crlf = dotenv.parse(b"A=1\r\nB='x\r\ny'\r\n", path="dos.env")
    assert crlf.set("N", "v") is True
    with pytest.raises(UserError, match=r"dos\.env: cannot write 'M': .*CRLF.* a shell keeps"):
        crlf.set("M", "v", readers=[Reader.SHELL])
    assert crlf.to_bytes() == b"A=1\r\nB='x\r\ny'\r\nN=v\r\n"


def test_set_refuses_unwritable_values_without_changing_the_document() -> None:
    doc = dotenv.parse("A=1\n")
    value = f"{CANARY}\n'\""
    with pytest.raises(UnwritableValueError) as info:
        doc.set("A", value)
    assert info.value.key == "A"
    assert CANARY not in str(info.value)
    assert doc.get("A") == "1"
    assert doc.to_bytes() == b"A=1\n"
    # for compose alone a multi-line value with both quote kinds is fine
    assert doc.set("A", value, readers=[Reader.DOCKER_COMPOSE]) is True
    assert dotenv.parse(doc.to_bytes()).get("A") == value


# ------------------------------------------------------------------- large files
# Speed is measured by benchmarks/ against python-dotenv, never timed here.


def test_parsing_100k_keys_reads_every_key() -> None:
    text = "".join(f"KEY_{i}=value-{i}-abcdefghij\n" for i in range(100_000))
    doc = dotenv.parse(text.encode())
    assert len(doc) == 100_000
    assert doc.get("KEY_99999") == "value-99999-abcdefghij"
    assert doc.to_bytes() == text.encode()


def test_parsing_100k_keys_that_need_the_full_parser() -> None:
    lines = [
        f"export K{i}='v {i}' # c\n" if i % 2 else f'K{i}="a\\nb{i}"\n' for i in range(100_000)
    ]
    text = "".join(lines)
    doc = dotenv.parse(text)
    assert len(doc) == 100_000
    assert doc.get("K2") == "a\nb2"
    assert doc.get("K3") == "v 3"
    assert doc.render() == text


def test_words_without_equals_are_not_echoed() -> None:
    # An unquoted PEM body: its lines are not keys, and they are secret; so may a short
    # token pasted on a line of its own be (32 hex digits is a common API key).
    body = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"
    warnings: list[str] = []
    token = "9f86d081884c7d659a2feaa0c55ad015"
    doc = dotenv.parse(f"KEY=-----BEGIN KEY-----\n{body}\n{token}\n", warn=warnings.append)
    assert warnings == [
        "<string>:2: <64 characters> has no '=' and assigns nothing (line ignored)",
        "<string>:3: <32 characters> has no '=' and assigns nothing (line ignored)",
    ]
    assert doc.values() == {"KEY": "-----BEGIN KEY-----"}
    with pytest.raises(dotenv.DotenvError) as info:
        dotenv.parse(f"A=1\n{body} trailing\n")
    assert body not in str(info.value)
    assert str(info.value) == "<string>:2: expected '=' after key <64 characters>"


def test_files_for_dotenv_expand_read_back_dollars_when_told_the_readers() -> None:
    """``\\$`` is how a '$' is written for dotenv-expand; parse(readers=...) reads it back."""
    readers = [Reader.DOTENV_EXPAND]
    doc = dotenv.new_document()
    assert doc.set("HASH", "$2b$12$abc", readers=readers)
    assert doc.set("PLAIN", "x\\$y", readers=readers)  # a backslash before '$' survives too
    data = doc.to_bytes()
    assert data == b"HASH=\\$2b\\$12\\$abc\nPLAIN=x\\\\$y\n"
    reread = dotenv.parse(data, readers=readers)
    assert reread.values() == {"HASH": "$2b$12$abc", "PLAIN": "x\\$y"}
    assert reread.set("HASH", "$2b$12$abc", readers=readers) is False  # unchanged
    # without the readers, the file's text is taken as written
    assert dotenv.parse(data).get("HASH") == "\\$2b\\$12\\$abc"


def test_refusal_reasons_name_the_reader_that_cannot_carry_the_value() -> None:
    cases = [
        ("$(whoami)", [Reader.DOTENV_EXPAND], "dotenv-expand runs '$(...)' as a command"),
        ("it's $HOME", [Reader.SHELL], "a shell expands '$'"),
        ("a\rb", [Reader.SHELL], "carriage return"),
        ("${HOME}", [Reader.PYTHON_DOTENV], "python-dotenv expands '${...}'"),
        ("p$w0rd", [Reader.NODE_DOTENV, Reader.DOTENV_EXPAND], "no single spelling"),
        ("multi\n'\"", [Reader.NODE_DOTENV], "no escape for quotes"),
    ]
    for value, readers, reason in cases:
        with pytest.raises(UnwritableValueError) as info:
            dotenv.format_value("SECRET", value, readers)
        assert reason in info.value.reason, (value, info.value.reason)
        assert str(info.value).startswith("cannot write 'SECRET' to an env file: ")


def test_expansions_some_readers_make_are_read_literally_with_a_warning() -> None:
    seen: list[str] = []
    text = "A=${HOME}/x\nB=\"${X:-d}\"\nC='${HOME}'\nD=$HOME\nE=${\nF=a ${Y} # c\n"
    doc = dotenv.parse(text, path="f.env", warn=seen.append)
    assert doc.values() == {
        "A": "${HOME}/x", "B": "${X:-d}", "C": "${HOME}", "D": "$HOME", "E": "${", "F": "a ${Y}"
    }
    assert [w.split(": ")[0] for w in seen] == ["f.env:1", "f.env:2", "f.env:6"]
    assert "python-dotenv (interpolation on) and docker compose expand" in seen[0]
    assert "'A'" in seen[0]


def test_expansion_warnings_follow_the_readers_of_the_file() -> None:
    seen: list[str] = []
    text = "A=\\${HOME}/x\nB=${HOME}\n"
    doc = dotenv.parse(text, warn=seen.append, readers=[Reader.DOTENV_EXPAND])
    assert doc.values() == {"A": "${HOME}/x", "B": "${HOME}"}
    assert len(seen) == 1  # only dotenv-expand's own warning, for B
    assert "'B' holds a '$' that dotenv-expand expands" in seen[0]
    seen.clear()
    dotenv.parse(text, warn=seen.append, readers=[Reader.SHELL])
    assert seen == []
    dotenv.parse(text, warn=seen.append, readers=[Reader.SHELL, Reader.DOCKER_COMPOSE])
    assert len(seen) == 2


def test_files_for_dotenv_expand_warn_where_it_would_expand_or_run() -> None:
    seen: list[str] = []
    text = "A=$HOME\nB='${X}'\nC=\\$HOME\nD=$(id)\nE=cost $\nF=\"\\$(id\"\n"
    doc = dotenv.parse(text, path="v.env", warn=seen.append, readers=[Reader.DOTENV_EXPAND])
    assert doc.values() == {
        "A": "$HOME", "B": "${X}", "C": "$HOME", "D": "$(id)", "E": "cost $", "F": "$(id"
    }
    assert [w.split(": ")[0] for w in seen] == ["v.env:1", "v.env:2", "v.env:4"]
    assert "'A' holds a '$' that dotenv-expand expands" in seen[0]


def test_the_package_exports_the_documented_api() -> None:
    """docs/api.md names these as ``stagecraft.dotenv``'s; they stay importable from it."""
    documented = {
        "parse", "load", "new_document", "Document", "format_value", "Reader",
        "DotenvError", "UnwritableValueError", "DEFAULT_READERS", "ALL_READERS",
        "is_valid_key",
    }
    assert set(dotenv.__all__) == documented
    namespace: dict[str, object] = {}
    exec("from stagecraft.dotenv import *", namespace)  # noqa: S102 - a fixed statement
    assert documented <= namespace.keys()
    assert isinstance(dotenv.new_document(), dotenv.Document)
