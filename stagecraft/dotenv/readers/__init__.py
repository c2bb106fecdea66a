"""Models of the programs that read env files, one module per program.

Each model reads the text after ``KEY=`` as its program does and returns the
value the program would produce, or None when it would fail, decode something
else, expand or run something, or read past the end of the line (swallowing
the next one).  The writer (:mod:`stagecraft.dotenv.writer`) keeps a spelling
only when every chosen reader's model reads it back unchanged.  The models are
written from the readers' source and checked against the real programs by
tests/test_dotenv_roundtrip.py; compose-go cannot run here, so its model
follows the facts observed with it and, where those leave a case open, calls
it unreadable.  :class:`~stagecraft.dotenv.readers.reader.Reader` names them.
"""
