"""``secrets check``'s core: read each environment's key names once, all at once, and compare.

Reading is the slow part (each store is a network round trip or more), and
the environments are independent, so every environment is read on its own
thread: the check takes about as long as the slowest read, not their sum.
Which store an environment is, and how its names are read, is the caller's:
this module sees labels and two callables, so the command, the Python API
and the tests share it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

import attrs

from stagecraft.errors import NoSuchLocationError, StagecraftError
from stagecraft.manifest_check.result import (
    CANNOT_LIST,
    CheckResult,
    EnvironmentReport,
    EnvironmentStatus,
    KeyStatus,
)

if TYPE_CHECKING:  # the config model loads with a config file, not with every command
    from stagecraft.config.manifest import Manifest

#: Reads one environment's key names; raises a StagecraftError when it cannot.
ReadKeys = Callable[[str], Collection[str]]
#: Whether an environment's store can list key names at all.
CanList = Callable[[str], bool]


def check(
    manifest: Manifest,
    environments: Sequence[str] | None,
    read_keys: ReadKeys,
    can_list: CanList,
    *,
    error_text: Callable[[StagecraftError], str] = str,
) -> CheckResult:
    """Compare the declared keys (or, without any, every key found) across ``environments``.

    ``environments`` are labels handed to ``read_keys`` and ``can_list``:
    environment names, or locations when nothing is declared (None: every
    environment of the manifest, in file order).  Each is read once even if
    named twice.  A read that raises a
    :class:`~stagecraft.errors.StagecraftError` makes its environment
    unreadable, with ``error_text(exc)`` (the caller masks it there); any
    other exception is a bug and propagates.  A location that does not exist
    (:class:`~stagecraft.errors.NoSuchLocationError`) was read all the same:
    it holds no key, so every required key is missing there, and its report
    says why (a new environment nobody has written yet, or a mistyped location).
    """
    labels = list(dict.fromkeys(manifest.environments if environments is None else environments))
    listable = [label for label in labels if can_list(label)]
    found: dict[str, Collection[str] | StagecraftError] = {}
    if listable:
        pool = ThreadPoolExecutor(max_workers=len(listable), thread_name_prefix="stagecraft-check")
        try:
            futures = {label: pool.submit(_read, read_keys, label) for label in listable}
            # A bug in one reader (or Ctrl-C) ends the check without waiting for the others.
            done, _ = wait(futures.values(), return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # raises a reader's bug, if it had one
            found = {label: future.result() for label, future in futures.items()}
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    compared = _compared_keys(manifest, labels, found)
    declared = set(compared) if manifest.declares_keys else set()
    reports = []
    for label in labels:
        names = found.get(label)
        if names is None:
            reports.append(_not_compared(label, EnvironmentStatus.CANNOT_CHECK, CANNOT_LIST,
                                         compared))
        elif isinstance(names, NoSuchLocationError):
            report = _compare(manifest, label, (), compared, declared)
            reports.append(attrs.evolve(report, absent=error_text(names)))
        elif isinstance(names, StagecraftError):
            reports.append(_not_compared(label, EnvironmentStatus.UNREADABLE,
                                         error_text(names), compared))
        else:
            reports.append(_compare(manifest, label, names, compared, declared))
    return CheckResult(tuple(reports), tuple(compared), manifest.declares_keys)


def _read(read_keys: ReadKeys, label: str) -> Collection[str] | StagecraftError:
    try:
        return read_keys(label)
    except StagecraftError as exc:
        return exc


def _compared_keys(
    manifest: Manifest, labels: Sequence[str], found: dict[str, Collection[str] | StagecraftError]
) -> list[str]:
    """The declared keys; without any, every key found, sorted (no one order is "the" order)."""
    if manifest.declares_keys:
        return manifest.key_names()
    every: set[str] = set()
    for label in labels:
        names = found.get(label)
        if names is not None and not isinstance(names, StagecraftError):  # absent: no key
            every.update(names)
    return sorted(every)


def _not_compared(
    label: str, status: EnvironmentStatus, error: str, compared: Sequence[str]
) -> EnvironmentReport:
    keys = dict.fromkeys(compared, KeyStatus.UNKNOWN)
    return EnvironmentReport(label, status, keys, error=error)


def _compare(
    manifest: Manifest,
    label: str,
    names: Collection[str],
    compared: Sequence[str],
    declared: set[str],
) -> EnvironmentReport:
    present = set(names)
    required = {key.name: key.is_required_in(label) for key in manifest.keys}
    statuses = {}
    for key in compared:
        if key in present:
            statuses[key] = KeyStatus.PRESENT
        elif required.get(key, True):  # without declarations every key is expected everywhere
            statuses[key] = KeyStatus.MISSING
        else:
            statuses[key] = KeyStatus.OPTIONAL_ABSENT
    undeclared = tuple(sorted(present - declared)) if declared else ()
    return EnvironmentReport(label, EnvironmentStatus.CHECKED, statuses, undeclared)
