"""Benchmark the customer simulators: 1.2M-customer scoring population and 240K labelled table, and the panel.

Targets (foundation issue): 1.2M customers in under 30 s, peak memory under 4 GB. The panel (issue 22)
builds the default run's whole history: 1.2M customers' events over 18 months, four labelled months
of 240K and the 1.2M population at the newest snapshot.
Run: `make bench` or `.venv/bin/python -m benchmarks.bench_simulator [--repeats N]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from benchmarks.common import measure, save, summary_line

CASES = {"population_1_2m": (1_200_000, False), "labelled_240k": (240_000, True)}
PANEL = {"panel_1_2m": (1_200_000, 240_000, 4)}


def simulate(rows: int, labelled: bool) -> Callable[[], object]:
    """Workload: simulate ``rows`` customers."""
    from intentseg.data.simulator import simulate_customers

    return lambda: simulate_customers(rows, seed=42, snapshot_month="2026-11", labelled=labelled)


def simulate_history(population: int, labelled: int, snapshots: int) -> Callable[[], object]:
    """Workload: the panel's tables at the default run month."""
    from intentseg.data.panel_tables import simulate_panel

    return lambda: simulate_panel(42, "2026-11", labelled, population, snapshots)


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
        print(f"{summary_line(name, result)}, {result['rows_per_second']:,.0f} rows/s")
    for name, (population, labelled, snapshots) in PANEL.items():
        result = measure(
            "benchmarks.bench_simulator:simulate_history",
            args.repeats,
            population=population,
            labelled=labelled,
            snapshots=snapshots,
        )
        result.update(population=population, labelled_per_month=labelled, labelled_months=snapshots)
        results[name] = result
        print(summary_line(name, result))
    print(f"saved {save('simulator', results)}")


if __name__ == "__main__":
    main()
