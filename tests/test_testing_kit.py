"""The plugin-author kit: its fixtures, and a contract suite that catches broken providers.

The contract suite is run through ``pytester`` against one reference
provider: once as written (every check passes) and once per deliberate bug,
asserting exactly which checks fail, so a check that can never fail is noticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pluggy
import pytest
from dotenv import dotenv_values

import stagecraft
from stagecraft import dotenv
from stagecraft.plugins import PluginManager
from stagecraft.providers.secrets import Context, Registry, SyncOptions, SyncResult
from stagecraft.testing import (
    CANARY_VALUES,
    TRICKY_VALUES,
    ExecStoreContract,
    ProviderChecks,
    ProviderContract,
    RunStagecraft,
    StoreContract,
    env_line,
    write_env_file,
)

pytest_plugins = ["pytester", "stagecraft.testing"]


class NullProvider:
    def __init__(self, provider_id: str = "null") -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


class NullPlugin:
    def __init__(self, provider: NullProvider) -> None:
        self.provider = provider

    @stagecraft.hookimpl
    def secrets_provider_register(self) -> NullProvider:
        return self.provider


# ------------------------------------------------------------------ env files


def test_env_line_escapes_backslash_quote_and_line_breaks() -> None:
    assert env_line("K", 'a"b\\c\nd\re') == 'K="a\\"b\\\\c\\nd\\re"\n'


def test_write_env_file_round_trips_every_tricky_value(tmp_path: Path) -> None:
    path = write_env_file(tmp_path / "source.env", {"A": "old"})
    assert write_env_file(path, TRICKY_VALUES) == path
    assert path.read_text("utf-8").count("\n") == len(TRICKY_VALUES)
    assert dotenv.load(path).values() == dict(TRICKY_VALUES)
    assert dotenv_values(path, interpolate=False) == dict(TRICKY_VALUES)


# ------------------------------------------------------------------- fixtures


def test_plugin_manager_holds_only_the_core(stagecraft_pm: PluginManager) -> None:
    # The contrib providers are installed in this environment; none may leak in.
    assert [name for name, _ in stagecraft_pm.list_name_plugin()] == ["core"]
    assert stagecraft_pm.build_registry().ids() == ()


def test_registered_plugin_reaches_the_registry(register_plugin, stagecraft_registry) -> None:
    provider = NullProvider("kit-null")
    name = register_plugin(NullPlugin(provider), name="kit")
    assert name == "kit"
    assert isinstance(stagecraft_registry, Registry)
    assert stagecraft_registry.ids() == ("kit-null",)
    assert stagecraft_registry.get("kit-null") is provider
    assert stagecraft_registry.origin("kit-null").plugin == "kit"
    assert "kit-null" in stagecraft_registry
    assert len(stagecraft_registry) == 1


def test_registry_is_built_when_first_used(
    stagecraft_registry: Registry, register_plugin
) -> None:
    # The registry fixture was created before the plugin was registered.
    register_plugin(NullPlugin(NullProvider("late")))
    assert stagecraft_registry.ids() == ("late",)


def test_misspelled_hook_is_refused_and_not_left_registered(
    register_plugin, stagecraft_pm: PluginManager
) -> None:
    class Typo:
        @stagecraft.hookimpl
        def secret_sync(self) -> None:
            """Misspelt ``secrets_sync``."""

    plugin = Typo()
    with pytest.raises(pluggy.PluginValidationError, match="secret_sync"):
        register_plugin(plugin, name="typo")
    assert not stagecraft_pm.is_registered(plugin)


def test_plugins_are_unregistered_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import stagecraft

        pytest_plugins = ["stagecraft.testing"]
        seen = {}

        class Provider:
            id = "temp"
            def sync(self, ctx, opts):
                raise AssertionError("not called")

        class Plugin:
            @stagecraft.hookimpl
            def secrets_provider_register(self):
                return Provider()

        def test_register(stagecraft_pm, register_plugin):
            seen["pm"], seen["plugin"] = stagecraft_pm, Plugin()
            register_plugin(seen["plugin"], name="temp")
            assert stagecraft_pm.is_registered(seen["plugin"])

        def test_gone_afterwards(stagecraft_pm):
            assert not seen["pm"].is_registered(seen["plugin"])
            assert seen["pm"].build_registry().ids() == ()
            assert stagecraft_pm is not seen["pm"]
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


PROBE_PLUGIN = """
import os
import stagecraft

class Probe:
    id = os.environ.get("KIT_PROBE_ID", "probe-default")

    def sync(self, ctx, opts):
        return stagecraft.SyncResult()

@stagecraft.hookimpl
def secrets_provider_register():
    return Probe()
"""


@pytest.fixture
def probe_project(tmp_path: Path) -> Path:
    """A directory with a local plugin whose provider id comes from the environment."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "probe.py").write_text(PROBE_PLUGIN)
    return tmp_path


@pytest.mark.parametrize("in_subprocess", [False, True], ids=["in-process", "subprocess"])
def test_run_stagecraft_reports_exit_code_and_output(
    run_stagecraft: RunStagecraft, in_subprocess: bool
) -> None:
    result = run_stagecraft("--version", subprocess=in_subprocess)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"stagecraft {stagecraft.__version__}")

    bad = run_stagecraft("no-such-command", subprocess=in_subprocess)
    assert bad.exit_code != 0
    assert "no-such-command" in bad.stderr
    assert bad.stdout == ""


@pytest.mark.parametrize("in_subprocess", [False, True], ids=["in-process", "subprocess"])
def test_run_stagecraft_uses_cwd_and_env(
    run_stagecraft: RunStagecraft,
    probe_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_subprocess: bool,
) -> None:
    monkeypatch.setenv("KIT_PROBE_ID", "probe-outer")
    args = ("--plugins-dir", "plugins", "secrets", "providers")

    overlaid = run_stagecraft(
        *args, cwd=probe_project, env={"KIT_PROBE_ID": "probe-inner"}, subprocess=in_subprocess
    )
    assert overlaid.exit_code == 0, overlaid.stderr
    assert "probe-inner" in overlaid.stdout
    assert "probe-outer" not in overlaid.stdout

    removed = run_stagecraft(
        *args, cwd=probe_project, env={"KIT_PROBE_ID": None}, subprocess=in_subprocess
    )
    assert removed.exit_code == 0, removed.stderr
    assert "probe-default" in removed.stdout

    # Nothing of the run stays behind in this process.
    assert os.environ["KIT_PROBE_ID"] == "probe-outer"
    assert Path.cwd() != probe_project


def test_run_stagecraft_defaults_to_the_test_directory(
    run_stagecraft: RunStagecraft, probe_project: Path
) -> None:
    result = run_stagecraft("--plugins-dir", "plugins", "secrets", "providers")
    assert result.exit_code == 0, result.stderr
    assert "probe-default" in result.stdout


ARGV_PLUGIN = """
import os
import sys
import stagecraft

class Argv:
    id = "argv-" + os.path.basename(sys.argv[0])

    def sync(self, ctx, opts):
        return stagecraft.SyncResult()

@stagecraft.hookimpl
def secrets_provider_register():
    return Argv()
"""

AUDIT_MODULE = """
import stagecraft

@stagecraft.hookimpl(wrapper=True)
def secrets_sync(provider, ctx, options):
    return (yield)
"""


def test_a_subprocess_run_is_the_console_script(
    run_stagecraft: RunStagecraft, tmp_path: Path
) -> None:
    """What users run: the `stagecraft` script, not `python -m stagecraft`."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "argv.py").write_text(ARGV_PLUGIN)
    result = run_stagecraft("--plugins-dir", "plugins", "secrets", "providers", "--json",
                            subprocess=True, env={"STAGECRAFT_LOAD_PLUGINS": ""})
    assert result.exit_code == 0, result.stderr
    assert [entry["id"] for entry in json.loads(result.stdout)] == ["argv-stagecraft"]


def test_p_module_in_the_working_directory_fails_alike_under_both_commands(
    run_stagecraft: RunStagecraft, tmp_path: Path
) -> None:
    """`-p my_audit` never imports ./my_audit.py: not under the console script, and not
    under `python -m stagecraft` either (which would otherwise put the directory on
    sys.path), so a plugin's tests cannot pass where the real command fails."""
    (tmp_path / "my_audit.py").write_text(AUDIT_MODULE)
    args = ("-p", "my_audit", "secrets", "providers")
    env = {"STAGECRAFT_LOAD_PLUGINS": ""}
    script = run_stagecraft(*args, subprocess=True, env=env)
    module = subprocess.run(
        [sys.executable, "-m", "stagecraft", *args], cwd=tmp_path, capture_output=True,
        text=True, timeout=60, check=False, env={**os.environ, **env},
    )
    assert (module.returncode, module.stdout, module.stderr) == (
        script.exit_code, script.stdout, script.stderr
    )
    assert script.exit_code == 1
    assert script.stderr == (
        "stagecraft: error: plugin module 'my_audit' failed to import: ModuleNotFoundError: "
        "No module named 'my_audit' (my_audit.py is in the working directory, but -p imports "
        "installed modules only; load a single file with --plugins-dir DIR, or install it); "
        "disable it with `-p no:my_audit` or STAGECRAFT_DISABLE_PLUGINS=my_audit\n"
    )


def test_python_m_stagecraft_still_works_from_a_directory_that_shadows_nothing(
    tmp_path: Path,
) -> None:
    done = subprocess.run([sys.executable, "-m", "stagecraft", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"stagecraft {stagecraft.__version__}")


# ------------------------------------------------------------- contract suite


def test_base_contract_is_not_collected_but_subclasses_are() -> None:
    class TestSomething(ProviderContract):
        pass

    class TestOptedOut(ProviderContract):
        __test__ = False

    class SharedBase(ProviderContract):
        pass

    class TestFromSharedBase(SharedBase):
        pass

    assert ProviderContract.__test__ is False
    assert TestSomething.__test__ is True
    assert TestOptedOut.__test__ is False
    assert SharedBase.__test__ is False
    assert TestFromSharedBase.__test__ is True


def test_one_suite_every_provider_check_runs_for_stores_and_raw_providers() -> None:
    """The checks every provider must pass are defined once and inherited by both suites."""
    shared = {name for name in vars(ProviderChecks) if name.startswith("test_")}
    assert shared == {
        "test_id_is_a_stable_non_empty_string",
        "test_results_carry_no_values",
        "test_no_value_leaks_into_logs_reprs_or_errors",
    }
    for suite in (ProviderContract, StoreContract, ExecStoreContract):
        assert issubclass(suite, ProviderChecks), suite
        assert shared <= set(dir(suite)), suite
        assert not shared & set(vars(suite)), f"{suite.__name__} redefines a shared check"
    assert StoreContract.__test__ is False
    assert ExecStoreContract.__test__ is False


def test_unimplemented_hooks_say_what_to_define(tmp_path: Path) -> None:
    class TestHalfDone(ProviderContract):
        pass

    with pytest.raises(NotImplementedError, match=r"TestHalfDone must define seed_source"):
        TestHalfDone().seed_source(tmp_path, {})


#: A correct provider between two JSON files, and switches that break it.
REFERENCE_PROVIDER = '''
import json
import logging

from stagecraft.errors import ProviderError
from stagecraft.providers.secrets import Action, MissingKeysError, SyncResult
from stagecraft.testing import ProviderContract

COUNTER = iter(range(1000))


class JsonToJson:
    def __init__(self, bugs=()):
        self.bugs = set(bugs)
        self.seen = {}
        self.id = "" if "empty_id" in self.bugs else "json-to-json"
        if "unstable_id" in self.bugs:
            self.id = f"json-{next(COUNTER)}"

    def __repr__(self):
        if "repr_leak" in self.bugs:
            return f"<JsonToJson seen={self.seen}>"
        return "<JsonToJson>"

    def sync(self, ctx, opts):
        values = json.loads(ctx.resolve(opts.source).read_text())
        self.seen = values
        if "log_values" in self.bugs:
            for key, value in values.items():
                logging.getLogger("reference").debug("read %s=%s", key, value)
        if "mangle_newlines" in self.bugs:
            values = {key: value.rstrip("\\n") for key, value in values.items()}
        target = ctx.resolve(opts.target)
        current = json.loads(target.read_text()) if target.exists() else {}
        if "write_before_check" in self.bugs and not opts.dry_run:
            present = {k: values[k] for k in opts.keys if k in values}
            target.write_text(json.dumps({**current, **present}))
        keys = list(values)
        if opts.keys and "ignore_selection" not in self.bugs:
            missing = [key for key in opts.keys if key not in values]
            if missing:
                error = MissingKeysError(missing, opts.source)
                if "value_in_error" in self.bugs:
                    raise error from ValueError(f"source held {values}")
                raise error
            keys = list(opts.keys)
        actions = []
        for key in keys:
            if opts.dry_run and "plan_updated" in self.bugs:
                actions.append((key, Action.UPDATED))
            elif "always_added" in self.bugs or key not in current:
                actions.append((key, Action.ADDED))
            elif current[key] != values[key]:
                actions.append((key, Action.UPDATED))
            else:
                actions.append((key, Action.UNCHANGED))
            current[key] = values[key]
        if not opts.dry_run or "ignore_dry_run" in self.bugs:
            target.write_text(json.dumps(current))
        return SyncResult.from_actions(actions)


class ReferenceContract(ProviderContract):
    bugs = ()

    def make_provider(self):
        return JsonToJson(self.bugs)

    def seed_source(self, tmp_path, values):
        (tmp_path / "source.json").write_text(json.dumps(dict(values)))
        return "source.json"

    def make_target(self, tmp_path):
        return "target.json"

    def read_target(self, tmp_path, target):
        path = tmp_path / target
        return json.loads(path.read_text()) if path.exists() else {}
'''

#: Which checks each bug must make fail (every other check must pass).
BUG_CASES: dict[str, tuple[str, ...]] = {
    "": (),
    "empty_id": ("test_id_is_a_stable_non_empty_string",),
    "unstable_id": ("test_id_is_a_stable_non_empty_string",),
    "write_before_check": ("test_missing_key_fails_before_writing_to_an_empty_target",
                           "test_missing_key_leaves_an_existing_target_unchanged"),
    "ignore_dry_run": ("test_dry_run_writes_nothing_and_reports_the_plan",
                       "test_dry_run_leaves_an_existing_target_alone"),
    "log_values": ("test_no_value_leaks_into_logs_reprs_or_errors",),
    "repr_leak": ("test_no_value_leaks_into_logs_reprs_or_errors",),
    "value_in_error": ("test_no_value_leaks_into_logs_reprs_or_errors",),
    "mangle_newlines": ("test_tricky_values_arrive_exactly",),
    "always_added": ("test_second_sync_reports_everything_unchanged",
                     "test_changed_source_reports_added_updated_unchanged"),
    "plan_updated": ("test_dry_run_writes_nothing_and_reports_the_plan",
                     "test_dry_run_leaves_an_existing_target_alone"),
    "ignore_selection": ("test_syncs_only_selected_keys",
                         "test_missing_key_fails_before_writing_to_an_empty_target",
                         "test_missing_key_leaves_an_existing_target_unchanged",
                         "test_no_value_leaks_into_logs_reprs_or_errors"),
}


def _class_name(bug: str) -> str:
    return "TestBug_" + bug if bug else "TestCorrect"


def test_contract_catches_each_broken_provider(pytester: pytest.Pytester) -> None:
    classes = "".join(
        textwrap.dedent(
            f"""

            class {_class_name(bug)}(ReferenceContract):
                bugs = ({bug!r},)
            """
        )
        for bug in BUG_CASES
    )
    classes += textwrap.dedent(
        """

        class TestWriteOnlyStore(ReferenceContract):
            bugs = ("always_added",)
            reports_unchanged = False

        class TestWriteOnlyPlan(ReferenceContract):
            bugs = ("plan_updated",)
            reports_unchanged = False

        class TestNoTrailingNewlines(ReferenceContract):
            bugs = ("mangle_newlines",)
            tricky_values = {
                key: value
                for key, value in ProviderContract.tricky_values.items()
                if not value.endswith("\\n")
            }
        """
    )
    pytester.makepyfile(test_reference=REFERENCE_PROVIDER + classes)
    reprec = pytester.inline_run("-p", "no:cacheprovider")
    passed, skipped, failed = reprec.listoutcomes()
    assert not skipped

    contract_tests = sorted(
        name for name in dir(ProviderContract) if name.startswith("test_")
    )
    assert len(contract_tests) == 12
    failures: dict[str, set[str]] = {}
    for report in failed:
        cls, test = report.nodeid.split("::")[1:3]
        failures.setdefault(cls, set()).add(test)
    for bug, expected in BUG_CASES.items():
        assert failures.get(_class_name(bug), set()) == set(expected), bug
    assert "TestWriteOnlyStore" not in failures
    assert "TestNoTrailingNewlines" not in failures
    assert "TestWriteOnlyPlan" not in failures
    assert "ReferenceContract" not in {r.nodeid.split("::")[1] for r in passed}
    total = len(BUG_CASES) + 3
    assert len(passed) + len(failed) == total * len(contract_tests)


def test_failure_messages_name_keys_not_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_reference=REFERENCE_PROVIDER
        + "\n\nclass TestLeaky(ReferenceContract):\n    bugs = ('log_values',)\n"
    )
    reprec = pytester.inline_run("-p", "no:cacheprovider", "-k", "no_value_leaks")
    _, _, failed = reprec.listoutcomes()
    assert len(failed) == 1
    # The failure says which keys leaked and where; pytest's own "captured
    # log" section may show the leaked line, but the verdict itself does not.
    message = str(failed[0].longrepr)
    leaked = "the value of CONTRACT_ALPHA, CONTRACT_BRAVO, CONTRACT_CHARLIE appears in "
    assert message == f"{leaked}the captured log"
    for value in CANARY_VALUES.values():
        assert value not in message
