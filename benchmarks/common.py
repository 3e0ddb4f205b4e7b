"""Benchmark helpers: run a workload in fresh processes, report medians and peak memory.

A workload is a plain function in a benchmark module: it does its set-up (not timed) and returns
the callable to time, whose float result (e.g. a final cost) is reported. Each repetition runs in
its own Python process (``python -m benchmarks.child``) so that peak resident memory (VmHWM)
belongs to that run alone. This machine is shared and noisy: report medians.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def run_child(workload: str, **kwargs: Any) -> dict[str, Any]:
    """One timed repetition of ``workload`` ("module:function") in a fresh interpreter."""
    module, function = workload.split(":")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", module, function, json.dumps(kwargs)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(workload: str, repeats: int, **kwargs: Any) -> dict[str, Any]:
    """Median and spread of ``repeats`` fresh-process runs of ``workload``."""
    runs = [run_child(workload, **kwargs) for _ in range(repeats)]
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
        summary["median_result"] = statistics.median(run["result"] for run in runs)
    return summary


def summary_line(name: str, result: dict[str, Any]) -> str:
    """One printed line of a :func:`measure` result: median, spread, runs, peak memory and the median result."""
    line = (
        f"{name:>32}: median {result['median_seconds']:.3f} s (min {result['min_seconds']:.3f}, "
        f"max {result['max_seconds']:.3f}) over {result['repeats']} runs, peak RSS {result['median_peak_rss_mb']:.0f} MB"
    )
    return line + (f", result {result['median_result']:.6g}" if "median_result" in result else "")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def save(name: str, results: dict[str, Any]) -> Path:
    """Write results to benchmarks/results/<name>.json (timings live only here, outside the pipeline)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **results}, indent=2) + "\n")
    return path


def report(name: str, results: dict[str, dict[str, Any]]) -> Path:
    """Print each :func:`measure` result's summary line, then save them as ``benchmarks/results/<name>.json``."""
    for label, result in results.items():
        print(summary_line(label, result))
    path = save(name, results)
    print(f"saved {path}")
    return path
