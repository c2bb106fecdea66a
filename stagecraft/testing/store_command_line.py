"""The store contract's check of the command line: what a store prints is masked there.

A store (or the SDK under it) may print or log a value while it writes.
The command must still show none of it: the sync runs through
``stagecraft secrets sync --json`` with the store loaded as a plugin from
``--plugins-dir``, and its stdout must hold the JSON result alone.
PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import cattrs
import pytest
import yaml

from stagecraft import cli
from stagecraft.store import SecretStore
from stagecraft.testing.envfiles import write_env_file
from stagecraft.testing.provider_checks import CANARY_VALUES
from stagecraft.testing.store_files import CONTRACT_SOURCE

__all__ = ["CommandLineChecks"]

#: The plugin module the check loads (``--plugins-dir``): it registers the store under test.
_PLUGIN = '''
import stagecraft
from stagecraft.testing.store_command_line import _LIVE

@stagecraft.hookimpl
def secrets_provider_register():
    return _LIVE[0]
'''

_LIVE: list[SecretStore] = []


class CommandLineChecks:
    """Mixed into :class:`~stagecraft.testing.StoreContract`."""

    config: ClassVar[Any] = None

    def intercepted(
        self, store: SecretStore, location: str, tmp_path: Path,
        before_write: Callable[[list[str]], None],
        after_write: Callable[[list[str]], None] | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # StoreContract.intercepted

    def test_what_a_store_prints_is_masked_on_the_command_line(
        self, store: SecretStore, location: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        value = CANARY_VALUES["CONTRACT_ALPHA"]
        write_env_file(tmp_path / CONTRACT_SOURCE, CANARY_VALUES)
        plugins = tmp_path / "contract-plugins"
        plugins.mkdir()
        (plugins / "contract_store_plugin.py").write_text(_PLUGIN, encoding="utf-8")

        def chatty(keys: list[str]) -> None:
            print(f"storing {value}")
            logging.getLogger("contract.chatty").warning("value %s", value[:20])

        if self.config is not None:  # the command reads the config from stagecraft.yml
            section = {"secrets": {"providers": {store.id: cattrs.unstructure(self.config)}}}
            (tmp_path / "stagecraft.yml").write_text(yaml.safe_dump(section), encoding="utf-8")
        _LIVE[:] = [store]
        with (
            self.intercepted(store, location, tmp_path, chatty),
            pytest.MonkeyPatch.context() as patch,
        ):
            patch.chdir(tmp_path)
            patch.setenv("STAGECRAFT_LOAD_PLUGINS", "")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = cli.main(["--plugins-dir", str(plugins), "secrets", "sync", "--from",
                                 CONTRACT_SOURCE, "--to", f"{store.id}:{location}", "--json"])
        _LIVE.clear()
        captured = capsys.readouterr()
        text = out.getvalue() + captured.out + captured.err
        assert code == 0, f"the sync through the command failed (exit {code})"
        assert value not in text, "a value the store printed or logged reached the output"
        assert value[:20] not in text, "a value cut short reached the output"
        assert json.loads(out.getvalue())["changes"], "stdout is not the JSON result alone"
