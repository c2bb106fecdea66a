"""Build small, real distributions for plugin-discovery tests.

``importlib.metadata`` finds a distribution through a ``<name>-<version>.dist-info``
directory on ``sys.path``; writing one (``METADATA`` plus ``entry_points.txt``)
next to its module is all a test needs to be discovered exactly as an installed
plugin would be, with no mocking.  :func:`build_wheel` packs the same files into
a wheel, so a test can also run a real ``pip install``.

Test modules load this file by path (``load_helpers``) because the tests
directory is not a package and pytest runs with ``--import-mode=importlib``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import re
import sys
import textwrap
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import pytest

#: A provider module body: ``{pid}`` is replaced by the provider id.
PROVIDER_MODULE = '''
import stagecraft
from stagecraft.providers.secrets import SyncResult


class Provider:
    id = {pid!r}

    def sync(self, ctx, opts):
        return SyncResult.from_actions([("KEY", "added")])


PROVIDER = Provider()


@stagecraft.hookimpl
def secrets_provider_register():
    return PROVIDER
'''


def provider_module(provider_id: str) -> str:
    """Source of a plugin module contributing one provider called ``provider_id``."""
    return PROVIDER_MODULE.format(pid=provider_id)


def unique(prefix: str) -> str:
    """A module or plugin name no other test (or run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _dist_dir_name(name: str, version: str) -> str:
    return f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"


def _entry_points_txt(entry_points: Mapping[str, str]) -> str:
    lines = ["[stagecraft]"] + [f"{key} = {value}" for key, value in entry_points.items()]
    return "\n".join(lines) + "\n"


def _metadata_txt(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


@attrs.frozen
class Dist:
    """A distribution written by :func:`write_dist`."""

    root: Path
    name: str
    version: str
    modules: tuple[str, ...]


def write_dist(
    root: Path,
    name: str,
    version: str,
    entry_points: Mapping[str, str],
    modules: Mapping[str, str],
) -> Dist:
    """Write distribution ``name`` into ``root`` (a directory meant for ``sys.path``).

    ``entry_points`` maps entry-point names to ``module[:attr]``; ``modules``
    maps module names to their source (dedented).
    """
    root.mkdir(parents=True, exist_ok=True)
    info = root / _dist_dir_name(name, version)
    info.mkdir()
    (info / "METADATA").write_text(_metadata_txt(name, version))
    (info / "entry_points.txt").write_text(_entry_points_txt(entry_points))
    record = [f"{info.name}/METADATA,,", f"{info.name}/entry_points.txt,,"]
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        record.append(f"{module}.py,,")
    # RECORD lets importlib.metadata.packages_distributions() map modules to it.
    (info / "RECORD").write_text("\n".join([*record, f"{info.name}/RECORD,,"]) + "\n")
    return Dist(root, name, version, tuple(modules))


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(
    out_dir: Path,
    name: str,
    version: str,
    entry_points: Mapping[str, str],
    modules: Mapping[str, str],
) -> Path:
    """A pure-Python wheel of the same shape as :func:`write_dist`, for ``pip install``."""
    norm = re.sub(r"[-_.]+", "_", name)
    info = f"{norm}-{version}.dist-info"
    files: dict[str, bytes] = {
        f"{module}.py": textwrap.dedent(source).encode() for module, source in modules.items()
    }
    files[f"{info}/METADATA"] = _metadata_txt(name, version).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: stagecraft-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = _entry_points_txt(entry_points).encode()
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = out_dir / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def forget_modules(names: list[str]) -> None:
    """Drop test modules from ``sys.modules`` and reset import and metadata caches."""
    for module in names:
        sys.modules.pop(module, None)
    importlib.invalidate_caches()


class Site:
    """Directories on ``sys.path`` holding test distributions; undone after the test."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self._tmp = tmp_path
        self._monkeypatch = monkeypatch
        self._count = 0
        self.modules: list[str] = []

    def new_path(self) -> Path:
        """A fresh, empty directory, prepended to ``sys.path``."""
        self._count += 1
        path = self._tmp / f"site{self._count}"
        path.mkdir()
        self._monkeypatch.syspath_prepend(str(path))
        importlib.invalidate_caches()
        return path

    def add(
        self,
        name: str,
        entry_points: Mapping[str, str],
        modules: Mapping[str, str],
        *,
        version: str = "1.0",
        root: Path | None = None,
    ) -> Dist:
        """Write a distribution into ``root`` (default: a new ``sys.path`` entry)."""
        dist = write_dist(root or self.new_path(), name, version, entry_points, modules)
        self.modules.extend(modules)
        importlib.invalidate_caches()
        return dist

    def close(self) -> None:
        forget_modules(self.modules)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Install test distributions for one test (import this fixture into a test module)."""
    created = Site(tmp_path, monkeypatch)
    yield created
    created.close()
