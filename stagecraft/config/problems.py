"""What is wrong with ``stagecraft.yml``, one located problem per line of the error."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from stagecraft.config.marks import Mark
from stagecraft.errors import ConfigError


@attrs.frozen
class Problem:
    """One thing wrong with the config file, with where it is."""

    mark: Mark
    path: str
    message: str


class ConfigFileError(ConfigError):
    """``stagecraft.yml`` is invalid.  One line per problem, each with ``FILE:LINE:COL``."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        lines = []
        for problem in self.problems:
            where = f"{file}:{problem.mark}"
            lines.append(
                f"{where}: {problem.path}: {problem.message}"
                if problem.path
                else f"{where}: {problem.message}"
            )
        super().__init__("\n".join(lines))
