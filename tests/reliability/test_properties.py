"""Property tests of the two file formats Stagecraft rewrites: .env and .secrets.local.cue.

* Round trip: any dictionary of valid keys and string values, written by the
  envfile provider and read back, is the same dictionary (values the writer
  refuses with UnwritableValueError are dropped and counted; the value
  strategy keeps them a small minority).  python-dotenv must read the same.
* Lossless edit: in any existing document, setting one key leaves every
  other line byte-identical.
* The same two properties for the encore override file's writer and reader.

Example counts are fixed (``max_examples``); STAGECRAFT_HEAVY=1 multiplies them.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from collections import Counter
from pathlib import Path

import dotenv as python_dotenv
import reliability_helpers as h
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stagecraft import dotenv
from stagecraft.providers.secrets import Context, SyncOptions
from stagecraft_encore import cue
from stagecraft_envfile import EnvfileStore

#: The store these tests drive (the plugin builds its own in the hook).
PROVIDER = EnvfileStore()


EXAMPLES = h.scaled(150, 2000)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ENV_KEY = st.from_regex(r"[A-Za-z_.][A-Za-z0-9_.-]{0,12}", fullmatch=True)
CUE_KEY = st.from_regex(r"[A-Za-z$][A-Za-z0-9_$]{0,12}", fullmatch=True)

# Mostly text a secret really holds, with every awkward character in the mix;
# st.text() adds arbitrary Unicode (no surrogates: a str from a file has none).
AWKWARD = "'\"`\\$#{} \t\n\r=!é€😀"
PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
VALUE = st.one_of(
    st.text(alphabet=PRINTABLE | st.sampled_from(AWKWARD), max_size=30),
    st.text(max_size=20),
    st.from_regex(r"[A-Za-z0-9+/=_-]{0,40}", fullmatch=True),
)

LOG = logging.getLogger("stagecraft.test.properties")


def _writable(key: str, value: str) -> bool:
    try:
        dotenv.format_value(key, value)
    except dotenv.UnwritableValueError:
        return False
    return True


# --------------------------------------------------------------------------- envfile


def test_envfile_round_trip_through_the_provider() -> None:
    stats: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source, target = root / "source.env", root / "target.env"

        @SETTINGS
        @given(st.dictionaries(ENV_KEY, VALUE, max_size=8))
        def check(values: dict[str, str]) -> None:
            stats["examples"] += 1
            kept = {}
            for key, value in values.items():
                if _writable(key, value):
                    kept[key] = value
                else:
                    stats["refused"] += 1
            stats["values"] += len(values)
            source.write_bytes(h.env_bytes(kept))
            target.unlink(missing_ok=True)
            ctx = Context(cwd=root, config_dir=root, logger=LOG)
            PROVIDER.sync(ctx, SyncOptions(source=source.name, target=target.name))
            text = target.read_text(encoding="utf-8") if target.exists() else ""
            assert dotenv.parse(text).values() == kept
            assert python_dotenv.dotenv_values(stream=io.StringIO(text)) == kept

        check()
    print(f"\nproperties envfile round trip: {stats['examples']} examples, "
          f"{stats['values']} values, {stats['refused']} refused as unwritable")
    assert stats["examples"] >= EXAMPLES // 2
    assert stats["refused"] * 5 < stats["values"], "too few writable values to mean anything"


@st.composite
def env_documents(draw: st.DrawFn) -> tuple[list[str], list[str | None], bool]:
    """Chunks of a .env file (each a line or a multi-line entry, line ending included),
    the key each assigns (None for blanks and comments), and whether a BOM precedes them."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    chunks: list[str] = []
    keys: list[str | None] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["blank", "comment", "plain", "single", "double", "writer"]))
        if kind == "blank":
            chunks.append(draw(st.sampled_from(["", "  ", "\t"])) + newline)
            keys.append(None)
            continue
        if kind == "comment":
            text = draw(st.text(st.characters(exclude_characters="\r\n", codec="utf-8"),
                                max_size=15))
            chunks.append(draw(st.sampled_from(["#", "  # "])) + text + newline)
            keys.append(None)
            continue
        key = draw(ENV_KEY)
        head = draw(st.sampled_from(["", "export ", "  "])) + key
        head += draw(st.sampled_from(["=", " = ", "= ", "\t=\t"]))
        if kind == "plain":
            body = draw(st.from_regex(r"[A-Za-z0-9_/+:@.-]{0,15}", fullmatch=True))
        elif kind == "single":
            inner = draw(st.text(st.characters(exclude_characters="'\\\r\n", codec="utf-8"),
                                 max_size=12))
            body = f"'{inner}'"
        elif kind == "double":
            inner = draw(st.text(st.characters(exclude_characters='"\\\r\n', codec="utf-8"),
                                 max_size=12))
            body = '"' + inner + draw(st.sampled_from(["", "\\n", "\\\"", "\\\\"])) + '"'
        else:
            value = draw(VALUE.filter(lambda v: _writable("K", v)))
            body = dotenv.format_value("K", value)
        if draw(st.booleans()) and body:
            body += " # note"
        chunks.append(head + body + newline)
        keys.append(key)
    if chunks and draw(st.booleans()):
        chunks[-1] = chunks[-1].rstrip("\r\n")  # no final newline
    return chunks, keys, draw(st.booleans())


def test_envfile_edit_keeps_every_other_line() -> None:
    stats: Counter[str] = Counter()

    @SETTINGS
    @given(env_documents(), st.data())
    def check(document: tuple[list[str], list[str | None], bool], data: st.DataObject) -> None:
        chunks, keys, bom = document
        original = ("\ufeff" if bom else "") + "".join(chunks)
        try:
            parsed = dotenv.parse(original.encode("utf-8"), path="doc.env")
        except dotenv.DotenvError:
            stats["invalid"] += 1
            return
        stats["examples"] += 1
        before = parsed.values()
        existing = [k for k in keys if k is not None]
        key = data.draw(st.sampled_from(existing) if existing and data.draw(st.booleans())
                        else ENV_KEY)
        value = data.draw(VALUE.filter(lambda v: _writable(key, v)))
        parsed.set(key, value)
        out = parsed.to_bytes().decode("utf-8")
        assert dotenv.parse(out).values() == {**before, key: value}
        prefix = "\ufeff" if bom else ""
        if key in before:
            stats["updated"] += 1
            index = max(i for i, k in enumerate(keys) if k == key)
            head = prefix + "".join(chunks[:index])
            tail = "".join(chunks[index + 1:])
            assert out.startswith(head)
            assert out.endswith(tail)
        else:
            stats["added"] += 1
            kept = original if not chunks or original.endswith("\n") else None
            if kept is None:  # a newline is added after the last line, nothing else changes
                assert out.startswith(original)
                assert out[len(original):].lstrip("\r\n").startswith(f"{key}=")
            else:
                assert out.startswith(kept)
                assert out[len(kept):].startswith(f"{key}=")

    check()
    print(f"\nproperties envfile edit: {stats['examples']} documents edited "
          f"({stats['updated']} updates, {stats['added']} additions, "
          f"{stats['invalid']} generated documents rejected by the parser)")
    assert stats["examples"] >= EXAMPLES // 2
    assert stats["updated"] > 0
    assert stats["added"] > 0


# --------------------------------------------------------------------------- encore .cue


def test_cue_round_trip() -> None:
    stats: Counter[str] = Counter()

    @SETTINGS
    @given(st.dictionaries(CUE_KEY, VALUE, max_size=8))
    def check(values: dict[str, str]) -> None:
        stats["examples"] += 1
        document = cue.parse("", name="x.cue")
        cue.merge(document, values)
        text = document.render()
        assert cue.parse(text, name="x.cue").values() == values
        # What Encore reads: each line's value is the JSON string it holds.
        for line, (key, value) in zip(text.splitlines(), values.items(), strict=True):
            label, _, raw = line.partition(": ")
            assert json.loads(label) == key
            assert json.loads(raw) == value

    check()
    print(f"\nproperties cue round trip: {stats['examples']} examples")
    assert stats["examples"] >= EXAMPLES // 2


@st.composite
def cue_documents(draw: st.DrawFn) -> tuple[list[str], list[str | None], bool]:
    """Lines of an override file (no line endings), the key of each, final newline."""
    lines: list[str] = []
    keys: list[str | None] = []
    field_keys = draw(st.lists(CUE_KEY.filter(lambda k: k not in cue.KEYWORDS),
                               unique=True, max_size=6))
    for key in field_keys:
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "  ", "\t"])))
            else:
                text = draw(st.text(st.characters(exclude_characters="\r\n\x00\ufeff",
                                                  codec="utf-8"), max_size=15))
                lines.append(draw(st.sampled_from(["//", "  // "])) + text)
            keys.append(None)
        label = json.dumps(key) if draw(st.booleans()) else key
        value = json.dumps(draw(VALUE), ensure_ascii=draw(st.booleans()))
        space = draw(st.sampled_from(["", " ", "\t"]))
        lines.append(f"{space}{label}{space}:{draw(st.sampled_from([' ', '  ', '']))}{value}")
        keys.append(key)
    return lines, keys, draw(st.booleans())


def test_cue_edit_keeps_every_other_line() -> None:
    stats: Counter[str] = Counter()

    @SETTINGS
    @given(cue_documents(), st.data())
    def check(document: tuple[list[str], list[str | None], bool], data: st.DataObject) -> None:
        lines, keys, final_newline = document
        original = "\n".join(lines) + ("\n" if final_newline and lines else "")
        parsed = cue.parse(original)
        before = parsed.values()
        stats["examples"] += 1
        existing = [k for k in keys if k is not None]
        key = data.draw(st.sampled_from(existing) if existing and data.draw(st.booleans())
                        else CUE_KEY)
        value = data.draw(VALUE)
        cue.merge(parsed, {key: value})
        out = parsed.render()
        assert cue.parse(out).values() == {**before, key: value}
        out_lines = out.split("\n")
        if key in before:
            stats["updated"] += 1
            index = keys.index(key)
            assert out_lines[:index] == lines[:index]
            assert out_lines[index + 1 : len(lines)] == lines[index + 1:]
            assert len(out_lines) - (out.endswith("\n")) == len(lines)
        else:
            stats["added"] += 1
            assert out_lines[: len(lines)] == lines
            assert out_lines[len(lines)] == cue.encode_line(key, value)

    check()
    print(f"\nproperties cue edit: {stats['examples']} documents edited "
          f"({stats['updated']} updates, {stats['added']} additions)")
    assert stats["examples"] >= EXAMPLES // 2
    assert stats["updated"] > 0
    assert stats["added"] > 0
