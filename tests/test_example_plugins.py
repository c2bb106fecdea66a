"""The example plugins in ``plugins/``, used the way a team would use them.

Most tests run the real command in a subprocess with ``--plugins-dir``
pointing at the repository's ``plugins/`` directory, then look at the files
it left: the JSON target, its mode, and the audit log.  ``jsonfile`` also
passes the provider contract.
"""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import load_example_plugin

import stagecraft
from stagecraft.plugins import PluginManager
from stagecraft.providers.secrets import (
    Context,
    MissingKeysError,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)
from stagecraft.testing import ProviderContract, RunStagecraft, write_env_file

pytest_plugins = ["stagecraft.testing"]

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

CANARIES = {
    "API_TOKEN": "canary-api-token-4Fh2",
    "DB_PASSWORD": "canary db password #9",
    "PEM_KEY": "-----BEGIN CANARY-----\ncanary-pem-body-77\n-----END CANARY-----",
}


jsonfile = load_example_plugin("jsonfile")
audit_log = load_example_plugin("audit_log")


def assert_no_canary(text: str, where: str) -> None:
    leaked = sorted(key for key, value in CANARIES.items() if value in text)
    assert not leaked, f"the value of {', '.join(leaked)} appears in {where}"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def audit_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    assert_no_canary(text, "the audit log")
    return [json.loads(line) for line in text.splitlines()]


# ------------------------------------------------------------- the contract


class TestJsonFileContract(ProviderContract):
    def make_provider(self) -> SecretsProvider:
        provider: SecretsProvider = jsonfile.JsonFileStore()
        return provider

    def seed_source(self, tmp_path: Path, values: Mapping[str, str]) -> str:
        write_env_file(tmp_path / "source.env", values)
        return "source.env"

    def make_target(self, tmp_path: Path) -> str:
        return "target.json"

    def read_target(self, tmp_path: Path, target: str) -> dict[str, str]:
        path = tmp_path / target
        if not path.exists():
            return {}
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return data


# --------------------------------------------------------- through the command


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_env_file(tmp_path / ".env", CANARIES)
    return tmp_path


def sync(run: RunStagecraft, project: Path, *extra: str, **kwargs: Any) -> Any:
    result = run(
        "--plugins-dir",
        str(PLUGINS),
        "secrets",
        "sync",
        "--provider",
        "jsonfile",
        "--from",
        ".env",
        "--to",
        "out.json",
        *extra,
        cwd=project,
        subprocess=True,
        **kwargs,
    )
    assert_no_canary(result.stdout, "stdout")
    assert_no_canary(result.stderr, "stderr")
    return result


def test_sync_writes_a_private_json_file_and_one_audit_line(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    before = datetime.now(timezone.utc)
    result = sync(run_stagecraft, project, "--json")
    assert result.exit_code == 0, result.stderr

    out = project / "out.json"
    assert json.loads(out.read_text(encoding="utf-8")) == CANARIES
    assert mode_of(out) == 0o600
    report = json.loads(result.stdout)
    assert report["changes"] == [{"key": key, "action": "added"} for key in CANARIES]

    log = project / ".stagecraft-audit.jsonl"
    assert mode_of(log) == 0o600
    [line] = audit_lines(log)
    when = datetime.fromisoformat(line.pop("time"))
    assert when.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= when <= datetime.now(timezone.utc)
    assert line.pop("user")
    assert line == {
        "provider": "jsonfile",
        "cwd": str(project),
        "source": ".env",
        "target": "out.json",
        "dry_run": False,
        "changes": [{"key": key, "action": "added"} for key in CANARIES],
        "outcome": "ok",
    }


def test_second_sync_is_unchanged_and_appends_a_line(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    assert sync(run_stagecraft, project).exit_code == 0
    (project / "out.json").chmod(0o640)  # an existing file keeps its mode
    write_env_file(project / ".env", {**CANARIES, "API_TOKEN": "canary-api-token-rotated"})
    result = sync(run_stagecraft, project, "API_TOKEN", "DB_PASSWORD")
    assert result.exit_code == 0, result.stderr
    assert "canary-api-token-rotated" not in result.stdout + result.stderr

    out = project / "out.json"
    assert json.loads(out.read_text(encoding="utf-8"))["API_TOKEN"] == "canary-api-token-rotated"
    assert mode_of(out) == 0o640
    first, second = audit_lines(project / ".stagecraft-audit.jsonl")
    assert first["outcome"] == second["outcome"] == "ok"
    assert second["changes"] == [
        {"key": "API_TOKEN", "action": "updated"},
        {"key": "DB_PASSWORD", "action": "unchanged"},
    ]
    assert "canary-api-token-rotated" not in (project / ".stagecraft-audit.jsonl").read_text()


def test_keys_already_in_the_target_are_kept(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    (project / "out.json").write_text(json.dumps({"OTHER": "kept"}))
    result = sync(run_stagecraft, project, "API_TOKEN")
    assert result.exit_code == 0, result.stderr
    assert json.loads((project / "out.json").read_text()) == {
        "OTHER": "kept",
        "API_TOKEN": CANARIES["API_TOKEN"],
    }


def test_a_target_holding_a_value_that_is_not_a_string_is_refused_unchanged(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    original = json.dumps({"OTHER": "kept", "PORT": 8080})
    (project / "out.json").write_text(original)
    result = sync(run_stagecraft, project, "API_TOKEN")
    assert result.exit_code == 1
    assert "out.json: not a JSON string, as every value here must be: 'PORT'" in result.stderr
    assert (project / "out.json").read_text() == original


def test_dry_run_writes_no_target_but_is_audited(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    result = sync(run_stagecraft, project, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert not (project / "out.json").exists()
    [line] = audit_lines(project / ".stagecraft-audit.jsonl")
    assert line["dry_run"] is True
    assert line["outcome"] == "ok"
    assert [change["action"] for change in line["changes"]] == ["added"] * len(CANARIES)


def test_missing_key_fails_writes_nothing_and_is_audited_as_an_error(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    result = sync(run_stagecraft, project, "API_TOKEN", "NOT_THERE")
    assert result.exit_code == 1
    assert "NOT_THERE" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "out.json").exists()
    [line] = audit_lines(project / ".stagecraft-audit.jsonl")
    assert line["outcome"] == "error"
    assert line["error"] == "MissingKeysError"
    assert line["keys"] == ["API_TOKEN", "NOT_THERE"]
    assert "changes" not in line


def test_broken_target_is_reported_with_file_and_line(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    (project / "out.json").write_text('{\n  "A": "x",\n  oops\n}\n')
    result = sync(run_stagecraft, project)
    assert result.exit_code == 1
    assert f"{project / 'out.json'}:3: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    assert (project / "out.json").read_text() == '{\n  "A": "x",\n  oops\n}\n'
    [line] = audit_lines(project / ".stagecraft-audit.jsonl")
    assert (line["outcome"], line["error"]) == ("error", "UserError")


def test_audit_log_path_comes_from_the_environment(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    (project / "logs").mkdir()
    result = sync(run_stagecraft, project, env={"STAGECRAFT_AUDIT_LOG": "logs/audit.jsonl"})
    assert result.exit_code == 0, result.stderr
    assert not (project / ".stagecraft-audit.jsonl").exists()
    [line] = audit_lines(project / "logs" / "audit.jsonl")
    assert line["outcome"] == "ok"


def test_unwritable_audit_log_fails_the_command_clearly(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    result = sync(run_stagecraft, project, env={"STAGECRAFT_AUDIT_LOG": "missing/audit.jsonl"})
    assert result.exit_code == 2
    assert f"cannot open {project / 'missing' / 'audit.jsonl'}" in result.stderr
    assert "the sync itself completed" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads((project / "out.json").read_text()) == CANARIES


def test_config_file_paths_and_plugin_dirs(run_stagecraft: RunStagecraft, tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "sub").mkdir(parents=True)
    write_env_file(app / "dev.env", CANARIES)
    (app / "stagecraft.yml").write_text(
        "secrets:\n"
        "  provider: jsonfile\n"
        "  providers:\n"
        "    jsonfile:\n"
        "      source_file: dev.env\n"
        "      target_file: build/secrets.json\n"
        "plugins:\n"
        f"  dirs: [{json.dumps(str(PLUGINS))}]\n"
    )
    (app / "build").mkdir()
    result = run_stagecraft("secrets", "sync", cwd=app / "sub", subprocess=True)
    assert result.exit_code == 0, result.stderr
    assert_no_canary(result.stdout + result.stderr, "the output")
    target = app / "build" / "secrets.json"
    assert json.loads(target.read_text()) == CANARIES
    assert mode_of(target) == 0o600
    [line] = audit_lines(app / ".stagecraft-audit.jsonl")
    assert (line["source"], line["target"], line["cwd"]) == ("", "", str(app / "sub"))


def test_both_plugins_are_listed(run_stagecraft: RunStagecraft, tmp_path: Path) -> None:
    providers = run_stagecraft(
        "--plugins-dir", str(PLUGINS), "secrets", "providers", "--json", subprocess=True
    )
    assert providers.exit_code == 0, providers.stderr
    assert {"jsonfile", "dirstore"} <= {entry["id"] for entry in json.loads(providers.stdout)}

    plugins = run_stagecraft("--plugins-dir", str(PLUGINS), "plugins", "--json", subprocess=True)
    assert plugins.exit_code == 0, plugins.stderr
    local = {entry["name"]: entry for entry in json.loads(plugins.stdout)
             if entry["name"].startswith("local:")}
    names = ("audit_log.py", "dirstore.py", "jsonfile.py")
    expected = [f"local:{PLUGINS / name}" for name in names]
    assert sorted(local) == expected
    assert all(entry["status"] == "active" for entry in local.values())


# ------------------------------------------------- audit_log with the kit


class Exploding:
    """A provider that fails with a message holding nothing secret."""

    id = "exploding"

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        raise stagecraft.ProviderError("the store is down")


@pytest.fixture
def audited(
    register_plugin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.delenv(audit_log.ENV_AUDIT_LOG, raising=False)
    register_plugin(audit_log, name="audit_log")
    return tmp_path / ".stagecraft-audit.jsonl"


def test_wrapper_records_a_failing_provider_and_reraises(
    stagecraft_pm: PluginManager, audited: Path, tmp_path: Path
) -> None:
    ctx = Context(cwd=tmp_path / "elsewhere", config_dir=tmp_path)
    with pytest.raises(stagecraft.ProviderError, match="the store is down"):
        stagecraft_pm.hook.secrets_sync(
            provider=Exploding(), ctx=ctx, options=SyncOptions(keys=("A",), target="t")
        )
    [line] = audit_lines(audited)
    assert line["provider"] == "exploding"
    assert (line["outcome"], line["error"], line["keys"]) == ("error", "ProviderError", ["A"])


def test_wrapper_runs_around_the_provider_and_returns_its_result(
    stagecraft_pm: PluginManager, audited: Path, tmp_path: Path
) -> None:
    write_env_file(tmp_path / ".env", CANARIES)
    ctx = Context(cwd=tmp_path)
    options = SyncOptions(source=".env", target="out.json", keys=("PEM_KEY",))
    result = stagecraft_pm.hook.secrets_sync(
        provider=jsonfile.JsonFileStore(), ctx=ctx, options=options
    )
    assert result.added == ("PEM_KEY",)
    [line] = audit_lines(audited)
    assert line["changes"] == [{"key": "PEM_KEY", "action": "added"}]
    with pytest.raises(MissingKeysError):
        stagecraft_pm.hook.secrets_sync(
            provider=jsonfile.JsonFileStore(),
            ctx=ctx,
            options=SyncOptions(source=".env", target="out.json", keys=("NOPE",)),
        )
    assert [line["outcome"] for line in audit_lines(audited)] == ["ok", "error"]


def test_lines_from_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    big = {"changes": [{"key": f"K{i}", "action": "added"} for i in range(300)]}

    def write(worker: int) -> None:
        for n in range(25):
            audit_log.append_line(log, {**big, "worker": worker, "n": n})

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = audit_lines(log)
    assert len(lines) == 100
    assert all(len(line["changes"]) == 300 for line in lines)
    assert sorted((line["worker"], line["n"]) for line in lines) == [
        (worker, n) for worker in range(4) for n in range(25)
    ]
    assert mode_of(log) == 0o600


def test_values_that_are_not_strings_are_refused_by_name(
    run_stagecraft: RunStagecraft, project: Path
) -> None:
    """A number or a list is not silently left out of a sync: the keys are named, exit 1."""
    (project / "in.json").write_text('{"J1": 5, "J2": ["x"], "S": "canary-json-string"}\n')
    result = run_stagecraft(
        "--plugins-dir", str(PLUGINS), "secrets", "sync", "--from", "jsonfile:in.json",
        "--to", "envfile:out.env", cwd=project, subprocess=True,
    )
    assert result.exit_code == 1, result.stderr
    assert f"{project / 'in.json'}: not a JSON string" in result.stderr
    assert "'J1', 'J2'" in result.stderr
    assert "'S'" not in result.stderr
    assert "canary-json-string" not in result.stdout + result.stderr
    assert not (project / "out.env").exists()
