"""What stops a sync from losing data: a source that does not exist, an empty source
with ``--prune``, and keys changed in the target since the last sync (conflicts).

Through the real command (in process, the envfile store from its entry point),
with a real pipe for ``--from -``; the plan and record units at the end.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stagecraft import cli
from stagecraft.plan import plan
from stagecraft.providers.secrets import Action
from stagecraft.record import TargetRecord, WriteRecord

SOURCE = "API_KEY=guard-canary-api-41\nDB_PASSWORD=guard-canary-old-pass-42\n"
ROTATED = "guard-canary-rotated-pass-43"


def run(root: Path, *args: str) -> tuple[int, str, str]:
    """``stagecraft ARGS`` in ``root``, in process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".env.local").write_text(SOURCE)
    return tmp_path


def sync(root: Path, *extra: str, source: str = ".env.local") -> tuple[int, str, str]:
    return run(root, "secrets", "sync", "--from", source, "--to", "envfile:.env.prod", *extra)


def rotate(path: Path, key: str, value: str) -> None:
    """Change ``key`` in an env file, as someone editing the target would."""
    lines = [f"{key}={value}" if line.startswith(f"{key}=") else line
             for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")


# ------------------------------------------------------------ a source that does not exist


@pytest.mark.parametrize("source", ["envfile:.env.locl", ".env.locl"])
def test_a_mistyped_source_is_an_error_and_prune_removes_nothing(root: Path,
                                                                 source: str) -> None:
    assert sync(root)[0] == 0
    before = (root / ".env.prod").read_bytes()
    code, out, err = sync(root, "--prune", source=source)
    assert code == 1
    assert out == ""
    assert ".env.locl" in err
    assert "not found" in err or "does not exist" in err
    assert (root / ".env.prod").read_bytes() == before


def test_a_store_source_that_does_not_exist_names_it(root: Path) -> None:
    code, _, err = sync(root, source="envfile:.env.locl")
    assert code == 1
    missing = root / ".env.locl"
    assert err == (f"stagecraft: error: envfile:{missing}: the source does not exist (no file "
                   f"{missing}); check the location (nothing was written)\n")
    assert not (root / ".env.prod").exists()


def test_a_target_that_does_not_exist_is_created(root: Path) -> None:
    code, out, _ = sync(root, "--prune", source="envfile:.env.local")
    assert (code, out) == (0, "+ API_KEY\n+ DB_PASSWORD\n")
    assert (root / ".env.prod").read_text() == SOURCE


# ------------------------------------------------------------ --prune and an empty source


def test_an_empty_source_with_prune_is_refused_unless_allowed(root: Path) -> None:
    assert sync(root)[0] == 0
    (root / ".env.empty").write_text("# nothing here\n")
    before = (root / ".env.prod").read_bytes()
    code, out, err = sync(root, "--prune", source=".env.empty")
    assert (code, out) == (1, "")
    assert "the source has no selected key" in err
    assert "--allow-empty-source" in err
    assert (root / ".env.prod").read_bytes() == before
    code, out, _ = sync(root, "--prune", "--dry-run", source=".env.empty")
    assert code == 1, "a dry run is refused too"
    code, out, _ = sync(root, "--prune", "--allow-empty-source", source=".env.empty")
    assert (code, out) == (0, "- API_KEY\n- DB_PASSWORD\n")
    assert "API_KEY" not in (root / ".env.prod").read_text()


def test_a_pattern_selecting_nothing_in_the_source_is_an_empty_source(root: Path) -> None:
    assert sync(root)[0] == 0
    (root / ".env.api").write_text("API_KEY=guard-canary-api-41\n")
    code, out, err = sync(root, "--prune", "DB_*", source=".env.api")
    assert (code, out) == (1, "")
    assert "the source has no selected key" in err
    code, out, _ = sync(root, "--prune", "DB_*", "--allow-empty-source", source=".env.api")
    assert (code, out) == (0, "- DB_PASSWORD\n")


def test_a_failing_pipeline_into_prune_deletes_nothing(root: Path) -> None:
    """``sops -d ... | stagecraft ... --from - --prune`` with the decryption failing."""
    assert sync(root)[0] == 0
    before = (root / ".env.prod").read_bytes()
    stagecraft = Path(sys.executable).with_name("stagecraft")
    done = subprocess.run(
        ["bash", "-c", f"false | {stagecraft} secrets sync --from - --to envfile:.env.prod "
                       "--prune"],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("STAGECRAFT_")},
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "-: the source has no selected key" in done.stderr
    assert (root / ".env.prod").read_bytes() == before


# ------------------------------------------------------------ conflicts


def test_a_value_rotated_in_the_target_is_a_conflict_and_nothing_is_written(
    root: Path,
) -> None:
    assert sync(root)[0] == 0
    target = root / ".env.prod"
    rotate(target, "DB_PASSWORD", ROTATED)
    rotate(root / ".env.local", "API_KEY", "guard-canary-api-new-44")
    before = target.read_bytes()

    code, out, err = sync(root)
    assert code == 1
    assert out == "~ API_KEY\n! DB_PASSWORD\n"
    assert "1 conflict" in err
    assert "changed in the target since this machine last synced them" in err
    assert "DB_PASSWORD" in err
    assert "--force" in err
    assert target.read_bytes() == before, "a conflict must stop every write"

    code, out, err = sync(root, "--check")
    assert (code, out) == (4, "~ API_KEY\n! DB_PASSWORD\n")
    code, out, _ = sync(root, "--dry-run")
    assert (code, out) == (1, "~ API_KEY\n! DB_PASSWORD\n")

    code, out, _ = sync(root, "--json")
    report = json.loads(out)
    assert code == 1
    assert report["changes"] == [{"key": "API_KEY", "action": "updated"},
                                 {"key": "DB_PASSWORD", "action": "conflict"}]
    assert report["error"]["exit_code"] == 1
    code, out, _ = sync(root, "--json", "--check")
    assert code == 4
    assert json.loads(out)["changes"][1] == {"key": "DB_PASSWORD", "action": "conflict"}
    assert ROTATED not in out + err
    assert target.read_bytes() == before

    code, out, _ = sync(root, "--force")
    assert (code, out) == (0, "~ API_KEY\n~ DB_PASSWORD\n")
    assert "DB_PASSWORD=guard-canary-old-pass-42" in target.read_text()
    assert sync(root)[:2] == (0, "= API_KEY\n= DB_PASSWORD\n"), "--force updates the record"


def test_a_pruned_key_changed_in_the_target_is_a_conflict(root: Path) -> None:
    assert sync(root)[0] == 0
    rotate(root / ".env.prod", "DB_PASSWORD", ROTATED)
    (root / ".env.local").write_text("API_KEY=guard-canary-api-41\n")
    code, out, _ = sync(root, "--prune")
    assert (code, out) == (1, "= API_KEY\n! DB_PASSWORD\n")
    assert ROTATED in (root / ".env.prod").read_text()


def test_without_a_record_the_sync_writes_as_before(root: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert sync(root)[0] == 0
    rotate(root / ".env.prod", "DB_PASSWORD", ROTATED)
    assert sync(root, "--no-record")[:2] == (0, "= API_KEY\n~ DB_PASSWORD\n")
    rotate(root / ".env.prod", "DB_PASSWORD", ROTATED)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "fresh-machine"))
    assert sync(root)[:2] == (0, "= API_KEY\n~ DB_PASSWORD\n"), "a fresh machine has no record"


def test_a_value_brought_into_the_source_clears_the_conflict(root: Path) -> None:
    assert sync(root)[0] == 0
    rotate(root / ".env.prod", "DB_PASSWORD", ROTATED)
    assert sync(root)[0] == 1
    rotate(root / ".env.local", "DB_PASSWORD", ROTATED)  # the rotation reaches the source
    assert sync(root)[:2] == (0, "= API_KEY\n= DB_PASSWORD\n")
    rotate(root / ".env.local", "DB_PASSWORD", "guard-canary-next-45")  # the next rotation
    assert sync(root)[:2] == (0, "= API_KEY\n~ DB_PASSWORD\n")


def test_the_record_holds_no_value(root: Path) -> None:
    assert sync(root)[0] == 0
    rotate(root / ".env.prod", "DB_PASSWORD", ROTATED)
    sync(root)
    state = Path(os.environ["XDG_STATE_HOME"]) / "stagecraft" / "written.json"
    text = state.read_text()
    assert "DB_PASSWORD" not in text  # not even the key names ...
    for value in ("guard-canary", ROTATED, "old-pass"):
        assert value not in text  # ... never a value


# ------------------------------------------------------------ units


def test_plan_with_conflicts_writes_and_removes_none_of_them() -> None:
    the_plan = plan({"A": "1", "B": "2", "C": "3"}, {"A": "0", "B": "2", "C": "9", "D": "4"},
                    None, ["D"])
    marked = the_plan.with_conflicts({"C", "D"})
    assert marked.actions == (Action.UPDATED, Action.UNCHANGED, Action.CONFLICT,
                              Action.CONFLICT)
    assert dict(marked.writes) == {"A": "1"}
    assert marked.deletes == ()
    assert the_plan.with_conflicts(set()) is the_plan


def test_target_record_finds_changed_values_only_where_it_has_entries(tmp_path: Path) -> None:
    record = WriteRecord(logging.getLogger("test"), config_dir=tmp_path / "c",
                         state_dir=tmp_path / "s")
    TargetRecord(record, "s", "loc").update({"A": "1", "B": "2"})
    target = TargetRecord(record, "s", "loc")
    assert target.changed({"A": "1", "B": "changed", "C": "new"}, ["A", "B", "C"]) == ["B"]
    assert target.changed({"A": "1"}, ["B"]) == [], "a key gone from the target is no conflict"
    assert target.unrecorded({"A": "1", "C": "3"}) == {"C": "3"}
    assert TargetRecord(record, "s", "other").changed({"A": "x"}, ["A"]) == []


def test_a_value_being_written_is_not_a_change_made_elsewhere(tmp_path: Path) -> None:
    """A sync killed between its write and the record's update (or another sync reading
    the target meanwhile) sees the value being written: no conflict, and no "unchanged"."""
    record = WriteRecord(logging.getLogger("test"), config_dir=tmp_path / "c",
                         state_dir=tmp_path / "s")
    TargetRecord(record, "s", "loc").update({"A": "old"})
    TargetRecord(record, "s", "loc").attempt({"A": "new", "B": "first"})  # then killed
    after = TargetRecord(record, "s", "loc")
    assert after.changed({"A": "new", "B": "first"}, ["A", "B"]) == []
    assert after.changed({"A": "rotated"}, ["A"]) == ["A"]
    assert after.matching({"A": "new", "B": "first"}) == set(), "pending is not unchanged"
    TargetRecord(record, "s", "loc").update({}, unsure=["A"])  # the write failed
    unsure = TargetRecord(record, "s", "loc")
    assert unsure.matching({"A": "old"}) == set()
    assert unsure.changed({"A": "old"}, ["A"]) == [], "the old value may still be there"


def test_a_provider_that_syncs_itself_refuses_the_store_options(project: Any) -> None:
    project.config()
    result = project.run("secrets", "sync", "--force", "--allow-empty-source")
    assert result.code == 1
    assert "--allow-empty-source, --force cannot apply to it" in result.err
