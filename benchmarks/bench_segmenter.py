"""Benchmark the segmenter: vectorised K-Prototypes vs kmodes, train_segmenter, 1.2M assignments.

Targets (segmentation issue), on the 2-core machine, medians of fresh-process runs:
- the vectorised fit at least 50x faster than kmodes' KPrototypes.fit on the same 20K-row
  sample (same k, init and n_init), at a final cost no worse than kmodes';
- train_segmenter at the default size (168K train customers) under 60 s;
- assigning 1.2M customers to segments under 10 s.
Run: `.venv/bin/python -m benchmarks.bench_segmenter [--repeats N]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import measure, save, summary_line

SAMPLE_ROWS = 20_000


def _setup() -> dict[str, Any]:
    """The default train split, the configured segmenter, and a 20K-row sample in model form."""
    from benchmarks.workloads import default_params, default_splits
    from intentseg.config.base import seed_of
    from intentseg.config.check import section_config
    from intentseg.segments.setup import plan_segmentation
    from intentseg.segments.training import segmenter_for

    params = default_params()
    config, seed = section_config(params, "train_segmenter"), seed_of(params)
    data = section_config(params, "data")
    train = default_splits(params)["train"]
    plan = plan_segmentation(config, data.source, train, {data.id_column, data.target})
    segmenter = segmenter_for(plan, config, seed, plan.k)
    sample = train.sample(SAMPLE_ROWS, random_state=seed)
    numeric, codes = segmenter.preprocessor.fit(sample).transform(sample)
    return {
        "params": params,
        "config": config,
        "seed": seed,
        "train": train,
        "numeric": numeric,
        "codes": codes,
        "data": data,
        "k": plan.k,
    }


def kmodes_fit(n_init: int) -> Callable[[], float]:
    """Workload: kmodes' KPrototypes.fit on the sample (returns the final cost)."""
    from kmodes.kprototypes import KPrototypes

    setup = _setup()
    combined = np.column_stack([setup["numeric"], setup["codes"]]).astype(object)
    categorical = list(range(setup["numeric"].shape[1], combined.shape[1]))
    model = KPrototypes(n_clusters=setup["k"], init="Cao", n_init=n_init, random_state=setup["seed"])
    return lambda: float(model.fit(combined, categorical=categorical).cost_)


def fast_fit(n_init: int) -> Callable[[], float]:
    """Workload: the vectorised K-Prototypes on the same sample (returns the final cost)."""
    from intentseg.segments.kprototypes import FastKPrototypes

    setup = _setup()
    config = setup["config"]
    model = FastKPrototypes(
        n_clusters=setup["k"],
        gamma=config.gamma,
        n_init=n_init,
        max_iter=config.max_iter,
        init="Cao",
        random_state=setup["seed"],
    )
    return lambda: float(model.fit(setup["numeric"], setup["codes"]).cost_)


def train_segmenter() -> Callable[[], object]:
    """Workload: what the train_segmenter stage fits at the default size."""
    from intentseg.segments.training import fit_segment_model

    setup = _setup()
    data = setup["data"]
    return lambda: fit_segment_model(
        setup["train"], setup["config"], setup["seed"], data.target, data.id_column, source=data.source, reference=None
    )


def assign_population() -> Callable[[], object]:
    """Workload: assign 1.2M simulated customers to the default segments."""
    from intentseg.data.simulator import simulate_customers
    from intentseg.segments.training import fit_segment_model

    setup = _setup()
    data, seed = setup["data"], setup["seed"]
    model, _ = fit_segment_model(
        setup["train"], setup["config"], seed, data.target, data.id_column, source=data.source, reference=None
    )
    population = simulate_customers(1_200_000, seed, setup["params"]["data"]["snapshot_month"], labelled=False).features
    return lambda: model.assign(population)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-init", type=int, default=3, help="initialisations in the kmodes comparison")
    args = parser.parse_args()
    here = "benchmarks.bench_segmenter"
    results = {
        "kmodes_fit_20k": measure(f"{here}:kmodes_fit", args.repeats, n_init=args.n_init),
        "fast_fit_20k": measure(f"{here}:fast_fit", args.repeats, n_init=args.n_init),
        "train_segmenter_168k": measure(f"{here}:train_segmenter", args.repeats),
        "assign_1_2m": measure(f"{here}:assign_population", args.repeats),
    }
    speedup = results["kmodes_fit_20k"]["median_seconds"] / results["fast_fit_20k"]["median_seconds"]
    cost_ratio = results["fast_fit_20k"]["result"] / results["kmodes_fit_20k"]["result"]
    for name, result in results.items():
        print(summary_line(name, result))
    print(
        f"vectorised fit vs kmodes at 20K rows, n_init={args.n_init}: {speedup:.0f}x faster; "
        f"final cost ours / kmodes = {cost_ratio:.6f}"
    )
    results["comparison"] = {"n_init": args.n_init, "speedup": speedup, "cost_ratio_fast_over_kmodes": cost_ratio}
    print(f"saved {save('segmenter', results)}")


if __name__ == "__main__":
    main()
