"""The programs a written env file is meant for, as the caller names them."""

from __future__ import annotations

import enum


class Reader(str, enum.Enum):
    """A program that will read a file Stagecraft writes."""

    PYTHON_DOTENV = "python-dotenv"  # dotenv_values()/load_dotenv(), interpolation on or off
    NODE_DOTENV = "node-dotenv"
    DOCKER_COMPOSE = "docker-compose"  # compose v2: compose-go's dotenv parser
    SHELL = "shell"  # POSIX sh (bash, dash) running `set -a; . FILE`
    DOTENV_EXPAND = "dotenv-expand"  # Node dotenv, then dotenv-expand (Vite, @next/env)


#: The readers a file is written for unless told otherwise.
DEFAULT_READERS: frozenset[Reader] = frozenset(
    {Reader.PYTHON_DOTENV, Reader.NODE_DOTENV, Reader.DOCKER_COMPOSE}
)
#: The default readers, under the name they had before shells and dotenv-expand were
#: modelled; kept so existing callers mean what they meant.
ALL_READERS: frozenset[Reader] = DEFAULT_READERS
