"""End-to-end: the real ``stagecraft`` console script against temporary projects.

Each test runs the installed script in a subprocess (about 0.2 s a run), so
tests chain several runs and check many things per run.  Every run's output
is scanned for the canary secret values.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import stagecraft

EXPECTED_KEYS = ["API_TOKEN", "DB_PASSWORD", "MULTI"]


def test_sync_check_dry_run_json_and_write(project: Any, cli_helpers: Any) -> None:
    project.config()
    target = project.root / "target.json"

    check = project.run("secrets", "sync", "--check")
    assert (check.code, check.out) == (4, "+ API_TOKEN\n+ DB_PASSWORD\n+ MULTI\n")
    assert "out of sync" in check.err
    assert not target.exists()

    dry = project.run("secrets", "sync", "--dry-run", "--json")
    assert dry.code == 0
    assert dry.json == {
        "provider": "copyjson",
        "source": "",
        "target": "",
        "dry_run": True,
        "changes": [{"key": key, "action": "added"} for key in EXPECTED_KEYS],
    }
    assert not target.exists()

    real = project.run("secrets", "sync")
    assert (real.code, real.out) == (0, "+ API_TOKEN\n+ DB_PASSWORD\n+ MULTI\n")
    assert real.err == "stagecraft: copyjson: 3 added, 0 updated, 0 unchanged, 0 removed\n"
    assert project.read_json("target.json") == cli_helpers.CANARIES

    clean = project.run("secrets", "sync", "--check", "--json")
    assert clean.code == 0
    assert [c["action"] for c in clean.json["changes"]] == ["unchanged"] * 3
    assert clean.json["dry_run"] is True

    project.write_json("source.json", {**cli_helpers.CANARIES, "API_TOKEN": "canary-rotated-99"})
    one = project.run("-q", "secrets", "sync", "API_TOKEN")
    assert (one.code, one.out, one.err) == (0, "~ API_TOKEN\n", "")
    assert project.read_json("target.json")["API_TOKEN"] == "canary-rotated-99"

    missing = project.run("secrets", "sync", "NOPE", "API_TOKEN")
    assert (missing.code, missing.out) == (1, "")
    assert missing.err == "stagecraft: error: source.json: requested key not found: NOPE\n"

    for run in (check, dry, real, clean, one, missing):
        run.assert_no_canary()
        assert "canary-rotated-99" not in run.out + run.err


def test_removed_keys_and_parent_config_with_relative_paths(project: Any) -> None:
    project.config("      prune: true\n")
    project.write_json("target.json", {"OLD": "canary-old-value", "API_TOKEN": "x"})
    sub = project.root / "deep" / "er"
    sub.mkdir(parents=True)
    # Run from a subdirectory: the config is found in a parent and its paths
    # resolve against the config file's directory, not the working directory.
    run = project.run("secrets", "sync", "--json", cwd=sub)
    assert run.code == 0, run.err
    assert run.json["changes"] == [
        {"key": "API_TOKEN", "action": "updated"},
        {"key": "DB_PASSWORD", "action": "added"},
        {"key": "MULTI", "action": "added"},
        {"key": "OLD", "action": "removed"},
    ]
    assert "OLD" not in project.read_json("target.json")
    text = project.run("secrets", "sync", "--check", cwd=sub)
    assert (text.code, text.out) == (0, "= API_TOKEN\n= DB_PASSWORD\n= MULTI\n")
    run.assert_no_canary()


def test_no_config_when_the_command_line_says_everything(project: Any, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "in.json").write_text('{"API_TOKEN": "canary-token-7f3a9c"}')
    plugins = str(project.plugins)
    run = project.run(
        "--plugins-dir", plugins, "secrets", "sync", "--provider", "copyjson",
        "--from", "in.json", "--to", "out.json", cwd=bare,
    )
    assert (run.code, run.out) == (0, "+ API_TOKEN\n")
    assert (bare / "out.json").exists()
    run.assert_no_canary()

    nothing = project.run("--plugins-dir", plugins, "secrets", "sync", cwd=bare)
    assert nothing.code == 1
    assert nothing.err.startswith(
        "stagecraft: error: no secrets provider chosen: pass --provider ID, or set "
        "secrets.provider in stagecraft.yml"
    )

    unknown = project.run("--plugins-dir", plugins, "secrets", "sync", "--provider", "copyjsn",
                          cwd=bare)
    assert (unknown.code, unknown.out) == (1, "")
    assert unknown.err == (
        "stagecraft: error: unknown secrets provider 'copyjsn' (did you mean 'copyjson'?) "
        "(available: copyjson)\n"
    )

    no_check = project.run("config", "check", cwd=bare)
    assert no_check.code == 1
    assert no_check.err.startswith(f"stagecraft: error: no stagecraft.yml found in {bare}")


def test_listings_and_config_check(project: Any) -> None:
    project.config()
    plugin_name = f"local:{project.plugins / 'copyjson.py'}"

    providers = project.run("secrets", "providers", "--json")
    assert providers.code == 0
    assert providers.json == [
        {"id": "copyjson", "plugin": plugin_name, "distribution": None, "version": None}
    ]
    text = project.run("secrets", "providers")
    assert text.out.splitlines()[0].split() == ["ID", "PLUGIN", "DISTRIBUTION"]
    assert text.out.splitlines()[1].split() == ["copyjson", plugin_name, "-"]

    plugins = project.run("plugins", "--json")
    assert plugins.code == 0
    by_name = {entry["name"]: entry for entry in plugins.json}
    assert by_name["core"] == {
        "name": "core", "kind": "builtin", "status": "active", "distribution": "stagecraft",
        "version": stagecraft.__version__, "hooks": ["secrets_sync"], "error": None,
    }
    assert by_name[plugin_name]["status"] == "active"
    assert by_name[plugin_name]["hooks"] == ["secrets_provider_register"]

    check = project.run("config", "check")
    assert (check.code, check.out) == (0, "stagecraft.yml: ok\n")
    assert f"provider 'copyjson' from plugin '{plugin_name}'" in check.err


def test_version_lists_core_and_plugin_distributions(project: Any) -> None:
    run = project.run("--version")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].startswith(f"stagecraft {stagecraft.__version__} (Python ")
    assert "  stagecraft-envfile 0.1.0" in lines
    assert "  stagecraft-encore 0.1.0" in lines


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "      prune: 5\n",
            "stagecraft: error: stagecraft.yml:7:14: secrets.providers.copyjson.prune: "
            "expected a boolean, got an integer\n",
        ),
        (
            "      mdoe: leak\n",
            "stagecraft: error: stagecraft.yml:7:7: secrets.providers.copyjson.mdoe: unknown key "
            "(did you mean 'mode'?); allowed: source_file, target_file, prune, mode\n",
        ),
    ],
)
def test_provider_section_errors_exit_1_for_sync_and_check(
    project: Any, extra: str, expected: str
) -> None:
    project.config(extra)
    for args in (("secrets", "sync"), ("config", "check")):
        run = project.run(*args)
        assert (run.code, run.out, run.err) == (1, "", expected)


def test_config_file_errors(project: Any) -> None:
    project.write("stagecraft.yml", "secrets:\n  provider: copyjson\n  provider: again\n")
    dup = project.run("secrets", "sync")
    assert (dup.code, dup.out) == (1, "")
    assert dup.err == (
        "stagecraft: error: stagecraft.yml:3:3: secrets.provider: duplicate key "
        "(first defined on line 2)\n"
    )
    project.write("elsewhere/custom.yml", "secrets:\n  provider: copyjsno\n"
                                          "plugins:\n  dirs: [../plugins]\n")
    typo = project.run("--config", "elsewhere/custom.yml", "config", "check")
    assert typo.code == 1
    assert typo.err == (
        "stagecraft: error: elsewhere/custom.yml:2:13: secrets.provider: unknown secrets "
        "provider 'copyjsno' (did you mean 'copyjson'?) (available: copyjson)\n"
    )
    gone = project.run("--config", "nope.yml", "plugins")
    assert (gone.code, gone.err) == (1, "stagecraft: error: config file nope.yml not found\n")
    # `plugins` still needs a valid config: plugins.* decide what gets loaded.
    project.write("stagecraft.yml", "plugins:\n\tdirs: []\n")
    tab = project.run("plugins")
    assert tab.code == 1
    assert tab.err == (
        "stagecraft: error: stagecraft.yml:2:1: tab character used for indentation; "
        "indent with spaces\n"
    )


def test_broken_plugins(project: Any, cli_helpers: Any) -> None:
    project.config()
    (project.plugins / "broken.py").write_text(cli_helpers.BROKEN_IMPORT_PLUGIN)
    (project.plugins / "garbage.py").write_text(cli_helpers.GARBAGE_PLUGIN)
    broken = f"local:{project.plugins / 'broken.py'}"
    garbage = f"local:{project.plugins / 'garbage.py'}"

    listing = project.run("plugins", "--json")
    assert listing.code == 0, listing.err
    by_name = {entry["name"]: entry for entry in listing.json}
    assert by_name[broken]["status"] == "failed"
    assert "failed to import: RuntimeError at " in by_name[broken]["error"]
    assert "cannot start" not in by_name[broken]["error"]  # the plugin's words: only with -v
    assert by_name[garbage]["status"] == "failed"
    assert "returned int, not a provider" in by_name[garbage]["error"]
    assert by_name[f"local:{project.plugins / 'copyjson.py'}"]["status"] == "active"

    text = project.run("plugins")
    assert text.code == 0
    assert f"    error: local plugin {project.plugins / 'broken.py'} failed to import" in text.out

    sync = project.run("secrets", "sync")
    assert (sync.code, sync.out) == (1, "")
    assert sync.err.startswith("stagecraft: error: ")
    assert "broken.py failed to import: RuntimeError at " in sync.err
    assert "(run with -v for its message)" in sync.err
    assert "Traceback" not in sync.err
    verbose = project.run("-v", "secrets", "sync")
    assert verbose.code == 1
    assert "failed to import: RuntimeError at " in verbose.err
    assert ": cannot start: missing dependency; disable it with" in verbose.err

    # `-p no:NAME` blocks local plugins by file stem; then the garbage one is reported.
    one_left = project.run("-p", "no:broken", "secrets", "sync")
    assert one_left.code == 1
    assert one_left.err == (
        f"stagecraft: error: plugin '{garbage}' returned int, not a provider; disable it with "
        f"`-p no:{garbage}` or STAGECRAFT_DISABLE_PLUGINS={garbage}\n"
    )
    fixed = project.run("-p", "no:broken", "-p", "no:garbage", "secrets", "sync", "--json")
    assert fixed.code == 0, fixed.err
    assert len(fixed.json["changes"]) == 3
    for run in (listing, text, sync, one_left, fixed):
        run.assert_no_canary()


def test_plugins_from_config_and_command_line(project: Any, cli_helpers: Any) -> None:
    project.config()
    extra = project.root / "extra"
    extra.mkdir()
    (extra / "wrapper.py").write_text(cli_helpers.BAD_WRAPPER_PLUGIN)
    run = project.run("--plugins-dir", "extra", "secrets", "sync")
    assert (run.code, run.out) == (1, "")
    assert run.err == (
        "stagecraft: error: secrets_sync returned str, not SyncResult: a plugin wrapping "
        "secrets_sync is broken (see `stagecraft plugins`)\n"
    )
    # plugins.disable in the config blocks it too.
    text = (project.root / "stagecraft.yml").read_text()
    project.write("stagecraft.yml", text + "  disable: [wrapper]\n")
    ok = project.run("--plugins-dir", "extra", "secrets", "sync", "--dry-run")
    assert ok.code == 0, ok.err
    missing_module = project.run("-p", "no_such_module_xyz", "secrets", "providers")
    assert missing_module.code == 1
    assert "plugin module 'no_such_module_xyz' failed to import" in missing_module.err


def test_provider_error_is_redacted_even_with_verbose(project: Any) -> None:
    project.config("      mode: leak\n")
    quiet = project.run("secrets", "sync")
    assert (quiet.code, quiet.out) == (2, "")
    assert quiet.err == "stagecraft: error: store rejected the value '***'\n"
    loud = project.run("-v", "secrets", "sync", "--json")
    assert loud.code == 2
    assert "Traceback (most recent call last)" in loud.err
    assert "ProviderError: store rejected the value '***'" in loud.err
    assert "stagecraft: info: read 3 keys from source.json" in loud.err
    quiet.assert_no_canary()
    loud.assert_no_canary()


def test_internal_error_exit_3(project: Any) -> None:
    project.config("      mode: crash\n")
    short = project.run("secrets", "sync")
    assert (short.code, short.out) == (3, "")
    assert short.err == (
        "stagecraft: error: internal error: RuntimeError: unexpected value ***\n"
        "stagecraft: this is a bug in stagecraft or a plugin; run with -v for the traceback\n"
    )
    verbose = project.run("-v", "secrets", "sync")
    assert verbose.code == 3
    assert "Traceback (most recent call last)" in verbose.err
    assert "copyjson.py" in verbose.err
    assert "run with -v" not in verbose.err
    short.assert_no_canary()
    verbose.assert_no_canary()


def test_partial_sync_prints_what_was_synced_and_exits_2(project: Any) -> None:
    project.config("      mode: partial\n")
    text = project.run("secrets", "sync")
    assert (text.code, text.out) == (2, "+ API_TOKEN\n+ DB_PASSWORD\n")
    assert text.err.splitlines() == [
        "stagecraft: copyjson: 2 added, 0 updated, 0 unchanged, 0 removed",
        "stagecraft: error: the store accepted some keys only",
        "  synced (2): API_TOKEN, DB_PASSWORD",
        "  not synced (1):",
        "    MULTI: rejected by the store",
    ]
    as_json = project.run("-v", "secrets", "sync", "--json")
    assert as_json.code == 2
    assert [c["key"] for c in as_json.json["changes"]] == ["API_TOKEN", "DB_PASSWORD"]
    text.assert_no_canary()
    as_json.assert_no_canary()


def test_logged_values_are_redacted(project: Any) -> None:
    project.config("      mode: log\n")
    run = project.run("secrets", "sync")
    assert run.code == 0
    assert "stagecraft: warning: about to write ***\n" in run.err
    quiet = project.run("-q", "secrets", "sync")
    assert (quiet.code, quiet.err) == (0, "")
    run.assert_no_canary()


def test_usage_errors_exit_1_and_python_m_works(project: Any) -> None:
    run = project.run("secrets", "sync", "--dry-run", "--check")
    assert (run.code, run.out) == (1, "")
    assert "stagecraft: error: argument --check: not allowed with argument --dry-run" in run.err
    helped = project.run("secrets", "--help")
    assert helped.code == 0
    assert "sync" in helped.out
    assert "providers" in helped.out
    as_module = subprocess.run(
        [sys.executable, "-m", "stagecraft", "--version"],
        capture_output=True, text=True, check=False, cwd=project.root,
    )
    assert (as_module.returncode, as_module.stderr) == (0, "")
    assert as_module.stdout.startswith(f"stagecraft {stagecraft.__version__} ")
