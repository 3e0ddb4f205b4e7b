"""One benchmark repetition: ``python -m benchmarks.child MODULE FUNCTION KWARGS_JSON``.

Calls ``MODULE.FUNCTION(**kwargs)`` (set-up, not timed), times the callable it returns, and prints
the seconds, the process's peak resident memory (VmHWM) and the callable's float result as JSON.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

from intentseg.foundation.memory import peak_memory_mb


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
                "peak_rss_mb": peak_memory_mb(),
                "result": float(result) if isinstance(result, (int, float)) else None,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
