"""Stage logging, timed steps, and the end of every stage CLI (a user's mistake, a full disk, an interrupt).

Log lines are one line each: the formatter shows line breaks, terminal escape sequences and
right-to-left overrides inside a message (a column name, a category level, a file name) as
``\\n``, ``\\x1b``, ``\\u202e``, so text from data cannot forge a log line or repaint the terminal.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType

from intentseg.foundation.errors import ProjectError
from intentseg.foundation.io import RENAMED_INTO_PLACE

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
INTERRUPT_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal number
SIGNAL_WORDS = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every character that is not printable shown as its escape (``\\n``, ``\\x1b``, ``\\u202e``).

    ``keep_newlines`` keeps ``\\n`` (the line structure of the project's own multi-line messages).
    """
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or (keep_newlines and char == "\n") else repr(char)[1:-1] for char in text
    )


class OneLineFormatter(logging.Formatter):
    """The stage log format, with each message made :func:`printable` (exception tracebacks are left as they are)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = printable(record.message)
        return super().formatMessage(record)


def stage_logger(stage: str) -> logging.Logger:
    """Configure logging for a stage process and return its logger."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, datefmt="%H:%M:%S")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OneLineFormatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    return logging.getLogger(f"stage.{stage}")


@contextlib.contextmanager
def timed(logger: logging.Logger, step: str) -> Iterator[None]:
    """Log the start and the duration of a step."""
    logger.info("%s ...", step)
    start = time.perf_counter()
    yield
    logger.info("%s done in %.2f s", step, time.perf_counter() - start)


class StageInterrupted(BaseException):
    """A stage was asked to stop (SIGINT or SIGTERM); like ``KeyboardInterrupt``, not an ``Exception``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise StageInterrupted(signum)


def interrupt_message(stage: str, signum: int) -> str:
    """The one line an interrupted stage ends with: which stage, and what of its outputs changed."""
    replaced = list(dict.fromkeys(str(path) for path in RENAMED_INTO_PLACE))
    if not replaced:
        state = "nothing of this run was renamed into place, so its previous outputs are intact"
    else:
        state = (
            f"{len(replaced)} of its outputs had already been replaced ({', '.join(replaced[:3])}"
            f"{', ...' if len(replaced) > 3 else ''}); rerun it (dvc repro) to bring the rest up to date"
        )
    return f"interrupted: stage {stage!r} stopped by {SIGNAL_WORDS.get(signum, f'signal {signum}')}; {state}"


def stage_name(main: Callable[[], None]) -> str:
    """The stage a ``main`` belongs to: ``stages.score`` (also when run as ``python -m stages.score``) -> ``score``."""
    module = main.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec is not None else sys.argv[0].removesuffix(".py")
    return module.rpartition(".")[2].rpartition("/")[2]


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main`` and end it cleanly: a user's mistake in one message (exit 2), a full disk in one
    message (exit 2), Ctrl-C or SIGTERM in one line (exit 130 / 143). Any other exception is a bug and keeps
    its traceback.
    """
    stage = stage_name(main)
    RENAMED_INTO_PLACE.clear()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        main()
    except KeyboardInterrupt:
        print(interrupt_message(stage, signal.SIGINT), file=sys.stderr)
        sys.exit(INTERRUPT_EXIT[signal.SIGINT])
    except StageInterrupted as interrupt:
        print(interrupt_message(stage, interrupt.signum), file=sys.stderr)
        sys.exit(INTERRUPT_EXIT.get(interrupt.signum, 128 + interrupt.signum))
    except ProjectError as error:
        print(f"error: {printable(str(error), keep_newlines=True)}", file=sys.stderr)
        sys.exit(2)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        where = f" while writing {printable(str(error.filename))}" if error.filename else ""
        print(
            f"error: the disk is full{where}. Nothing of this run was renamed into place, so the previous "
            "outputs are intact; free some space and rerun",
            file=sys.stderr,
        )
        sys.exit(2)
