"""Fault injection for the e2e tier, kept out of the production code.

``python -m tests.faults stages.<name>`` runs a stage as its program does, after wrapping two of
:mod:`intentseg.foundation.io`'s steps: the process kills itself just before the output named by
:data:`KILL_BEFORE_RENAME` is renamed into place, and the write of the output named by
:data:`DISK_FULL_AT` fails as if the disk were full.
"""

from __future__ import annotations

import errno
import os
import runpy
import signal
import sys
from pathlib import Path

KILL_BEFORE_RENAME = "INTENTSEG_TEST_KILL_BEFORE_RENAME"
DISK_FULL_AT = "INTENTSEG_TEST_DISK_FULL_AT"


def install(kill_before: str | None, disk_full_at: str | None) -> None:
    """Wrap ``io._rename`` and ``io.temporary_beside`` with the two faults (None: that fault is off)."""
    from intentseg.foundation import io

    rename, beside = io._rename, io.temporary_beside

    def rename_or_die(temporary: Path, target: Path) -> None:
        if target.name == kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
        rename(temporary, target)

    def temporary_or_full(target: Path) -> Path:
        if target.name == disk_full_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return beside(target)

    io._rename, io.temporary_beside = rename_or_die, temporary_or_full


if __name__ == "__main__":
    install(os.environ.get(KILL_BEFORE_RENAME), os.environ.get(DISK_FULL_AT))
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
