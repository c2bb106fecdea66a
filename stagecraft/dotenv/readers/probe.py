"""What a model reads after the value, to catch a reader that does not stop at its end."""

from __future__ import annotations

#: Lines that end in each quote character, so a reader that does not stop at
#: the end of the value finds a closing quote there and shows it.
PROBE = "\n#'\n#\"\n#`\nNEXT='\"`'\"`\n"
