"""``python benchmarks/run_entry.py ENVFILE [--mask] -- COMMAND [ARG ...]``: the runner alone.

Until ``stagecraft run`` is wired into the command line, this stands in for
``stagecraft run --from ENVFILE -- COMMAND``: it imports what that command
will (the env-file reader, the manifest rules, the runner), reads the file,
selects every key, and runs COMMAND.  The tests of :mod:`stagecraft.run` use
it as the Stagecraft process, and ``benchmarks/run.py`` times it.  It takes
a path, never a value, so no value is ever in its argv.
"""

from __future__ import annotations

import sys
from pathlib import Path

from stagecraft import dotenv
from stagecraft.config.manifest import Manifest
from stagecraft.errors import StagecraftError
from stagecraft.run import run_command, secrets_for_run


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: run_entry.py ENVFILE [--mask] -- COMMAND [ARG ...]", file=sys.stderr)
        return 1
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    mask = "--mask" in options
    (source,) = [option for option in options if option != "--mask"]
    try:
        values = dotenv.load(Path(source)).values()
        secrets = secrets_for_run(Manifest(), values, source=source, environment=None)
        return run_command(command, secrets, mask=mask)
    except StagecraftError as exc:
        print(f"stagecraft: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
