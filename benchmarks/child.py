"""One benchmark repetition: ``python -m benchmarks.child MODULE FUNCTION KWARGS_JSON``.

Calls ``MODULE.FUNCTION(**kwargs)`` (set-up, not timed), times the callable it returns, and prints
the seconds, the process's peak resident memory (VmHWM) and the callable's float result as JSON.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time


def peak_resident_mb() -> float:
    """This process's peak resident memory: VmHWM from /proc (Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> None:
    module, function, kwargs = argv
    body = getattr(importlib.import_module(module), function)(**json.loads(kwargs))
    start = time.perf_counter()
    result = body()
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_resident_mb(),
                "result": float(result) if isinstance(result, (int, float)) else None,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
