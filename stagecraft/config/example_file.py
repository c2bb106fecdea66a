"""``secrets.keys: .env.example``: the declared keys read from an example env file.

Many projects already keep an example env file naming every variable the
app needs, each with a comment above it.  Its key names become the declared
keys, all required, and a comment line right above a key is its
description.  The file is read with the project's own env-file model (so it
is read exactly as a sync would read it); only key names and comments are
kept, never a value, since an example file sometimes holds real ones.
"""

from __future__ import annotations

from pathlib import Path

from stagecraft.config.manifest import DeclaredKey
from stagecraft.dotenv import parse
from stagecraft.dotenv.fast_parse import locate
from stagecraft.files import read_bytes


def read_example(path: Path, shown: str) -> tuple[DeclaredKey, ...]:
    """The declared keys of the example env file at ``path``, in file order.

    ``shown`` is how messages name the file.  Raises
    :class:`~stagecraft.errors.UserError` (a
    :class:`~stagecraft.dotenv.DotenvError` naming ``shown`` and the line for a
    malformed file, a :class:`~stagecraft.files.FileReadError` for one that
    cannot be read).
    """
    data = read_bytes(path, what="example env file")
    document = parse(data, path=shown)
    text = data.decode("utf-8").removeprefix("\ufeff")  # parse proved it is UTF-8
    names = document.keys()
    spans = locate(text, shown, set(names))
    return tuple(
        DeclaredKey(name, description=_comment_above(text, spans[name][0][0]))
        for name in names
    )


def _comment_above(text: str, start: int) -> str:
    """The comment on the line right above the line starting at ``start``, without ``#``.

    Only a comment directly above counts: a blank line in between separates
    a section heading from the key.
    """
    if text.startswith("\r\n", start - 2) and start >= 2:
        end = start - 2
    elif start >= 1 and text[start - 1] in "\r\n":
        end = start - 1
    else:
        return ""  # the key is on the first line
    line_start = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
    above = text[line_start:end].strip()
    if not above.startswith("#"):
        return ""
    return above.lstrip("#").strip()
