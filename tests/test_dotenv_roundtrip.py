"""Every value Stagecraft writes is read back exactly by the real readers it targets.

For each ``readers`` setting, every corpus value (tests/envfile_corpus.py) is
written with :func:`stagecraft.dotenv.format_value`, once alone between two
neighbour lines and once all together in one file, and read back by the real
programs of that setting:

* python-dotenv with interpolation on and off;
* Node's dotenv;
* bash and dash (``set -a; . ./FILE``);
* dotenv-expand after Node's dotenv, and @next/env's ``loadEnvConfig``;
* and Stagecraft's own parser.

docker compose (compose-go) cannot run here: its settings are read back by
the others and by Stagecraft's model of it (tests/test_dotenv_readers.py).
Every refusal must name the key and a reason, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import envfile_readers as readers
import pytest
from envfile_corpus import CORPUS

from stagecraft import dotenv
from stagecraft.dotenv import DEFAULT_READERS, Reader, UnwritableValueError, writer
from stagecraft.dotenv.readers.docker_compose import read_docker_compose

PD, ND, DC = Reader.PYTHON_DOTENV, Reader.NODE_DOTENV, Reader.DOCKER_COMPOSE
SH, DE = Reader.SHELL, Reader.DOTENV_EXPAND

SETTINGS: dict[str, frozenset[Reader]] = {
    "default": DEFAULT_READERS,
    "python-dotenv": frozenset({PD}),
    "node-dotenv": frozenset({ND}),
    "docker-compose": frozenset({DC}),
    "shell": frozenset({SH}),
    "dotenv-expand": frozenset({DE}),
    "shell+default": DEFAULT_READERS | {SH},
    "dotenv-expand+docker-compose": frozenset({DE, DC}),
    "dotenv-expand+shell": frozenset({DE, SH}),
    "dotenv-expand+node-dotenv": frozenset({DE, ND}),
}

#: Share of the corpus each setting must write (issue 17 asks 85% of the new ones).
MINIMUM_WRITTEN = {"shell": 0.85, "dotenv-expand": 0.85}

NEIGHBOURS = {"BEFORE": "before", "AFTER": "after"}


def alone(form: str) -> str:
    return f"BEFORE=before\nK={form}\nAFTER=after\n"


def together(forms: list[str]) -> str:
    """Each form as K<i>, with a comment holding every quote kind and a SEP<i> after it."""
    return "".join(f"K{i}={form}\n# ' \" `\nSEP{i}=sep\n" for i, form in enumerate(forms))


def write(values: list[str], chosen: frozenset[Reader]) -> tuple[list[tuple[str, str]], list[str]]:
    """(value, form) of each value written for ``chosen``, and the refused values.

    Every refusal must name the key and a reason, and never show the value.
    """
    written, refused = [], []
    for value in values:
        try:
            written.append((value, dotenv.format_value("SOME_KEY", value, chosen)))
        except UnwritableValueError as exc:
            refused.append((value, exc))
    for value, error in refused:
        message = str(error)
        assert error.key == "SOME_KEY"
        assert error.reason
        assert message.startswith("cannot write 'SOME_KEY' to an env file: ")
        assert message.endswith(error.reason)
        if len(value) >= 6 and value.strip():
            assert value not in message
            assert value not in repr(error)
    return written, [value for value, _ in refused]


class Files:
    """The files of one setting in a scratch directory, and their expected values."""

    def __init__(self, root: Path, written: list[tuple[str, str]]) -> None:
        self.root = root
        self.expected_alone = [{**NEIGHBOURS, "K": value} for value, _ in written]
        self.names = [f"v{i:03}.env" for i in range(len(written))]
        for name, (_, form) in zip(self.names, written, strict=True):
            (root / name).write_text(alone(form), encoding="utf-8", newline="")
        self.expected_all: dict[str, str] = {}
        for i, (value, _) in enumerate(written):
            self.expected_all[f"K{i}"] = value
            self.expected_all[f"SEP{i}"] = "sep"
        (root / "all.env").write_text(
            together([form for _, form in written]), encoding="utf-8", newline=""
        )
        (root / "empty.env").write_text("", encoding="utf-8")

    @property
    def paths(self) -> list[Path]:
        return [self.root / name for name in [*self.names, "all.env"]]

    @property
    def expected(self) -> list[dict[str, str]]:
        return [*self.expected_alone, self.expected_all]


def mismatches(
    reader: str, files: Files, results: list[Mapping[str, str | None] | None]
) -> list[str]:
    problems = []
    for path, want, got in zip(files.paths, files.expected, results, strict=True):
        if got != want:
            detail = "failed" if got is None else _difference(want, got)
            problems.append(f"{reader} {path.name}: {detail}")
    return problems


def _difference(want: Mapping[str, str], got: Mapping[str, str | None]) -> str:
    wrong = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    return ", ".join(f"{k}: wanted {want.get(k)!r}, read {got.get(k)!r}" for k in wrong[:3])


def real_readers(chosen: frozenset[Reader]) -> dict[str, Callable[[Files], list[Any]]]:
    """The real programs that stand for each chosen reader."""
    runs: dict[str, Callable[[Files], list[Any]]] = {}
    if PD in chosen:
        for interpolate in (True, False):
            runs[f"python-dotenv(interpolate={interpolate})"] = lambda f, i=interpolate: [
                readers.python_dotenv(path, interpolate=i) for path in f.paths
            ]
    if ND in chosen:
        runs["node dotenv"] = lambda f: readers.node("dotenv", f.paths, f.root)
    if DE in chosen:
        runs["dotenv-expand"] = lambda f: readers.node("expand", f.paths, f.root)
        runs["@next/env"] = _next_env
    if SH in chosen:
        for program in ("bash", "dash"):
            runs[program] = lambda f, p=program: _shell(p, f)
    return runs


def _next_env(files: Files) -> list[Any]:
    """@next/env loads ``.env`` from a directory: one directory per file."""
    dirs = []
    for path in files.paths:
        folder = files.root / "next" / path.stem
        folder.mkdir(parents=True)
        (folder / ".env").write_bytes(path.read_bytes())
        dirs.append(folder)
    return readers.node("next", dirs, files.root)


def _shell(program: str, files: Files) -> list[Any]:
    names = ["empty.env", *(path.name for path in files.paths)]
    baseline, *results = readers.shell(program, names, files.root)
    assert baseline is not None
    return [
        None if env is None else {k: v for k, v in env.items() if k not in baseline}
        for env in results
    ]


Any = object  # results are dicts of str (or None); typed loosely for the lambdas


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_written_values_read_back_exactly_by_every_real_reader(
    setting: str, tmp_path: Path
) -> None:
    chosen = SETTINGS[setting]
    written, refused = write(CORPUS, chosen)
    share = len(written) / len(CORPUS)
    assert share >= MINIMUM_WRITTEN.get(setting, 0.5), (setting, len(refused))
    files = Files(tmp_path, written)

    problems: list[str] = []
    ours = [dotenv.load(path, readers=chosen).values() for path in files.paths]
    problems += mismatches("stagecraft", files, ours)
    for name, run in real_readers(chosen).items():
        problems += mismatches(name, files, run(files))
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:20])
    # No reader ran a command from a value (the corpus has several that would).
    assert not sorted(tmp_path.rglob("ran-*"))


def test_default_readers_refuse_only_what_cannot_be_carried() -> None:
    """The refusals of the default setting, each for a reason the facts give."""
    _, refused = write(CORPUS, DEFAULT_READERS)
    for value in refused:
        reason = writer._reason(value, DEFAULT_READERS)
        assert (
            "\x00" in value
            or "expands '${...}'" in reason  # python-dotenv interpolation
            or ("'" in value and '"' in value)  # Node has no quote escape
            or ("\r" in value and ('"' in value or "$" in value or "\\" in value))
            or ("'" in value and "$" in value)  # compose expands outside '...'
            or ("\\" in value and ("'" in value or '"' in value))
            or value.endswith("\\")
        ), (value, reason)
    assert len(refused) <= 40, len(refused)


@pytest.mark.parametrize(
    "value",
    ["${", "a${b", "}${", "$'a\\nb'", "$'a\nb'", "a\\_b #", "it's #\\_", "x \\{\\} #", "${X",
     "a$", "$ $", "$'x"],
)
def test_values_all_three_readers_carry_are_written(value: str) -> None:
    form = dotenv.format_value("K", value)
    assert read_docker_compose(form) == value
    assert dotenv.parse(f"K={form}\n").values() == {"K": value}
