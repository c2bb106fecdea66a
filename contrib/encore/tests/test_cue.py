"""The ``.secrets.local.cue`` reader and writer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stagecraft.providers.secrets import Action
from stagecraft_encore import cue

# The reference's examples, value -> line.
REFERENCE_LINES = [
    ("API_KEY", "sk-live-123", '"API_KEY": "sk-live-123"'),
    ("Quote", 'say "hi"', '"Quote": "say \\"hi\\""'),
    ("WinPath", "C:\\Users\\me", '"WinPath": "C:\\\\Users\\\\me"'),
    (
        "PemKey",
        "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n",
        '"PemKey": "-----BEGIN KEY-----\\nMIIB\\n-----END KEY-----\\n"',
    ),
    ("Interp", "literal \\(x)", '"Interp": "literal \\\\(x)"'),
    ("Unicode", "h\u00e9llo", '"Unicode": "h\\u00e9llo"'),
    ("Empty", "", '"Empty": ""'),
]


@pytest.mark.parametrize(("key", "value", "line"), REFERENCE_LINES)
def test_writer_matches_reference(key: str, value: str, line: str) -> None:
    assert cue.encode_line(key, value) == line
    assert cue.parse(line + "\n").values() == {key: value}


def test_new_file_from_nothing() -> None:
    doc = cue.parse("")
    actions = cue.merge(doc, {"B": "2", "A": "1"})
    assert actions == [("B", Action.ADDED), ("A", Action.ADDED)]
    assert doc.render() == '"B": "2"\n"A": "1"\n'


def test_merge_keeps_order_comments_and_untouched_lines() -> None:
    text = (
        "// local overrides\n"
        "\n"
        'GitHubAPIToken:   "old"\n'
        '"Other": "same"\n'
        "  // indented comment\n"
        '"Unused-Label": "kept"\n'
    )
    doc = cue.parse(text)
    actions = cue.merge(doc, {"New": "n", "Other": "same", "GitHubAPIToken": "fresh"})
    assert actions == [
        ("New", Action.ADDED),
        ("Other", Action.UNCHANGED),
        ("GitHubAPIToken", Action.UPDATED),
    ]
    assert doc.render() == (
        "// local overrides\n"
        "\n"
        '"GitHubAPIToken": "fresh"\n'
        '"Other": "same"\n'
        "  // indented comment\n"
        '"Unused-Label": "kept"\n'
        '"New": "n"\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "// only a comment",
        'A: "x"',
        'A: "x"\r\n"B" : "y"\r\n',
        '\t"A"\t:\t"x"\t\n\n\n',
    ],
)
def test_unchanged_render_is_identical(text: str) -> None:
    doc = cue.parse(text)
    for key, value in doc.values().items():
        assert doc.set(key, value) is Action.UNCHANGED
    assert doc.render() == text


def test_a_trailing_comment_is_read_and_kept_when_the_value_changes() -> None:
    text = (
        '"A": "x" // rotated monthly\n'
        'B: "y"\t//no space, "quotes" and // inside\r\n'
        '"C": "z"   //\n'
        '"D": "kept" // untouched'
    )
    doc = cue.parse(text)
    assert doc.values() == {"A": "x", "B": "y", "C": "z", "D": "kept"}
    assert doc.render() == text
    assert cue.merge(doc, {"A": "new // not a comment", "B": "b2", "C": "z"}) == [
        ("A", Action.UPDATED), ("B", Action.UPDATED), ("C", Action.UNCHANGED)]
    assert doc.render() == (
        '"A": "new // not a comment" // rotated monthly\n'
        '"B": "b2"\t//no space, "quotes" and // inside\r\n'
        '"C": "z"   //\n'
        '"D": "kept" // untouched'
    )
    assert cue.parse(doc.render()).values()["A"] == "new // not a comment"


def test_appending_to_a_file_without_final_newline() -> None:
    doc = cue.parse('"A": "1"')
    doc.set("B", "2")
    assert doc.render() == '"A": "1"\n"B": "2"\n'


def test_crlf_file_keeps_crlf_on_edited_and_added_lines() -> None:
    doc = cue.parse('// local\r\n"A": "1"\r\n"B": "2"\r\n')
    assert cue.merge(doc, {"A": "new", "C": "3"}) == [("A", Action.UPDATED), ("C", Action.ADDED)]
    assert doc.render() == '// local\r\n"A": "new"\r\n"B": "2"\r\n"C": "3"\r\n'


def test_crlf_file_without_final_newline_gets_crlf_before_an_added_line() -> None:
    doc = cue.parse('"A": "1"\r\n"B": "2"')
    doc.set("C", "3")
    assert doc.render() == '"A": "1"\r\n"B": "2"\r\n"C": "3"\r\n'


def test_edited_last_line_keeps_its_missing_final_newline() -> None:
    doc = cue.parse('"A": "1"\n"B": "2"')
    doc.set("B", "new")
    assert doc.render() == '"A": "1"\n"B": "new"'


def test_mixed_endings_are_kept_line_by_line() -> None:
    doc = cue.parse('"A": "1"\n"B": "2"\r\n"C": "3"\n')
    doc.set("B", "new")
    doc.set("D", "4")
    # A new line takes the file's first ending.
    assert doc.render() == '"A": "1"\n"B": "new"\r\n"C": "3"\n"D": "4"\n'


def test_quoted_and_bare_labels_name_the_same_secret() -> None:
    with pytest.raises(cue.CueFormatError, match=r"f\.cue:3: 'A' is already set on line 1"):
        cue.parse('A: "1"\n\n"A": "1"\n', name="f.cue")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("package secrets\n", 1),
        ('// ok\n{\n"A": "x"\n}\n', 2),
        ('"A": "x",\n', 1),
        ('"A": "x" // NUL \x00 in a trailing comment\n', 1),
        ('"A": "x" /* block */\n', 1),
        ('"A": "x" / not a comment\n', 1),
        ('"A": """\n  multi\n  """\n', 1),
        ('"A": #"raw"#\n', 1),
        ("\"A\": 'bytes'\n", 1),
        ('"A": B\n', 1),
        ('"A": 42\n', 1),
        ('"A": "x" + "y"\n', 1),
        ('"A"?: "x"\n', 1),
        ('#Def: "x"\n', 1),
        ('_hidden: "x"\n', 1),
        ('my-key: "x"\n', 1),
        ('if: "x"\n', 1),
        ('"A": "x"\n"B": "bad \\a escape"\n', 2),
        ('"A": "\\x41"\n', 1),
        ('"A": "\\(interp)"\n', 1),
        ('"A": "\\ud800"\n', 1),
        ('"A": "tab\there"\n', 1),
        ('"A": "unterminated\n', 1),
        ('\ufeff"A": "x"\n', 1),
        ('"A": "x\ufeff"\n', 1),
        ('"A": "x"\n"A": "x"\n', 2),
    ],
)
def test_refuses_what_it_cannot_keep(text: str, line: int) -> None:
    with pytest.raises(cue.CueFormatError) as info:
        cue.parse(text, name="dir/.secrets.local.cue")
    assert str(info.value).startswith(f"dir/.secrets.local.cue:{line}: ")


def test_refusal_does_not_quote_values() -> None:
    with pytest.raises(cue.CueFormatError) as info:
        cue.parse('"A": "canary-secret\\q"\n')
    assert "canary-secret" not in str(info.value)
    assert "canary-secret" not in repr(info.value)


def test_repr_has_keys_not_values() -> None:
    doc = cue.parse('"A": "canary-secret"\n')
    assert "canary-secret" not in repr(doc)
    assert "'A'" in repr(doc)
    assert "canary-secret" not in repr(doc.lines)
    assert "'A'" in repr(doc.lines)


def test_refusals() -> None:
    refused = dict(cue.iter_refusals({"OK": "x", "my-key": "x", "9LIVES": "x", "SUR": "a\ud800"}))
    assert set(refused) == {"my-key", "9LIVES", "SUR"}
    assert "lone surrogate" in refused["SUR"]


@pytest.mark.parametrize("name", ["A", "api_key", "$x", "X9_$", "Ünïcode"])
def test_identifier_rule(name: str) -> None:
    assert cue.is_identifier(name) is name.isascii()


keys = st.from_regex(r"[A-Za-z$][A-Za-z0-9_$]{0,12}", fullmatch=True)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.dictionaries(keys, texts, max_size=8), st.dictionaries(keys, texts, max_size=8))
def test_round_trip(first: dict[str, str], second: dict[str, str]) -> None:
    doc = cue.parse("")
    cue.merge(doc, first)
    rendered = doc.render()
    assert rendered.isascii()
    reread = cue.parse(rendered)
    assert reread.values() == first
    cue.merge(reread, second)
    final = reread.render()
    expected = {**first, **second}
    assert cue.parse(final).values() == expected
    # Independently of the reader: each line is `json: json`.
    decoded = {}
    for line in final.splitlines():
        label, sep, value = line.partition(": ")
        assert sep
        decoded[json.loads(label)] = json.loads(value)
    assert decoded == expected
    assert list(decoded) == list(dict.fromkeys([*first, *second]))
