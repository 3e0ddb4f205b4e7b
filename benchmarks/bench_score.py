"""Benchmark the score stage at 1.2M and 5M customers: time, rows/s, peak memory, time by step.

Targets (scoring issue): 1.2M customers in under 2 minutes including reason codes (hard limit
10 minutes), peak memory under 3 GB, cost linear in the population and memory flat.
Uses the models and train split of the default pipeline (run `make repro` first); the
populations are simulated into a temporary directory. Each run is a fresh process running
`python -m stages.score` against a params.yaml whose paths point at those files.
Run: `.venv/bin/python -m benchmarks.bench_score [--repeats N] [--sizes 1200000 5000000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from benchmarks.common import REPO_ROOT, run_child, save
from intentseg.config.base import load_params, with_absolute_paths
from intentseg.data.contract import validate_table
from intentseg.data.shopsphere import shopsphere_spec
from intentseg.data.simulator import simulate_customers
from intentseg.foundation.io import ROW_GROUP_ROWS

BLOCK = 1_200_000


def write_population(path: Path, rows: int, seed: int, month: str) -> None:
    """Simulate ``rows`` customers block by block into one Parquet file (ids kept unique)."""
    spec = shopsphere_spec().without_target()
    writer = None
    for block, start in enumerate(range(0, rows, BLOCK)):
        size = min(BLOCK, rows - start)
        frame = validate_table(simulate_customers(size, seed + block, month, labelled=False).features, spec)
        frame[spec.id_column] = (frame[spec.id_column].astype("int64") + block * 10_000_000).astype(str)  # text ids
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=ROW_GROUP_ROWS)  # as prepare writes it
    writer.close()


def scoring_params(params: dict, workdir: Path) -> dict:
    """The project's params with the population and every score output redirected into ``workdir``."""
    run_params = with_absolute_paths(params, REPO_ROOT)
    run_params["paths"]["prepared"]["population"] = str(workdir / "population.parquet")
    run_params["paths"]["scores"] = {name: str(workdir / Path(p).name) for name, p in params["paths"]["scores"].items()}
    run_params["paths"]["metrics"]["score"] = str(workdir / "score.json")
    run_params["paths"]["details"]["score"] = str(workdir / "score_details.json")
    run_params["paths"]["plots"]["score"] = {
        name: str(workdir / f"plot_{Path(p).name}") for name, p in params["paths"]["plots"]["score"].items()
    }
    run_params["paths"]["logs"]["score_timings"] = str(workdir / "timings.json")
    return run_params


def score_stage(workdir: str) -> Callable[[], None]:
    """Workload: the score stage, run in ``workdir`` (whose params.yaml points at the population there)."""
    from stages import score

    os.chdir(workdir)
    return score.main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_200_000, 5_000_000])
    args = parser.parse_args()
    params = load_params(REPO_ROOT / "params.yaml")
    if not (REPO_ROOT / params["paths"]["models"]["classifier"]).exists():
        raise SystemExit("run `make repro` first: the benchmark scores with the default pipeline's models")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for rows in args.sizes:
            workdir = Path(scratch) / f"rows_{rows}"
            workdir.mkdir()
            write_population(workdir / "population.parquet", rows, params["seed"], params["data"]["snapshot_month"])
            run_params = scoring_params(params, workdir)
            (workdir / "params.yaml").write_text(yaml.safe_dump(run_params, sort_keys=False))
            runs, steps = [], []
            for _ in range(args.repeats):
                runs.append(run_child("benchmarks.bench_score:score_stage", workdir=str(workdir)))
                steps.append(json.loads((workdir / "timings.json").read_text())["seconds"])
            median = statistics.median(run["seconds"] for run in runs)
            results[f"score_{rows}"] = {
                "rows": rows,
                "repeats": args.repeats,
                "median_seconds": median,
                "min_seconds": min(run["seconds"] for run in runs),
                "max_seconds": max(run["seconds"] for run in runs),
                "rows_per_second": rows / median,
                "median_peak_rss_mb": statistics.median(run["peak_rss_mb"] for run in runs),
                "median_seconds_by_step": {step: statistics.median(s[step] for s in steps) for step in steps[0]},
            }
            result = results[f"score_{rows}"]
            print(
                f"{rows:>9,} customers: median {median:.1f} s (min {result['min_seconds']:.1f}, max "
                f"{result['max_seconds']:.1f}) over {args.repeats} runs, {result['rows_per_second']:,.0f} rows/s, "
                f"peak RSS {result['median_peak_rss_mb']:.0f} MB; by step "
                f"{ {k: round(v, 1) for k, v in result['median_seconds_by_step'].items()} }"
            )
    print(f"saved {save('score', results)}")


if __name__ == "__main__":
    main()
