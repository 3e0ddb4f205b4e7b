"""Stage logging: one format for every stage, and timed steps."""

from __future__ import annotations

import contextlib
import errno
import logging
import sys
import time
from collections.abc import Callable, Iterator

from intentseg.errors import ProjectError

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def stage_logger(stage: str) -> logging.Logger:
    """Configure logging for a stage process and return its logger."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, datefmt="%H:%M:%S")
    return logging.getLogger(f"stage.{stage}")


@contextlib.contextmanager
def timed(logger: logging.Logger, step: str) -> Iterator[None]:
    """Log the start and the duration of a step."""
    logger.info("%s ...", step)
    start = time.perf_counter()
    yield
    logger.info("%s done in %.2f s", step, time.perf_counter() - start)


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; a :class:`~intentseg.errors.ProjectError` ends in one clear message and exit code 2.

    Any other exception is a bug and keeps its traceback.
    """
    try:
        main()
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        where = f" while writing {error.filename}" if error.filename else ""
        print(
            f"error: the disk is full{where}. Nothing of this run was renamed into place, so the previous "
            "outputs are intact; free some space and rerun",
            file=sys.stderr,
        )
        sys.exit(2)
