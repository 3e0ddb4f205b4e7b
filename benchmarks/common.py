"""Benchmark helpers: run a measurement in fresh processes, report medians and peak memory.

Each repetition runs in its own Python process so that peak resident memory (ru_maxrss)
belongs to that run alone. This machine is shared and noisy: report medians.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # benchmarks import the project's package
    sys.path.insert(0, str(REPO_ROOT))
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"

# Child prologue: run `setup` (untimed), then `body` (timed), then print as JSON the seconds,
# the peak RSS, and `benchmark_result` if the body set it (e.g. a final cost).
CHILD_TEMPLATE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
{setup}
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "result": globals().get("benchmark_result")}}))
"""


def run_child(setup: str, body: str) -> dict[str, float]:
    """Run one timed repetition in a fresh interpreter."""
    code = CHILD_TEMPLATE.format(root=str(REPO_ROOT), setup=setup, body=body)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(setup: str, body: str, repeats: int) -> dict[str, Any]:
    """Median and spread of ``repeats`` fresh-process runs."""
    runs = [run_child(setup, body) for _ in range(repeats)]
    seconds = [run["seconds"] for run in runs]
    summary = {
        "repeats": repeats,
        "median_seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "median_peak_rss_mb": statistics.median(run["peak_rss_mb"] for run in runs),
    }
    if runs[0]["result"] is not None:
        summary["result"] = runs[0]["result"]
    return summary


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import os

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def save(name: str, results: dict[str, Any]) -> Path:
    """Write results to benchmarks/results/<name>.json (timings live only here, outside the pipeline)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **results}, indent=2) + "\n")
    return path
