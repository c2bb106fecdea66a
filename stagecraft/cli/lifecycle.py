"""The process side of the command: parse, run one command, turn what happened into an
exit code.

Exit codes: 0 success, 1 user or config error, 2 provider or external
failure, 3 internal error, 4 ``--check`` found pending changes, 130
interrupted (Ctrl-C), after reporting which keys were written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from stagecraft import completion
from stagecraft.cli.global_options import colour_mode, merge_late
from stagecraft.cli.parser import Parser, build_parser
from stagecraft.cli.session import PROG, Session
from stagecraft.cli.sync_report import failure, failure_json
from stagecraft.errors import (
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    StagecraftError,
)
from stagecraft.output_loss import (
    OutputLostError,
    discard_unwritten,
    lost_output_text,
    writing_output,
)

__all__ = ["main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code.

    For embedding and tests: the process goes on afterwards.  The console
    script and ``python -m stagecraft`` use :func:`run`.
    """
    parser = build_parser()
    words = sys.argv[1:] if argv is None else list(argv)
    Parser.colour_mode = colour_mode(words)
    Parser.argv, Parser.root = words, parser
    if "_ARGCOMPLETE" in os.environ:  # a shell's completion script asks for candidates
        completion.answer(parser)  # prints them and exits, as the shell expects
    _ensure_streams()
    try:
        with writing_output():
            try:
                args = merge_late(parser.parse_args(argv))
            except SystemExit as exc:  # --help, --version and usage errors
                code = exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
                if code == EXIT_OK:
                    sys.stdout.flush()  # the help or version reaches stdout, or is told lost
                return code
    except (BrokenPipeError, OutputLostError) as exc:
        discard_unwritten(sys.stdout)
        if isinstance(exc, BrokenPipeError):  # `| head`: the reader chose to stop
            return EXIT_OK
        sys.stderr.write(f"{PROG}: error: {lost_output_text(exc, None)}\n")
        return exc.exit_code
    finally:
        Parser.argv, Parser.root = (), None  # no later parse is diagnosed by this line
    try:
        session = Session(args)
    except StagecraftError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return exc.exit_code
    undo_logging = session.setup_logging()
    try:
        code = _run(session)
        with writing_output():
            session.stdout.flush()
        return code
    except OutputLostError as exc:
        session.error(lost_output_text(exc, session.sync_options))
        discard_unwritten(session.stdout)
        return exc.exit_code
    finally:
        undo_logging()
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()


def run() -> NoReturn:
    """The ``stagecraft`` console script: :func:`main`, then exit with its code.

    A Ctrl-C before a command has its own handling (while the parser or the
    plugins load) exits 130 too, without a traceback.
    """
    try:
        code = main(None)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        code = EXIT_INTERRUPTED
    # Everything is done and reported: a Ctrl-C while the interpreter shuts down
    # must not turn the exit status into a death by signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(code)


def _ensure_streams() -> None:
    """A closed stdout or stderr (``>&-``) discards output instead of failing the command."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def _run(session: Session) -> int:
    handler: Callable[[Session], int] = session.args.handler
    try:
        return handler(session)
    except BrokenPipeError:
        # stdout was closed early (`| head`): not an error worth a traceback.
        return EXIT_OK
    except OutputLostError:
        raise  # told with what the command did, by main
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - each kind has its status
        text, code = failure(session, exc)
        _report_error(session, exc, text, code)
        if code == EXIT_INTERNAL_ERROR and session.verbosity < 1:
            session.err(f"{PROG}: this is a bug in stagecraft or a plugin; "
                        "run with -v for the traceback")
        return code


def _report_error(
    session: Session, exc: BaseException | None, text: str, exit_code: int
) -> None:
    """The error on stderr; with ``--json``, also one JSON object on stdout."""
    session.error(text)
    if not getattr(session.args, "json", False):
        return
    report = failure_json(session, exc, text, exit_code, provider_id=session.sync_provider,
                          options=session.sync_options, where=session.sync_endpoints,
                          environments=session.sync_environments)
    with contextlib.suppress(BrokenPipeError, ValueError):
        session.json(report)
