"""``encore secret list`` output: the parser pinned to the documented layout, and the fake's."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from stagecraft_encore.listing import (
    Group,
    ListFormatError,
    Prediction,
    classify,
    location_of,
    parse_list,
    selectors_of,
)
from stagecraft_encore.targets import parse_target

if TYPE_CHECKING:
    from conftest import FakeEncore

# The example of shared/reference/encore-cli.md, byte for byte (tabwriter, 3 spaces).
DOCUMENTED = """\
ID              Secret Key   Environment(s)
secgrp_abc...   MySecret     type:development, type:local
secgrp_def...   MySecret     env:staging
secgrp_old...   MySecret     type:production   (archived)
"""


def test_documented_transcript() -> None:
    groups = parse_list(DOCUMENTED, ["MySecret", "Other"])
    assert groups == {
        "MySecret": [
            Group("secgrp_abc...", "MySecret",
                  frozenset({"type:development", "type:local"})),
            Group("secgrp_def...", "MySecret", frozenset({"env:staging"})),
            Group("secgrp_old...", "MySecret", frozenset({"type:production"}), archived=True),
        ],
        "Other": [],
    }


@pytest.mark.parametrize("text", ["", "\n", "ID   Secret Key   Environment(s)\n"])
def test_no_groups(text: str) -> None:
    assert parse_list(text, ["A"]) == {"A": []}


def test_tabs_colour_and_inline_archived_marker_are_read() -> None:
    text = (
        "ID\tSecret Key\tEnvironment(s)\n"
        "\x1b[1msecgrp_1\x1b[0m\tA\ttype:preview, env:qa-2\n"
        "secgrp_2   A   env:eu (archived)\n"
    )
    assert parse_list(text, ["A"])["A"] == [
        Group("secgrp_1", "A", frozenset({"type:preview", "env:qa-2"})),
        Group("secgrp_2", "A", frozenset({"env:eu"}), archived=True),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Secret Key   Production   Development\n", r"line 1: not the header"),
        ("ID   Secret Key   Environment(s)\nsecgrp_1   A\n", r"line 2: expected ID, key"),
        ("ID   Secret Key   Environment(s)\nsecgrp_1   B   type:local\n",
         r"line 2: a group of a key that was not asked for"),
        ("ID   Secret Key   Environment(s)\nsecgrp_1   A   type:staging\n",
         r"line 2: environments are not"),
        ("ID   Secret Key   Environment(s)\nsecgrp_1   A   type:local,type:preview\n",
         r"line 2: environments are not"),
        ("ID   Secret Key   Environment(s)\nsecgrp_1   A   type:local   (deleted)\n",
         r"line 2: expected ID, key"),
    ],
)
def test_what_is_not_understood_is_refused(text: str, message: str) -> None:
    with pytest.raises(ListFormatError, match=message):
        parse_list(text, ["A"])


def test_classify_follows_how_set_decides() -> None:
    wanted = selectors_of(parse_target("dev,local"))
    assert wanted == frozenset({"type:development", "type:local"})
    exact = Group("g1", "A", wanted, archived=True)
    overlap = Group("g2", "A", frozenset({"type:local", "type:production"}))
    other = Group("g3", "A", frozenset({"type:production"}))
    env = Group("g4", "A", frozenset({"env:development"}))  # an env named like a type
    assert classify([], wanted) == (Prediction.ADDED, None)
    assert classify([other, env], wanted) == (Prediction.ADDED, None)
    assert classify([other, exact], wanted) == (Prediction.UPDATED, exact)
    assert classify([overlap], wanted) == (Prediction.CONFLICT, overlap)
    assert location_of(overlap.selectors) == "production,local"
    assert location_of({"env:qa", "type:preview", "env:eu"}) == "preview,env:eu,qa"


def test_fake_prints_the_real_layout(fake_encore: FakeEncore, app: Path) -> None:
    fake_encore.add_group("MySecret", ["type:local", "type:development"])
    fake_encore.add_group("MySecret", ["type:production"], archived=True)
    fake_encore.add_group("MySecret", ["env:staging"])
    fake_encore.add_group("Other", ["env:qa"])
    completed = subprocess.run(
        [str(fake_encore.bin_dir / "encore"), "secret", "list", "MySecret"],
        cwd=app, capture_output=True, text=True, check=True,
    )
    # list.go ends every cell with a tab, so each line carries its last cell's padding.
    assert completed.stdout == (
        "ID                    Secret Key   Environment(s)                 \n"
        "secgrp_000000000001   MySecret     type:development, type:local   \n"
        "secgrp_000000000003   MySecret     env:staging                    \n"
        "secgrp_000000000002   MySecret     type:production                (archived)   \n"
    )
    assert parse_list(completed.stdout, ["MySecret"])["MySecret"][2].archived
    both = subprocess.run(
        [str(fake_encore.bin_dir / "encore"), "secret", "list", "Other", "MySecret", "Nope"],
        cwd=app, capture_output=True, text=True, check=True,
    )
    parsed = parse_list(both.stdout, ["Other", "MySecret", "Nope"])
    assert [g.id for g in parsed["MySecret"]] == [
        "secgrp_000000000001", "secgrp_000000000003", "secgrp_000000000002"
    ]
    assert parsed["Other"] == [Group("secgrp_000000000004", "Other", frozenset({"env:qa"}))]
    assert parsed["Nope"] == []
    assert both.stdout.splitlines()[-1].startswith("secgrp_000000000004   Other ")
    summary = subprocess.run(
        [str(fake_encore.bin_dir / "encore"), "secret", "list"],
        cwd=app, capture_output=True, text=True, check=True,
    )
    # The overview's header has no "Specific Envs" cell (list.go skips the label).
    assert summary.stdout == (
        "Secret Key   Production   Development   Local   Preview   \n"
        "MySecret     \u2717            \u2713             \u2713       \u2717         staging   \n"
        "Other        \u2717            \u2717             \u2717       \u2717         qa        \n"
    )
