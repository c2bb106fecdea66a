"""Bad input: a corpus of malformed configs, env files, .cue files, command lines and plugins.

Every case must end with one clear message (``stagecraft: error: ...``; a
config file with several problems gets one such line per problem, and a
usage error is preceded by argparse's usage line), the documented exit code,
no traceback, and every file of the project byte-identical to before (the
target above all).

The corpus lives in ``corpus/``: ``config/*.yml`` (as stagecraft.yml),
``env/*.env`` (each used both as the source and as an existing target),
``cue/*.cue`` (as an existing .secrets.local.cue) and ``plugins/*.py.in``
(copied to a ``--plugins-dir`` as ``.py``; stored under another suffix so
linters do not read them).  Inputs that are not text (invalid UTF-8) are
generated here.  Most cases run in-process through ``stagecraft.cli.main``;
plugins found through entry points need a real process with a
``.dist-info`` on PYTHONPATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
import reliability_helpers as h

from stagecraft.testing import RunResult, RunStagecraft

SOURCE = {"API_TOKEN": "bad-input-canary-token-31f2", "DB_URL": "postgres://u:p@db/x"}
TARGET_BYTES = b"# target, must stay byte-identical\nEXISTING=1\n"
CUE_BYTES = b'// overrides\nExisting: "1"\n'
ENVFILE = ("--provider", "envfile", "--from", "source.env", "--to", "target.env")
ENCORE = ("--provider", "encore", "--from", "source.env")

#: Lines a clean failure may print besides ``stagecraft: error:`` lines: argparse's
#: usage, indented details, warnings, and the hint that follows an internal error.
ALLOWED_PREFIXES = ("usage:", "  ", "stagecraft: warning:", "stagecraft: this is a bug")


@attrs.frozen
class Case:
    id: str
    args: tuple[str, ...]
    code: int = 1
    #: Text the error must contain: the file (and line) at fault.
    names: str = ""
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = attrs.field(factory=dict)
    subprocess: bool = False


def _file_setup(name: str, data: bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return setup


def _cases() -> list[Case]:
    cases: list[Case] = []
    corpus = h.CORPUS
    # Errors about a plugin a config names may name the plugin instead of the file.
    plugin_named = {"plugins-disable-core": "'core'",
                    "plugins-module-missing": "'no_such_module_7c1a'",
                    # a setting missing rather than wrong: no line to point at
                    "encore-no-target": "stagecraft.yml"}
    for path in sorted((corpus / "config").glob("*.yml")):
        cases.append(Case(f"config/{path.stem}", ("secrets", "sync"),
                          names=plugin_named.get(path.stem, "stagecraft.yml:"),
                          setup=_file_setup("stagecraft.yml", path.read_bytes())))
    env_inputs = {p.stem: p.read_bytes() for p in sorted((corpus / "env").glob("*.env"))}
    env_inputs |= {
        "invalid-utf8": b"GOOD=1\nK=\xff\xfe\n",
        "invalid-utf8-in-key": b"K\xc3=1\n",
        "truncated-utf8": b"K=caf\xc3",
        "latin1": "K=caf\u00e9\n".encode("latin-1"),
        "utf16": "K=1\n".encode("utf-16"),
    }
    for name, data in env_inputs.items():
        cases.append(Case(f"env-source/{name}", ("secrets", "sync", *ENVFILE[:2], "--from",
                                                  "bad.env", "--to", "target.env"),
                          names="bad.env:", setup=_file_setup("bad.env", data)))
        cases.append(Case(f"env-target/{name}", ("secrets", "sync", *ENVFILE[:4], "--to",
                                                  "bad.env"),
                          names="bad.env:", setup=_file_setup("bad.env", data)))
    cue_inputs = {p.stem: p.read_bytes() for p in sorted((corpus / "cue").glob("*.cue"))}
    cue_inputs |= {"invalid-utf8": b'A: "\xff"\n', "utf16": 'A: "x"\n'.encode("utf-16")}
    for name, data in cue_inputs.items():
        cases.append(Case(f"cue/{name}", ("secrets", "sync", *ENCORE, "--to",
                                          ".secrets.local.cue"),
                          names=".secrets.local.cue:",
                          setup=_file_setup(".secrets.local.cue", data)))
    for path in sorted((corpus / "plugins").glob("*.py.in")):
        name = path.name.removesuffix(".py.in")
        provider = "broken" if name.startswith("sync-returns") else "envfile"
        extra = ("--dry-run",) if "wrapper" in name else ()
        # A wrapper that breaks pluggy's protocol at run time is reported as an
        # internal error (exit 3) naming the plugin's file and line.
        code = 3 if name == "old-style-hookwrapper-garbage" else 1
        cases.append(Case(
            f"plugin/{name}",
            ("--plugins-dir", "plugins", "secrets", "sync", "--provider", provider,
             *ENVFILE[2:], *extra),
            code=code,
            setup=_file_setup(f"plugins/{name.replace('-', '_')}.py", path.read_bytes()),
        ))
    cases += _command_lines()
    cases += _entry_points()
    return cases


def _command_lines() -> list[Case]:
    sync = ("secrets", "sync")
    lines: dict[str, tuple[str, ...]] = {
        "no-command": (),
        "unknown-command": ("deploy",),
        "secrets-alone": ("secrets",),
        "unknown-secrets-command": ("secrets", "push"),
        "dry-run-and-check": (*sync, *ENVFILE, "--dry-run", "--check"),
        "verbose-and-quiet": ("-v", "-q", *sync, *ENVFILE),
        "unknown-option": ("--nope", *sync),
        "unknown-sync-option": (*sync, *ENVFILE, "--forcefully"),
        "to-without-value": (*sync, "--provider", "envfile", "--to"),
        "empty-plugin-option": ("-p", "", *sync, *ENVFILE),
        "plugin-no-without-name": ("-p", "no:", *sync, *ENVFILE),
        "disable-core": ("-p", "no:core", *sync, *ENVFILE),
        "missing-plugin-module": ("-p", "no_such_module_9b1f", *sync, *ENVFILE),
        "missing-config": ("--config", "missing.yml", *sync, *ENVFILE),
        "config-is-a-directory": ("--config", "adir", *sync, *ENVFILE),
        "unknown-provider": (*sync, "--provider", "nope", "--from", "source.env"),
        "no-provider-no-config": (*sync, "--from", "source.env", "--to", "target.env"),
        "missing-key": (*sync, *ENVFILE, "API_TOKEN", "NOT_THERE"),
        "invalid-key-argument": (*sync, *ENVFILE, "not a key!"),
        "missing-plugins-dir": ("--plugins-dir", "missing", *sync, *ENVFILE),
        "plugins-dir-is-a-file": ("--plugins-dir", "source.env", *sync, *ENVFILE),
        "envfile-without-paths": (*sync, "--provider", "envfile"),
        "envfile-same-file": (*sync, "--provider", "envfile", "--from", "source.env", "--to",
                              "./source.env"),
        "envfile-missing-source": (*sync, "--provider", "envfile", "--from", "nope.env",
                                   "--to", "target.env"),
        "envfile-source-is-directory": (*sync, "--provider", "envfile", "--from", "adir",
                                        "--to", "target.env"),
        "config-check-without-config": ("config", "check"),
        "encore-unknown-type": (*sync, *ENCORE, "--to", "dev,bogus"),
        "encore-empty-env": (*sync, *ENCORE, "--to", "env:"),
        "encore-empty-type": (*sync, *ENCORE, "--to", "dev,,local"),
        "encore-dash-env": (*sync, *ENCORE, "--to", "env:-x"),
        "encore-case-sensitive-type": (*sync, *ENCORE, "--to", "Dev"),
        "encore-without-target": (*sync, *ENCORE),
    }
    cases = [Case(f"argv/{name}", args) for name, args in lines.items()]
    # A stagecraft.yml that is a directory is named, not skipped.
    cases.append(Case("config/stagecraft-yml-is-a-directory", sync,
                      names="stagecraft.yml is a directory",
                      setup=lambda root: (root / "stagecraft.yml").mkdir()))
    cases.append(Case("argv/config-is-a-device", ("--config", "/dev/null", *sync, *ENVFILE),
                      names="config file /dev/null is a character device, not a file"))
    # The target of a sync is a directory: a provider-side failure, exit 2.
    cases.append(Case("argv/target-is-a-directory",
                      (*sync, *ENVFILE[:4], "--to", "adir"), code=2))
    return cases


def _dist(root: Path, name: str, entry: str, module: str, source: str) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[stagecraft]\n{entry}\n")
    if source:
        (root / f"{module}.py").write_text(source)


def _entry_points() -> list[Case]:
    plugins = h.CORPUS / "plugins"
    dists = {
        "import-error": ("brokenep = brokenep_mod", "brokenep_mod",
                         (plugins / "runtime-error-at-import.py.in").read_text()),
        "garbage": ("brokenep = brokenep_mod", "brokenep_mod",
                    (plugins / "returns-list-with-garbage.py.in").read_text()),
        "missing-module": ("brokenep = brokenep_absent_mod", "brokenep_absent_mod", ""),
        "missing-attribute": ("brokenep = brokenep_mod:nope", "brokenep_mod",
                              "VALUE = 1\n"),
        "syntax-error": ("brokenep = brokenep_mod", "brokenep_mod",
                         (plugins / "syntax-error.py.in").read_text()),
    }
    cases = []
    for name, (entry, module, source) in dists.items():
        def setup(root: Path, entry: str = entry, module: str = module,
                  source: str = source) -> None:
            _dist(root / "site", "stagecraft-brokenep", entry, module, source)

        cases.append(Case(
            f"entry-point/{name}", ("secrets", "sync", *ENVFILE), setup=setup,
            env={"STAGECRAFT_LOAD_PLUGINS": "envfile,brokenep", "PYTHONPATH": "site"},
            subprocess=True,
        ))
    return cases


CASES = _cases()


def _project(root: Path) -> None:
    root.mkdir(parents=True)
    h.write_env(root / "source.env", SOURCE)
    (root / "target.env").write_bytes(TARGET_BYTES)
    (root / "encore.app").write_text('{"id": ""}\n', encoding="utf-8")
    (root / ".secrets.local.cue").write_bytes(CUE_BYTES)
    (root / "adir").mkdir()
    (root / "plugins").mkdir()


def _run(case: Case, root: Path) -> RunResult:
    if case.subprocess:
        env = dict(case.env)
        env["PYTHONPATH"] = str(root / env["PYTHONPATH"])
        done = subprocess.run([sys.executable, "-m", "stagecraft", *case.args], cwd=root,
                              env=h.base_env(env), capture_output=True, text=True, timeout=60,
                              check=False)
        return RunResult(done.returncode, done.stdout, done.stderr)
    env = {"STAGECRAFT_LOAD_PLUGINS": h.LOAD_PLUGINS, "STAGECRAFT_DISABLE_PLUGINS": None,
           "STAGECRAFT_TRACE_PLUGINS": None, **case.env}
    return RunStagecraft(root)(*case.args, cwd=root, env=env)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 100, len(CASES)
    assert len({case.id for case in CASES}) == len(CASES)
    print(f"\nbad input: {len(CASES)} malformed inputs")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_input_is_rejected_cleanly(case: Case, tmp_path: Path) -> None:
    root = tmp_path / "project"
    _project(root)
    if case.setup is not None:
        case.setup(root)
    before = h.snapshot(root)
    result = _run(case, root)
    report = f"exit {result.exit_code}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"

    assert result.exit_code == case.code, report
    assert "Traceback" not in result.stderr, report
    errors = h.error_lines(result.stderr)
    assert errors, report
    assert case.names in "\n".join(errors), report
    others = [line for line in result.stderr.splitlines()
              if line not in errors and not line.startswith(ALLOWED_PREFIXES)]
    assert others == [], report
    # Several error lines are one message listing several problems (config
    # errors, conflicting provider ids): each line is prefixed, none is empty.
    assert all(line.removeprefix("stagecraft: error:").strip() for line in errors), report
    assert result.stdout == "", report
    after = h.snapshot(root)
    for cache in [name for name in after if name.endswith(".pyc")]:
        after.pop(cache)
    assert after == before, "a file changed or appeared"
    for name in SOURCE.values():
        assert name not in result.stderr, report
    shutil.rmtree(root)
