"""Usage errors name the word at fault, suggest the nearest right one and show the usage
of the command it was given to; with ``--json``, stdout holds one error object."""

from __future__ import annotations

import json

import pytest

from stagecraft import cli
from stagecraft.usage import suggest


@pytest.mark.parametrize(
    ("argv", "usage", "message"),
    [
        (["secrets", "sync", "--dryrun"], "usage: stagecraft secrets sync ",
         "unrecognized option --dryrun (did you mean '--dry-run'?)"),
        (["secrets", "sync", "--form", ".env"], "usage: stagecraft secrets sync ",
         "unrecognized option --form (did you mean '--from'?)"),
        (["secrets", "sync", "--exlude=A", "--dry-run"], "usage: stagecraft secrets sync ",
         "unrecognized option --exlude (did you mean '--exclude'?)"),
        (["secrets", "sinc"], "usage: stagecraft secrets [-h]",
         "unknown command 'sinc' (did you mean 'sync'?) (commands: sync, list, check, providers)"),
        (["--colour", "never", "secrets", "sync"], "usage: stagecraft [-h]",
         "unrecognized option --colour (did you mean '--color'?)"),
        (["config", "shwo"], "usage: stagecraft config [-h]",
         "unknown command 'shwo' (did you mean 'show'?)"),
        (["plugin"], "usage: stagecraft [-h]",
         "unknown command 'plugin' (did you mean 'plugins'?)"),
        (["secrets", "sync", "--color", "nevr"], "usage: stagecraft secrets sync ",
         "argument --color: invalid choice: 'nevr' (choose from 'auto', 'always', 'never') "
         "(did you mean 'never'?)"),
    ],
)
def test_a_mistyped_word_gets_a_suggestion_and_its_command_usage(
    argv: list[str], usage: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(usage), err
    assert f"stagecraft: error: {message}" in err


def test_values_and_abbreviations_argparse_accepts_are_not_blamed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The diagnosis reads option values and prefixes as argparse does: the real
    fault (two exclusive options) is the one reported."""
    argv = ["-p", "no:x", "--plugins-dir=d", "secrets", "sync", "--exclude", "sinc",
            "-pno:y", "--dry", "--check", "KEY"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "argument --check: not allowed with argument --dry-run" in err
    assert "unrecognized" not in err


def test_a_usage_error_with_json_prints_one_error_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["secrets", "sync", "--json", "--timeout", "abc"]) == 1
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report == {"error": {
        "message": "argument --timeout: not a number of seconds: 'abc'", "exit_code": 1}}
    assert "not a number of seconds" in err
    assert cli.main(["secrets", "sync", "--jsn"]) == 1
    assert capsys.readouterr().out == ""  # no --json, no JSON
    assert cli.main(["plugins", "--json", "--bogus"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["message"] == (
        "unrecognized option --bogus")


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("--form", ["--force", "--from", "--format"], " (did you mean '--from'?)"),
        ("--dryrun", ["--dry-run", "--prune"], " (did you mean '--dry-run'?)"),
        ("sycn", ["sync", "providers"], " (did you mean 'sync'?)"),
        ("--colr", ["--color", "--config"], " (did you mean '--color'?)"),
        ("--verbos", ["--verbose"], " (did you mean '--verbose'?)"),
        ("--providr-id", ["--provider"], " (did you mean '--provider'?)"),  # difflib
        ("--zzz", ["--from", "--to"], ""),
    ],
)
def test_suggestions(word: str, choices: list[str], expected: str) -> None:
    assert suggest(word, choices) == expected
