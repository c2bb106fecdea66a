"""Redactor: masks every registered value, in the forms it can surface in."""

from __future__ import annotations

import json
import threading

import pytest

from stagecraft.redact import MASK, MIN_LENGTH, Redactor

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
