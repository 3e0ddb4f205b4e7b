"""Benchmark score.engine local vs dask (a 2-worker LocalCluster) at 1.2M and 20M customers.

For each size and repetition the two engines run back to back (local, then dask) as fresh
`python -m stages.score` processes on the same simulated population, so machine noise hits both
alike; the table reports medians over the repetitions: wall time, rows/s, the peak memory of the
stage process (the driver) and the highest peak among the Dask workers, each as VmHWM (the
process's own high-water mark; see :func:`run_stage`). Linux only. Uses the default
pipeline's models (run `make repro` first).
Run: `.venv/bin/python -m benchmarks.bench_score_engines [--repeats 3] [--sizes 1200000 20000000]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.bench_score import scoring_params, write_population
from benchmarks.common import REPO_ROOT, save
from intentseg.config.base import load_params
from intentseg.foundation.memory import peak_memory_mb

ENGINES = ("local", "dask")


def run_stage(workdir: Path) -> dict[str, float]:
    """Run the score stage in ``workdir``: wall seconds, the stage process's peak memory and the worst worker's (MB).

    Peaks are VmHWM, the high-water mark of a process's own address space: ru_maxrss would carry
    over the RSS of the process that spawned it (fork and exec keep it), which inflates a child's
    figure by its parent's. The stage process's VmHWM is read every 0.1 s (it only grows, so the
    last reading is the peak up to 0.1 s before exit); each Dask worker reports its own at the end
    of the run (``logs/score_timings.json``, ``worker_peak_mb``).
    """
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}  # the stages package, run from the workdir
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "stages.score"],
        cwd=workdir,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0.0
    while process.poll() is None:
        with contextlib.suppress(OSError):
            peak = max(peak, peak_memory_mb(process.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"score stage failed in {workdir} (exit {process.returncode}); run it there to see why")
    workers = json.loads((workdir / "timings.json").read_text()).get("worker_peak_mb", {})
    return {"seconds": seconds, "driver_peak_mb": peak, "worker_peak_mb": max(workers.values(), default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_200_000, 20_000_000])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    args = parser.parse_args()
    params = load_params(REPO_ROOT / "params.yaml")
    if not (REPO_ROOT / params["paths"]["models"]["classifier"]).exists():
        raise SystemExit("run `make repro` first: the benchmark scores with the default pipeline's models")
    results = {"dask": dict(params["score"]["dask"])}
    with tempfile.TemporaryDirectory() as scratch:
        for rows in args.sizes:
            folder = Path(scratch) / f"rows_{rows}"
            folder.mkdir()
            write_population(folder / "population.parquet", rows, params["seed"], params["data"]["snapshot_month"])
            runs: dict[str, list[dict[str, float]]] = {engine: [] for engine in args.engines}
            for engine in args.engines:
                workdir = folder / engine
                workdir.mkdir()
                run_params = scoring_params(params, workdir)
                run_params["paths"]["prepared"]["population"] = str(folder / "population.parquet")
                run_params["score"]["engine"] = engine
                (workdir / "params.yaml").write_text(yaml.safe_dump(run_params, sort_keys=False))
            for _ in range(args.repeats):
                for engine in args.engines:
                    runs[engine].append(run_stage(folder / engine))
            for engine in args.engines:
                median = statistics.median(run["seconds"] for run in runs[engine])
                result = {
                    "rows": rows,
                    "repeats": args.repeats,
                    "median_seconds": median,
                    "min_seconds": min(run["seconds"] for run in runs[engine]),
                    "max_seconds": max(run["seconds"] for run in runs[engine]),
                    "rows_per_second": rows / median,
                    "median_driver_peak_mb": statistics.median(run["driver_peak_mb"] for run in runs[engine]),
                    "median_worker_peak_mb": statistics.median(run["worker_peak_mb"] for run in runs[engine]),
                }
                results[f"{engine}_{rows}"] = result
                print(
                    f"{engine:>5} {rows:>11,} customers: median {median:.1f} s (min {result['min_seconds']:.1f}, "
                    f"max {result['max_seconds']:.1f}), {result['rows_per_second']:,.0f} rows/s, driver peak "
                    f"{result['median_driver_peak_mb']:.0f} MB, worker peak {result['median_worker_peak_mb']:.0f} MB",
                    flush=True,
                )
    print(
        f"saved {save('score_engines' if args.engines == list(ENGINES) else 'score_engines_' + '_'.join(args.engines), results)}"
    )


if __name__ == "__main__":
    main()
