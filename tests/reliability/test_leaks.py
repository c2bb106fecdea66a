"""Leak scan: canary secret values through every command and path of ``stagecraft``.

Each scenario runs the real command in a fresh project whose source files hold
canary values of several shapes (plain, quoted, multi-line, non-ASCII,
backslashes, ``$`` and ``#``).  The audit_log plugin is active in every run.
Afterwards no form of any canary (as is, line by line, repr/ascii-escaped,
JSON-escaped) may occur in stdout, stderr, the audit log or any other file the
run created.  Only the files meant to hold secrets (sources, targets, the fake
encore CLI's own records, kept outside the project) are exempt.

Every scenario also asserts its exit code, so an error path that silently
stopped failing would not pass as "no leak".
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest
import reliability_helpers as h

from stagecraft.testing import env_line

CANARIES = {
    "PLAIN": "leakcanary-plain-5f1e2d",
    "QUOTED": "leakcanary 'quoted' \"both\" 8c1d",
    "MULTI": "leakcanary-first-line-77ab\nleakcanary-second-line-91cd",
    "UNICODE": "leakcanary-\u00fcn\u00efc\u00f8d\u00e9-\u2603-3e4f",
    "BACKSLASH": "leakcanary\\path\\to\\c0de",
    "SHELLY": "leakcanary $HOME #hash 1a2b",
}
#: Canaries that live only in the files of particular scenarios.
EXTRA = {
    "OLD_TARGET": "leakcanary-old-target-value-0d0d",
    "UNWRITABLE": "leakcanary-${NOT_EXPANDED}-9e9e",
    "BROKEN": "leakcanary-in-a-broken-line-4b4b",
    "CUE_OLD": "leakcanary-cue-old-value-6a6a",
    "NEWLINE_END": "leakcanary-ends-with-newline-5c5c\n",
}
ALL = {**CANARIES, **EXTRA}

CONFIG = """\
secrets:
  provider: envfile
  providers:
    envfile:
      source_file: source.env
      target_file: target.env
plugins:
  dirs: [audit]
"""

HOSTILE = '''
"""A provider that misbehaves with the values it read (mode from $HOSTILE_MODE)."""
import os

import stagecraft
from stagecraft import dotenv
from stagecraft.providers.secrets import PartialSyncError, ProviderError, SyncResult


class Hostile:
    id = "hostile"

    def sync(self, ctx, opts):
        values = dotenv.load(ctx.resolve(opts.source or "source.env")).values()
        ctx.add_secrets(values.values())
        first = values["PLAIN"]
        mode = os.environ.get("HOSTILE_MODE", "")
        ctx.logger.info("hostile: read %s", values)
        if mode == "provider-error":
            raise ProviderError(f"the store rejected {first} and {values['MULTI']!r}")
        if mode == "crash":
            raise RuntimeError(f"unexpected value {first}\\n{values}")
        if mode == "key-error":
            return {}[values["QUOTED"]]
        if mode == "partial":
            raise PartialSyncError(
                f"half done with {first}",
                SyncResult.from_actions([("PLAIN", "added")]),
                {"MULTI": f"rejected {values['MULTI']}"},
            )
        if mode == "interrupt":
            raise KeyboardInterrupt(first)
        if mode == "log":
            ctx.logger.warning("about to write %s", values["UNICODE"])
            ctx.logger.error("and %r", values["BACKSLASH"])
        if mode == "exception-log":
            try:
                raise ValueError(values["SHELLY"])
            except ValueError:
                ctx.logger.exception("caught")
        return SyncResult.from_actions([(key, "added") for key in values])


@stagecraft.hookimpl
def secrets_provider_register():
    return Hostile()
'''


@attrs.frozen
class Scenario:
    name: str
    args: tuple[str, ...]
    code: int
    env: Mapping[str, str] = attrs.field(factory=dict)
    setup: Callable[[Path], None] | None = None
    #: The plugin itself logs with ``logger.exception``: its (redacted) traceback is shown.
    traceback_ok: bool = False


def _project(root: Path, records: Path) -> dict[str, str]:
    root.mkdir(parents=True)
    (root / "stagecraft.yml").write_text(CONFIG, encoding="utf-8")
    (root / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")
    h.write_env(root / "source.env", CANARIES)
    (root / "target.env").write_text(
        f"# target\nOLD_TARGET={EXTRA['OLD_TARGET']}\n", encoding="utf-8"
    )
    (root / ".secrets.local.cue").write_text(
        f'// overrides\nCueOld: "{EXTRA["CUE_OLD"]}"\n', encoding="utf-8"
    )
    (root / "unwritable.env").write_text(
        f"PLAIN={CANARIES['PLAIN']}\nUNWRITABLE='{EXTRA['UNWRITABLE']}'\n", encoding="utf-8"
    )
    (root / "newline.env").write_text(
        f"PLAIN={CANARIES['PLAIN']}\n" + env_line("NEWLINE_END", EXTRA["NEWLINE_END"]),
        encoding="utf-8",
    )
    for name, line in {
        "broken-quote.env": f'GOOD={CANARIES["PLAIN"]}\nBAD="{EXTRA["BROKEN"]}\n',
        "broken-key.env": f"GOOD={CANARIES['PLAIN']}\nbad key={EXTRA['BROKEN']}\n",
        "broken-tail.env": f'GOOD={CANARIES["PLAIN"]}\nBAD="x" {EXTRA["BROKEN"]}\n',
        "broken-colon.env": f"GOOD={CANARIES['PLAIN']}\nBAD: {EXTRA['BROKEN']}\n",
    }.items():
        (root / name).write_text(line, encoding="utf-8")
    (root / "audit").mkdir()
    shutil.copy(h.EXAMPLE_PLUGINS / "audit_log.py", root / "audit" / "audit_log.py")
    (root / "hostile").mkdir()
    (root / "hostile" / "hostile.py").write_text(HOSTILE, encoding="utf-8")
    (root / "diskfull").mkdir()
    (root / "diskfull" / "diskfull.py").write_text(h.DISK_FULL_PLUGIN, encoding="utf-8")
    env = h.install_fake_encore(records / "bin", records)
    env["STAGECRAFT_AUDIT_LOG"] = "audit.jsonl"
    return env


def _broken_target(root: Path) -> None:
    (root / "target.env").write_text(f'OLD="{EXTRA["OLD_TARGET"]}\n', encoding="utf-8")


def _broken_cue(root: Path) -> None:
    (root / ".secrets.local.cue").write_text(
        f'CueOld: "{EXTRA["CUE_OLD"]}" + "more"\n', encoding="utf-8"  # an expression: refused
    )


def _target_dir(root: Path) -> None:
    (root / "target.env").unlink()
    (root / "target.env").mkdir()


def _no_create(root: Path) -> None:
    (root / "target.env").unlink()
    (root / "stagecraft.yml").write_text(
        CONFIG.replace("target_file: target.env", "target_file: target.env\n      "
                       "create_target: false"),
        encoding="utf-8",
    )


def _audit_unwritable(root: Path) -> None:
    (root / "audit.jsonl").mkdir()


SYNC = ("secrets", "sync")
ENC = (*SYNC, "--provider", "encore", "--from", "source.env")
HOST = ("--plugins-dir", "hostile", *SYNC, "--provider", "hostile")
TRACE = {"STAGECRAFT_TRACE_PLUGINS": "1"}
FAIL = {"FAKE_ENCORE_FAIL_KEYS": "PLAIN,MULTI,UNICODE", "FAKE_ENCORE_ECHO_VALUE": "1"}


def _scenarios() -> list[Scenario]:
    s: list[Scenario] = []

    def add(name: str, args: tuple[str, ...], code: int, **kw: object) -> None:
        s.append(Scenario(name, args, code, **kw))  # type: ignore[arg-type]

    # envfile: success and read-only paths
    for flags in [(), ("--json",), ("--dry-run",), ("--dry-run", "--json")]:
        for verbosity in [(), ("-v",), ("-q",)]:
            add(f"envfile {verbosity} {flags}", (*verbosity, *SYNC, *flags), 0)
    add("envfile --check drift", (*SYNC, "--check"), 4)
    add("envfile -v --check --json drift", ("-v", *SYNC, "--check", "--json"), 4)
    add("envfile selected keys", ("-v", *SYNC, "PLAIN", "MULTI"), 0)
    add("envfile traced", ("-v", *SYNC), 0, env=TRACE)
    add("envfile traced json", (*SYNC, "--json"), 0, env=TRACE)
    add("envfile traced dry run", ("-v", *SYNC, "--dry-run"), 0, env=TRACE)
    add("config check", ("-v", "config", "check"), 0)
    add("providers", ("secrets", "providers", "--json"), 0)
    add("plugins", ("plugins", "--json"), 0)
    # envfile: error paths
    for verbosity in [(), ("-v",)]:
        v = " ".join(verbosity)
        add(f"missing key {v}", (*verbosity, *SYNC, "PLAIN", "NOPE"), 1)
        add(f"missing source {v}", (*verbosity, *SYNC, "--from", "nope.env"), 1)
        add(f"unwritable value {v}", (*verbosity, *SYNC, "--from", "unwritable.env"), 1)
        for broken in ("quote", "key", "tail", "colon"):
            add(f"broken source {broken} {v}",
                (*verbosity, *SYNC, "--from", f"broken-{broken}.env"), 1)
        add(f"broken target {v}", (*verbosity, *SYNC), 1, setup=_broken_target)
        add(f"target is a directory {v}", (*verbosity, *SYNC), 2, setup=_target_dir)
        add(f"create_target false {v}", (*verbosity, *SYNC), 1, setup=_no_create)
        add(f"disk full {v}", (*verbosity, "--plugins-dir", "diskfull", *SYNC), 2)
        add(f"audit log unwritable {v}", (*verbosity, *SYNC), 2, setup=_audit_unwritable)
        add(f"unknown provider {v}", (*verbosity, *SYNC, "--provider", "nope"), 1)
        add(f"same file {v}", (*verbosity, *SYNC, "--to", "source.env"), 1)
    # a provider that puts values in its errors and logs
    for verbosity in [(), ("-v",)]:
        v = " ".join(verbosity)
        add(f"hostile provider error {v}", (*verbosity, *HOST), 2,
            env={"HOSTILE_MODE": "provider-error"})
        add(f"hostile crash {v}", (*verbosity, *HOST), 3, env={"HOSTILE_MODE": "crash"})
        add(f"hostile key error {v}", (*verbosity, *HOST), 3, env={"HOSTILE_MODE": "key-error"})
        add(f"hostile partial {v}", (*verbosity, *HOST, "--json"), 2,
            env={"HOSTILE_MODE": "partial"})
        add(f"hostile logs {v}", (*verbosity, *HOST), 0, env={"HOSTILE_MODE": "log"})
        add(f"hostile interrupted {v}", (*verbosity, *HOST), 130,
            env={"HOSTILE_MODE": "interrupt"})
        add(f"hostile exception log {v}", (*verbosity, *HOST), 0,
            env={"HOSTILE_MODE": "exception-log"}, traceback_ok=True)
    add("hostile crash traced", ("-v", *HOST), 3, env={"HOSTILE_MODE": "crash", **TRACE})
    # encore through the (fake) CLI, and the override file
    for verbosity in [(), ("-v",)]:
        v = " ".join(verbosity)
        add(f"encore cli {v}", (*verbosity, *ENC, "--to", "dev,local"), 0)
        add(f"encore cli dry run {v}", (*verbosity, *ENC, "--to", "dev", "--dry-run"), 0)
        add(f"encore cli failing and echoing {v}", (*verbosity, *ENC, "--to", "dev"), 2, env=FAIL)
        add(f"encore cli failing json {v}", (*verbosity, *ENC, "--to", "dev", "--json"), 2,
            env=FAIL)
        add(f"encore unlinked {v}", (*verbosity, *ENC, "--to", "prod"), 2,
            env={"FAKE_ENCORE_UNLINKED": "1"})
        add(f"encore unknown env {v}", (*verbosity, *ENC, "--to", "env:nowhere"), 2,
            env={"FAKE_ENCORE_ENVS": "staging"})
        add(f"encore newline refused {v}",
            (*verbosity, *SYNC, "--provider", "encore", "--from", "newline.env", "--to", "dev"),
            1)
        add(f"encore cue {v}", (*verbosity, *ENC, "--to", ".secrets.local.cue"), 0)
        add(f"encore cue check {v}", (*verbosity, *ENC, "--to", ".secrets.local.cue", "--check"),
            4)
        add(f"encore cue broken {v}", (*verbosity, *ENC, "--to", ".secrets.local.cue"), 1,
            setup=_broken_cue)
    add("encore cli traced", ("-v", *ENC, "--to", "dev"), 2, env={**FAIL, **TRACE})
    add("encore missing binary", ("-v", *ENC, "--to", "dev"), 2, env={"PATH": "/nonexistent"})
    return s


SCENARIOS = _scenarios()
#: Files that hold secrets by design (inputs and targets).
SECRET_FILES = {"source.env", "target.env", ".secrets.local.cue", "unwritable.env",
                "newline.env", "broken-quote.env", "broken-key.env", "broken-tail.env",
                "broken-colon.env"}


def _scan(tmp_path: Path, index: int, scenario: Scenario) -> tuple[list[str], int]:
    """Problems found, and the number of audit lines the run wrote."""
    root = tmp_path / f"s{index}" / "project"
    env = _project(root, tmp_path / f"s{index}" / "records")
    if scenario.setup is not None:
        scenario.setup(root)
    result = h.run(*scenario.args, cwd=root, env={**env, **scenario.env})
    problems = []
    if result.code != scenario.code:
        problems.append(f"{scenario.name}: expected exit {scenario.code}\n{result.describe()}")
    if "Traceback" in result.err and "-v" not in scenario.args and not scenario.traceback_ok:
        problems.append(f"{scenario.name}: traceback without -v\n{result.describe()}")
    for stream, text in (("stdout", result.out), ("stderr", result.err)):
        leaked = h.find_leaks(text, ALL)
        if leaked:
            problems.append(f"{scenario.name}: {leaked} leaked to {stream}\n{result.describe()}")
    others = [p for p in root.rglob("*") if p.name not in SECRET_FILES and p.is_file()]
    for path, leaked in h.scan_files(others, ALL).items():
        problems.append(f"{scenario.name}: {leaked} leaked to {path}")
    audit = root / "audit.jsonl"
    lines = len(audit.read_text(encoding="utf-8").splitlines()) if audit.is_file() else 0
    return problems, lines


def test_no_canary_leaks_anywhere(tmp_path: Path, record_property: pytest.RecordProperty) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda pair: _scan(tmp_path, *pair), enumerate(SCENARIOS)))
    problems = [problem for group, _ in found for problem in group]
    assert not problems, "\n\n".join(problems)
    # The audit log was really written (and scanned) in most scenarios.
    audited = sum(1 for _, lines in found if lines)
    assert audited > len(SCENARIOS) // 2, audited
    record_property("scenarios", len(SCENARIOS))
    print(f"\nleaks: {len(SCENARIOS)} scenarios scanned ({audited} wrote audit lines), "
          "zero canary occurrences")


def test_the_scan_finds_escaped_forms() -> None:
    """The scanner itself: each escaped form of a canary counts as a leak."""
    value = CANARIES["MULTI"]
    as_json = json.dumps({"v": value})
    for text in (value, repr(value), ascii(CANARIES["UNICODE"]), as_json,
                 "line: leakcanary-second-line-91cd"):
        assert h.find_leaks(text, CANARIES), text
    assert h.find_leaks("nothing here ***", CANARIES) == []
