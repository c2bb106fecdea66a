"""Encore's local override file, ``.secrets.local.cue``, as a file store.

Paths are relative to the app root (``app_root``, default the config's
directory), because that is where ``encore run`` looks.  The format is
:mod:`stagecraft_encore.cue`'s exact subset of CUE; the lock, the atomic
write and the plan are :class:`stagecraft.FileStore`'s and the engine's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from stagecraft.filestore import FileStore
from stagecraft.providers.secrets import Context
from stagecraft_encore import cue
from stagecraft_encore.cli_runner import APP_FILE
from stagecraft_encore.config import Config as EncoreConfig
from stagecraft_encore.errors import CueFormatError
from stagecraft_encore.targets import LOCAL_OVERRIDE_FILE


class EncoreCueFile(FileStore[cue.CueDocument]):
    """The override file; readable, so plans say unchanged."""

    id = "encore"
    Config = EncoreConfig

    def path(self, ctx: Context, location: str) -> Path:
        app_root = ctx.resolve(self.config_of(ctx).app_root or ".", from_config=True)
        return app_root / Path(location).expanduser()

    def check_values(
        self, ctx: Context, location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        return dict(cue.iter_refusals(values))

    def parse(self, ctx: Context, path: Path, data: bytes | None) -> cue.CueDocument:
        if path.name != LOCAL_OVERRIDE_FILE or not (path.parent / APP_FILE).is_file():
            ctx.logger.warning(
                "encore: %s is not %s next to %s; `encore run` will not read it",
                path, LOCAL_OVERRIDE_FILE, APP_FILE,
            )
        warn_if_tracked(ctx, path)
        return cue.parse(_decode(data, path), name=str(path))

    def values(self, document: cue.CueDocument) -> Mapping[str, str]:
        return document.values()

    def set(self, ctx: Context, document: cue.CueDocument, key: str, value: str) -> None:
        document.set(key, value)

    def render(self, document: cue.CueDocument) -> bytes:
        return document.render().encode("utf-8")


def _decode(data: bytes | None, path: Path) -> str:
    if data is None:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CueFormatError(
            f"{path}: not UTF-8 text (byte {exc.start}); the file is left unchanged"
        ) from None


def warn_if_tracked(ctx: Context, path: Path) -> None:
    """Warn when ``path`` sits in a git work tree and is not ignored.

    Silent when git is missing or the directory is not in a work tree: the
    warning is a courtesy, not a check the sync depends on.
    """
    directory = path.parent
    if not directory.is_dir():
        return
    try:
        completed = subprocess.run(
            ["git", "check-ignore", "-q", "--", path.name],
            cwd=directory,
            capture_output=True,
            timeout=10,
            check=False,
            start_new_session=True,  # a terminal's Ctrl-C is for stagecraft alone
        )
    except (OSError, subprocess.SubprocessError):
        return
    if completed.returncode == 1:
        ctx.logger.warning(
            "encore: %s holds secrets but is not ignored by git; add it to .gitignore",
            path,
        )
