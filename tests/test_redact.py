"""Redactor: masks every registered value, in the forms it can surface in."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stagecraft.redact import FRAGMENT_MIN_LENGTH, MASK, MIN_LENGTH, Redactor, Structural

CANARY = "canary-7Hq2#x"


def test_masks_registered_values() -> None:
    redactor = Redactor()
    redactor.add(CANARY)
    assert redactor.redact(f"token {CANARY} leaked twice: {CANARY}") == (
        f"token {MASK} leaked twice: {MASK}"
    )
    assert redactor.redact("nothing here") == "nothing here"


def test_short_and_empty_values_are_ignored() -> None:
    redactor = Redactor()
    redactor.add("", "a", "ab")
    assert len(redactor) == 0
    assert redactor.redact("a b ab") == "a b ab"
    assert MIN_LENGTH == 3


def test_longest_value_is_masked_first() -> None:
    redactor = Redactor()
    redactor.update(["secret", "secret-extended"])
    assert redactor.redact("x secret-extended y secret") == f"x {MASK} y {MASK}"


def test_multi_line_values_are_masked_line_by_line() -> None:
    redactor = Redactor()
    redactor.add("-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----")
    text = "traceback line: MIIBOgIBAAJBAK"
    assert redactor.redact(text) == f"traceback line: {MASK}"


@pytest.mark.parametrize(
    "value", ["quote'and\"both", "new\nline", "tab\there", "ünïcödé-secret", "back\\slash"]
)
def test_escaped_forms_are_masked(value: str) -> None:
    redactor = Redactor()
    redactor.add(value)
    forms = (repr(value), ascii(value), json.dumps(value), json.dumps(value, ensure_ascii=False))
    for form in forms:
        masked = redactor.redact(f"error: {form}")
        assert value not in masked
        assert form[1:-1] not in masked, form


def test_repr_shows_count_not_values() -> None:
    redactor = Redactor()
    redactor.add(CANARY)
    assert CANARY not in repr(redactor)
    assert repr(redactor).startswith("<Redactor values=")


def test_thread_safe_updates() -> None:
    redactor = Redactor()

    def work(index: int) -> None:
        for n in range(200):
            redactor.add(f"value-{index}-{n:03d}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = " ".join(f"value-{i}-{n:03d}" for i in range(8) for n in range(200))
    assert set(redactor.redact(text).split()) == {MASK}


# ---------------------------------------------------------------- fragments (issue 12, item 2)

TOKEN = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.mark.parametrize(
    "cut",
    [
        TOKEN[:16],  # a provider logging `value[:16]`
        TOKEN[:FRAGMENT_MIN_LENGTH],  # the shortest prefix still masked
        TOKEN[-12:],  # the end of a value whose start was cut off
        TOKEN[-FRAGMENT_MIN_LENGTH:],
    ],
)
def test_prefixes_and_suffixes_are_masked(cut: str) -> None:
    redactor = Redactor()
    redactor.add(TOKEN)
    masked = redactor.redact(f"upload failed for {cut}... try again")
    assert masked == f"upload failed for {MASK}... try again"


def test_a_reply_truncated_at_200_characters_is_masked() -> None:
    redactor = Redactor()
    body = "x" * 150 + TOKEN  # the value starts near the end of the reply
    redactor.add(TOKEN)
    reply = f'{{"echo": "{body}"}}'[:200]
    assert TOKEN[: 200 - 161] in reply  # the reply holds only a prefix of the value
    masked = redactor.redact(f"server said: {reply}")
    assert TOKEN[:FRAGMENT_MIN_LENGTH] not in masked
    assert masked.endswith(MASK)


def test_fragment_of_an_escaped_form_is_masked() -> None:
    value = 'line one "quoted" secret\nline two with more secret text'
    redactor = Redactor()
    redactor.add(value)
    escaped = json.dumps(value)[1:-1]
    assert redactor.redact(f"got {escaped[:20]}") == f"got {MASK}"


def test_fragments_below_the_minimum_and_from_the_middle_are_not_masked() -> None:
    redactor = Redactor()
    redactor.add(TOKEN)
    short = TOKEN[: FRAGMENT_MIN_LENGTH - 1]
    middle = TOKEN[10:30]
    assert redactor.redact(f"a {short} b") == f"a {short} b"
    assert redactor.redact(f"a {middle} b") == f"a {middle} b"
    assert FRAGMENT_MIN_LENGTH == 8  # docs/security.md states this number


def test_short_values_are_masked_only_whole() -> None:
    redactor = Redactor()
    redactor.add("hunter2")  # shorter than FRAGMENT_MIN_LENGTH
    assert redactor.redact("pw hunter2 and hunter") == f"pw {MASK} and hunter"


def test_overlapping_matches_become_one_mask() -> None:
    redactor = Redactor()
    redactor.add(TOKEN, "other-secret-value")
    text = f"[{TOKEN[:20]}{'other-secret-value'}{TOKEN[-9:]}]"
    assert redactor.redact(text) == f"[{MASK}]"


def test_values_added_after_a_redaction_are_masked_too() -> None:
    redactor = Redactor()
    redactor.add(TOKEN)
    assert redactor.redact("nothing") == "nothing"  # builds the index
    redactor.add("late-comer-value-1234")
    assert redactor.redact("x late-comer-val y") == f"x {MASK} y"
    assert redactor.redact(f"x {TOKEN[:9]} y") == f"x {MASK} y"


def test_many_values_each_masked_by_prefix_and_suffix() -> None:
    redactor = Redactor()
    values = [f"tok-{n:06d}-{n * 7919 % 1000003:07d}" for n in range(5000)]
    redactor.update(values)
    for value in values[::97]:
        text = f"a {value[:11]} b {value[-10:]} c"
        assert redactor.redact(text) == f"a {MASK} b {MASK} c", value


def test_render_masks_free_parts_only() -> None:
    redactor = Redactor()
    redactor.add("envfile", "added-secret-text")
    line = redactor.render(
        Structural("stagecraft: envfile: "), "rejected added-secret-text", Structural(" (2 added)")
    )
    assert line == f"stagecraft: envfile: rejected {MASK} (2 added)"
    assert redactor.redact("envfile") == MASK  # the same text, as free text, is masked


ALPHABET = "abcdefgh0123456789_-:/ .é\n"
SECRET = st.text(alphabet=ALPHABET, min_size=MIN_LENGTH, max_size=40)


@settings(max_examples=300, deadline=None, database=None)
@given(
    values=st.lists(SECRET, min_size=1, max_size=6),
    pieces=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["prefix", "suffix", "whole", "junk"]),
                  st.integers(0, 40)),
        max_size=8,
    ),
)
def test_no_long_enough_prefix_or_suffix_survives(
    values: list[str], pieces: list[tuple[int, str, int]]
) -> None:
    """Oracle: whatever text is built from cuts of the values, no prefix or
    suffix of FRAGMENT_MIN_LENGTH or more characters (nor a whole value) is left."""
    redactor = Redactor()
    redactor.update(values)
    text = []
    for which, how, cut in pieces:
        value = values[which % len(values)]
        text.append({"prefix": value[:cut], "suffix": value[-cut:] if cut else "",
                     "whole": value, "junk": "/x/"}[how])
    masked = redactor.redact(" ".join(text))
    for value in values:
        assert value not in masked
        for k in range(FRAGMENT_MIN_LENGTH, len(value) + 1):
            assert value[:k] not in masked
            assert value[-k:] not in masked
