"""Benchmark the customer simulator: 1.2M-customer scoring population and 240K labelled table.

Targets (foundation issue): 1.2M customers in under 30 s, peak memory under 4 GB.
Run: `make bench` or `.venv/bin/python -m benchmarks.bench_simulator [--repeats N]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from benchmarks.common import measure, save

CASES = {"population_1_2m": (1_200_000, False), "labelled_240k": (240_000, True)}


def simulate(rows: int, labelled: bool) -> Callable[[], object]:
    """Workload: simulate ``rows`` customers."""
    from intentseg.data.simulator import simulate_customers

    return lambda: simulate_customers(rows, seed=42, snapshot_month="2026-11", labelled=labelled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for name, (rows, labelled) in CASES.items():
        result = measure("benchmarks.bench_simulator:simulate", args.repeats, rows=rows, labelled=labelled)
        result["rows"] = rows
        result["rows_per_second"] = rows / result["median_seconds"]
        results[name] = result
        print(
            f"{name:>16}: median {result['median_seconds']:.2f} s (min {result['min_seconds']:.2f}, "
            f"max {result['max_seconds']:.2f}) over {args.repeats} runs, "
            f"{result['rows_per_second']:,.0f} rows/s, peak RSS {result['median_peak_rss_mb']:.0f} MB"
        )
    print(f"saved {save('simulator', results)}")


if __name__ == "__main__":
    main()
