"""Benchmark the customer simulator: 1.2M-customer scoring population and 240K labelled table.

Targets (foundation issue): 1.2M customers in under 30 s, peak memory under 4 GB.
Run: `make bench` or `.venv/bin/python benchmarks/bench_simulator.py [--repeats N]`.
"""

from __future__ import annotations

import argparse

from common import measure, save

SETUP = "from intentseg.simulator import simulate_customers"
CASES = {
    "population_1_2m": ("simulate_customers(1_200_000, seed=42, snapshot_month='2026-11', labelled=False)", 1_200_000),
    "labelled_240k": ("simulate_customers(240_000, seed=42, snapshot_month='2026-11')", 240_000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for name, (body, rows) in CASES.items():
        result = measure(SETUP, body, args.repeats)
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
