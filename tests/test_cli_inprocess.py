"""The command's parser, help and error paths, run in-process (fast) through ``cli.main``."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from stagecraft import cli
from stagecraft.cli.global_options import merge_late
from stagecraft.redacted_logging import RedactingFormatter


@pytest.fixture
def in_project(project: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The test project as working directory, with entry-point plugins off."""
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("STAGECRAFT_LOAD_PLUGINS", "")
    monkeypatch.delenv("STAGECRAFT_DISABLE_PLUGINS", raising=False)
    return project


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], ["--config FILE", "--plugins-dir DIR", "-p MODULE|no:NAME", "exit codes:",
              "--color {auto,always,never}"]),
        (["secrets"], ["sync", "providers"]),
        (["secrets", "sync"], ["--provider ID", "--from [ID:]SOURCE", "--to [ID:]TARGET", "--check",
                               "[KEY|PATTERN ...]", "'+ KEY' added", "standard input"]),
        (["secrets", "providers"], ["--json", "[ID]"]),
        (["plugins"], ["--json", "failed"]),
        (["config"], ["check", "show"]),
        (["config", "check"], ["Validate stagecraft.yml"]),
        (["config", "show"], ["--json", "masked"]),
        (["init"], ["--provider ID", ".gitignore"]),
        (["completion"], ["{bash,zsh,fish}"]),
        (["run"], ["--env NAME", "--from LOCATION", "--mask", "[KEY|PATTERN ...]",
                   "-- COMMAND [ARG ...]", "127"]),
    ],
)
def test_every_command_has_help(
    argv: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command's help names its options and shows at least one example of it."""
    assert cli.main([*argv, "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("usage: stagecraft")
    for word in words:
        assert word in out
    examples = out.split("examples:\n", 1)[1].split("\n\n")[0].splitlines()
    assert examples
    assert all(line.strip().startswith(("stagecraft ", "eval ", "sops ")) for line in examples)
    assert any(" ".join(["stagecraft", *argv]) in line for line in examples)


def test_top_level_help_lists_every_command_and_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``stagecraft --help``: one line per (leaf) command, every exit status in the epilog."""
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    listing = out.split("commands:\n", 1)[1].split("\n\n")[0].splitlines()
    names = [line.strip().split("  ")[0] for line in listing]
    assert names == [name for name, _ in cli.COMMANDS]
    assert "secrets sync" in names
    assert "config show" in names
    codes = out.split("exit codes:\n", 1)[1].splitlines()
    assert [int(line.split()[0]) for line in codes] == [0, 1, 2, 3, 4, 126, 127, 130]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["secrets"], "the following arguments are required: COMMAND"),
        (["-v", "-q", "plugins"], "argument -q/--quiet: not allowed with argument -v/--verbose"),
        (["secrets", "sync", "--bogus"], "unrecognized option --bogus"),
        (["config", "validate"], "unknown command 'validate' (commands: check, show)"),
    ],
)
def test_usage_errors_exit_1(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"stagecraft: error: {message}" in err
    assert err.startswith("usage: stagecraft")


@pytest.mark.parametrize(
    ("plugin_arg", "message"),
    [
        ("no:", "-p no: needs a plugin name, as in `-p no:NAME`"),
        (" ", "-p needs a module name or no:NAME"),
        ("no:core", "the builtin 'core' plugin cannot be disabled"),
    ],
)
def test_bad_plugin_options(
    in_project: Any, plugin_arg: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["-p", plugin_arg, "plugins"]) == 1
    assert capsys.readouterr() == ("", f"stagecraft: error: {message}\n")


def test_sync_in_process_and_logging_is_restored(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.config("      mode: log\n")
    logger = logging.getLogger("stagecraft")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    assert cli.main(["secrets", "sync", "--json", "DB_PASSWORD", "API_TOKEN"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["changes"] == [
        {"key": "DB_PASSWORD", "action": "added"},
        {"key": "API_TOKEN", "action": "added"},
    ]
    assert "stagecraft: warning: about to write ***" in err
    assert "canary" not in out + err
    assert (logger.handlers, logger.level, logger.propagate) == (handlers, level, propagate)


def test_duplicate_keys_on_the_command_line(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.config()
    assert cli.main(["secrets", "sync", "MULTI", "MULTI"]) == 1
    assert capsys.readouterr() == ("", "stagecraft: error: key requested more than once: MULTI\n")


def test_no_providers_and_unknown_section(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.write("stagecraft.yml", "secrets:\n  providers:\n    copyjsn: {}\n")
    assert cli.main(["secrets", "providers", "--json"]) == 0
    assert capsys.readouterr() == ("[]\n", "")
    assert cli.main(["secrets", "providers"]) == 0
    assert capsys.readouterr() == (
        "", "stagecraft: no secrets providers installed (see `stagecraft plugins`)\n"
    )
    assert cli.main(["--plugins-dir", "plugins", "config", "check"]) == 1
    assert capsys.readouterr() == (
        "",
        "stagecraft: error: stagecraft.yml:3:5: secrets.providers.copyjsn: no installed "
        "secrets provider has this id (did you mean 'copyjson'?) (available: copyjson)\n",
    )


def test_config_check_without_a_chosen_provider(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.write("stagecraft.yml", "plugins:\n  dirs: [plugins]\n")
    assert cli.main(["config", "check"]) == 0
    assert capsys.readouterr() == (
        "stagecraft.yml: ok\n",
        "stagecraft: secrets.provider is not set: `secrets sync` will need --provider ID\n",
    )
    assert cli.main(["-q", "config", "check"]) == 0
    assert capsys.readouterr() == ("stagecraft.yml: ok\n", "")


def test_sync_with_config_but_no_provider_set(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.write("stagecraft.yml", "secrets: {}\nplugins:\n  dirs: [plugins]\n")
    assert cli.main(["secrets", "sync"]) == 1
    assert capsys.readouterr() == (
        "",
        "stagecraft: error: stagecraft.yml:1:10: secrets: no secrets provider chosen: set "
        "secrets.provider here or pass --provider ID\n",
    )
    # --provider overrides; with no section for it the provider uses its defaults.
    assert cli.main(["secrets", "sync", "--provider", "copyjson", "--dry-run"]) == 0
    assert capsys.readouterr().out == "+ API_TOKEN\n+ DB_PASSWORD\n+ MULTI\n"


def test_os_error_from_a_provider_exits_2(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.config()
    (Path(in_project.root) / "source.json").unlink()
    assert cli.main(["secrets", "sync"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("stagecraft: error: FileNotFoundError: [Errno 2] No such file")
    assert "Traceback" not in err


def test_an_error_the_command_composes_keeps_its_words_when_a_value_equals_one(
    in_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The exception's type name is Structural: only the exception's own text is masked."""
    in_project.config("      mode: crash\n")
    in_project.write_json("source.json", {"KIND": "RuntimeError", "API_TOKEN": "canary-token-7f"})
    assert cli.main(["secrets", "sync"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0] == (
        "stagecraft: error: internal error: RuntimeError: unexpected value ***"
    )


def test_version_text_without_entry_points(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    out, _ = capsys.readouterr()
    assert out == cli.version_text() + "\n"
    assert out.splitlines()[1] in ("plugin distributions:", "plugin distributions: none")


def test_global_options_may_follow_the_command(
    in_project: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "nullprovider.py").write_text(
        "import stagecraft\n"
        "from stagecraft.providers.secrets import SyncResult\n"
        "class P:\n"
        "    id = 'null'\n"
        "    def sync(self, ctx, opts):\n"
        "        return SyncResult()\n"
        "@stagecraft.hookimpl\n"
        "def secrets_provider_register():\n"
        "    return P()\n"
    )
    early = cli.main(["--plugins-dir", str(extra), "secrets", "providers", "--json"])
    early_ids = [entry["id"] for entry in json.loads(capsys.readouterr().out)]
    late = cli.main(["secrets", "providers", "--json", "--plugins-dir", str(extra), "-q"])
    late_ids = [entry["id"] for entry in json.loads(capsys.readouterr().out)]
    assert (early, late) == (0, 0)
    assert "null" in early_ids
    assert late_ids == early_ids
    # A late -p adds to an early one rather than replacing it.
    args = merge_late(
        cli.build_parser().parse_args(["-p", "no:a", "plugins", "-p", "no:b", "-v"])
    )
    assert (args.plugin_args, args.verbosity) == (["no:a", "no:b"], 1)


LEAKY_PLUGIN = '''
import logging
import stagecraft
from stagecraft.providers.secrets import SyncResult

class Leaky:
    id = "leaky"
    def sync(self, ctx, opts):
        value = "canary-foreign-logger-7731"
        ctx.add_secrets([value])
        logging.getLogger("some.library").warning("connecting with %s", value)
        try:
            raise RuntimeError("boom in the provider")
        except RuntimeError:
            ctx.logger.exception("failed with %s", value)
        return SyncResult()

@stagecraft.hookimpl
def secrets_provider_register():
    return Leaky()
'''


@pytest.mark.parametrize("verbose", [False, True])
def test_foreign_loggers_are_redacted_and_tracebacks_need_v(
    in_project: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], verbose: bool
) -> None:
    plugins = tmp_path / "leaky_plugins"
    plugins.mkdir()
    (plugins / "leaky.py").write_text(LEAKY_PLUGIN)
    argv = ["--plugins-dir", str(plugins), "secrets", "sync", "--provider", "leaky",
            "--from", "a", "--to", "b", *(["-v"] if verbose else [])]
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert "canary-foreign-logger-7731" not in out + err
    assert "stagecraft: warning: connecting with ***" in err
    assert "stagecraft: error: failed with ***" in err
    assert ("RuntimeError: boom in the provider" in err) is verbose
    assert logging.getLogger().handlers == [] or all(
        not isinstance(h.formatter, RedactingFormatter) for h in logging.getLogger().handlers
    )


def test_help_prose_wraps_and_layouts_stay(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Descriptions wrap to the terminal; the command list and examples keep their layout."""
    monkeypatch.setenv("COLUMNS", "60")
    assert cli.main(["secrets", "sync", "--help"]) == 0
    out = capsys.readouterr().out
    body, examples = out.split("examples:\n")
    assert max(len(line) for line in body.splitlines()) <= 60
    assert "  sops -d prod.env | stagecraft secrets sync --from - --to encore:dev,local\n" \
        in examples  # longer than 60, kept on one line
