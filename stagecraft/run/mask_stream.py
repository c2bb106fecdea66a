"""COMMAND's output masked line by line, as Stagecraft masks its own (``run --mask``).

Output arrives in reads of whatever size the pipe gives, so a value can
straddle two reads.  Text is therefore masked a line at a time (a line ends
at ``\\n`` or ``\\r``; a multi-line value is registered line by line by the
:class:`~stagecraft.redact.Redactor`), and the unfinished last line waits for
the rest.  A line that grows past :data:`LONG_LINE` bytes without ending is
emitted in pieces, each cut where no value occurrence crosses it, keeping at
least the longest form a value can take unemitted, so memory stays bounded
by the line limit, not by the output.  At the end the partial last line is
masked and flushed.

Bytes that are not UTF-8 pass through unchanged (``surrogateescape``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from stagecraft.redact import Redactor

#: A line longer than this (bytes) is emitted in pieces rather than held whole.
LONG_LINE = 64 * 1024

#: The most characters one character of a value takes in a masked form
#: (``ascii()`` spells a character outside the BMP ``\\U0001f600``), plus quotes.
_WIDEST_ESCAPE = 10

def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class StreamMasker:
    """Masks one output stream chunk by chunk into ``sink``.

    ``values`` are the secrets being masked (they bound how far a value can
    reach back from the end of the data); ``redactor`` must hold them.
    """

    def __init__(self, redactor: Redactor, values: Iterable[str], sink: BinaryIO) -> None:
        self._redactor = redactor
        self._sink = sink
        self._pending = b""
        self._hold = max((len(value) * _WIDEST_ESCAPE + 2 for value in values), default=0)
        self._long_line = max(LONG_LINE, 4 * self._hold)

    def feed(self, chunk: bytes) -> None:
        """Mask and write every line ``chunk`` completes; keep the unfinished rest."""
        data = self._pending + chunk
        lines_end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        if lines_end:
            self._emit(data[:lines_end])
            data = data[lines_end:]
        if len(data) > self._long_line:
            data = self._emit_safe_prefix(data)
        self._pending = data

    def close(self) -> None:
        """Mask and write the partial last line, if any."""
        if self._pending:
            self._emit(self._pending)
            self._pending = b""

    def _emit(self, data: bytes) -> None:
        self._sink.write(_encode(self._redactor.redact(_decode(data))))
        self._sink.flush()

    def _emit_safe_prefix(self, data: bytes) -> bytes:
        """Emit a prefix of an overlong line that no occurrence crosses; return the rest.

        A cut is safe when masking both sides apart gives what masking the
        whole gives; otherwise an occurrence crosses it, and the cut moves
        back by the longest form until one is safe (or nothing is emitted).
        """
        text = _decode(data)
        whole = self._redactor.redact(text)
        cut = len(text) - max(self._hold, 1)
        while cut > 0:
            head = self._redactor.redact(text[:cut])
            if head + self._redactor.redact(text[cut:]) == whole:
                self._sink.write(_encode(head))
                self._sink.flush()
                return _encode(text[cut:])
            cut -= max(self._hold, 1)
        return data
